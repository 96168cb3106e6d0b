/**
 * The explainer page in a real browser: Debian's chromium driven by playwright-core against
 * scripts/serve.mjs on a free port. The lesson's numbers are compared with the same network
 * computed here in Node by the compiled library. Skips (loudly) only when /usr/bin/chromium
 * is missing; install it with `apt-get install -y chromium`.
 *
 * Chromium runs with WebGPU enabled (SwiftShader, a software adapter, when there is no GPU), so
 * the playground and the language model also train on WebGPU and are compared with CPU runs of
 * the same seed. Without an adapter those tests skip, saying why; under CI=true they fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { Tensor, matmul, tensor } from '../../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
// build/test/web/explainer.test.js → repo root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const artifacts = join(root, 'test-artifacts');
const CI = process.env['CI'] === 'true';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install it (apt-get install -y chromium) to run the browser tests`;

if (skip) console.warn(`SKIPPED test/web/explainer.test.ts: ${skip}`);

/** The lesson's default network, computed by the library in Node (independently of web/src). */
function expectedLesson(): Record<string, number> {
  const f64 = { dtype: 'float64' } as const;
  const x = tensor([1, -1], f64);
  const w1 = tensor([[1, -2], [-1, 1]], { ...f64, requiresGrad: true });
  const b1 = tensor([1, 0], { ...f64, requiresGrad: true });
  const w2 = tensor([[1.5, -1], [-1, 2]], { ...f64, requiresGrad: true });
  const b2 = tensor([0, 0], { ...f64, requiresGrad: true });
  const zH = matmul(w1, x.reshape([2, 1])).reshape([2]).add(b1).retainGrad();
  const aH = zH.sigmoid();
  const zO = matmul(w2, aH.reshape([2, 1])).reshape([2]).add(b2).retainGrad();
  const logp = zO.logSoftmax(0);
  const cost = logp.indexSelect(0, tensor([1], { dtype: 'int32' })).neg().sum();
  cost.backward();
  const v: Record<string, number> = { cost: cost.item() };
  const at = (t: Tensor | null, i: number): number => t!.data[i]!;
  for (const i of [0, 1]) {
    const h = `h${i + 1}`, o = `o${i + 1}`;
    v[`z-${h}`] = at(zH, i);
    v[`a-${h}`] = at(aH, i);
    v[`sigmap-${h}`] = at(aH, i) * (1 - at(aH, i));
    v[`z-${o}`] = at(zO, i);
    v[`p-${o}`] = Math.exp(at(logp, i));
    v[`dCdz-${o}`] = at(zO.grad, i);
    v[`dCdz-${h}`] = at(zH.grad, i);
    v[`dCdb-${h}`] = at(b1.grad, i);
    v[`dCdb-${o}`] = at(b2.grad, i);
    for (const j of [0, 1]) {
      v[`dzdw-${h}-x${j + 1}`] = at(x, j);
      v[`dzdw-${o}-h${j + 1}`] = at(aH, j);
      v[`dCdw-${h}-x${j + 1}`] = at(w1.grad, i * 2 + j);
      v[`dCdw-${o}-h${j + 1}`] = at(w2.grad, i * 2 + j);
    }
  }
  return v;
}

/** The last number in an element's text ("a = σ(z) = 0.982" → 0.982). */
async function shown(page: Page, testid: string): Promise<number> {
  const text = await page.getByTestId(testid).textContent({ timeout: 10000 });
  const nums = (text ?? '').replace(/−/g, '-').match(/-?\d+(\.\d+)?(e-?\d+)?/g);
  assert.ok(nums, `no number in [data-testid=${testid}]: '${text}'`);
  return Number(nums[nums.length - 1]);
}

function assertClose3(actual: number, expected: number, what: string): void {
  // displayed with 3 decimals: equal after rounding, allowing for the rounding of a ...5 tie
  assert.ok(Math.abs(actual - expected) <= 0.0005 + 1e-9, `${what}: page shows ${actual}, library computes ${expected.toFixed(6)}`);
}

describe('explainer page in chromium', { skip }, () => {
  let server: ChildProcess | null = null;
  let url = '';
  let context: BrowserContext | null = null;
  let page: Page;
  let profile = '';
  const problems: string[] = [];

  before(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-web.mjs')], { cwd: root, stdio: 'pipe' });
    server = spawn(process.execPath, [join(root, 'scripts', 'serve.mjs')], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`server did not print its URL: ${out}`)), 30000);
      server!.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /(http:\/\/\S+)/.exec(out);
        if (m) { clearTimeout(timer); res(m[1]!); }
      });
      server!.on('exit', (code) => rej(new Error(`server exited with ${code}: ${out}`)));
    });
    mkdirSync(artifacts, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'backprop-chromium-'));
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      // no --disable-gpu: it removes WebGPU's adapter (SwiftShader included)
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 800 },
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  });

  after(async () => {
    await context?.close();
    server?.kill();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('loads cross-origin isolated, names its backend, and logs no errors', async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    await page.waitForFunction(() => document.querySelector('#backend-info')?.getAttribute('data-threads') !== null, null, { timeout: 60000 });
    const info = await page.getByTestId('backend-info').textContent();
    assert.match(info ?? '', /Backend: wasm, \d+ threads? \(.*SIMD, shared memory\)/);
    // cross-origin isolated, so the wasm GEMM gets shared memory and one thread per core
    const threads = Number(await page.getByTestId('backend-info').getAttribute('data-threads'));
    assert.equal(threads, await page.evaluate(() => Math.min(64, navigator.hardwareConcurrency)));
    await page.screenshot({ path: join(artifacts, 'page-1280.png'), animations: 'disabled' });
    assert.deepEqual(problems, []);
  });

  it('shows the library\'s z, a, ∂C/∂z and ∂C/∂w at each lesson step', async () => {
    const v = expectedLesson();
    assert.match((await page.getByTestId('step-title').textContent()) ?? '', /Step 1 of 6/);
    const check = async (ids: string[]): Promise<void> => {
      for (const id of ids) assertClose3(await shown(page, id), v[id]!, id);
      const step = await page.getByTestId('lesson-svg').getAttribute('data-step');
      await page.locator('#lesson').screenshot({ path: join(artifacts, `lesson-step-${Number(step) + 1}.png`), animations: 'disabled' });
    };
    await page.getByTestId('next').click();
    await check(['z-h1', 'z-h2', 'a-h1', 'a-h2', 'dzdw-h1-x1', 'dzdw-h1-x2', 'dzdw-h2-x1', 'dzdw-h2-x2']);
    // the lecture's numbers
    assert.equal((await page.getByTestId('z-h1').textContent())?.trim(), 'z = 4.000');
    assert.equal((await page.getByTestId('a-h1').textContent())?.trim(), 'a = σ(z) = 0.982');
    assert.equal((await page.getByTestId('a-h2').textContent())?.trim(), 'a = σ(z) = 0.119');
    // the arrow keys step too
    await page.getByTestId('lesson-svg').click();
    await page.keyboard.press('ArrowRight');
    assert.match((await page.getByTestId('step-title').textContent()) ?? '', /Step 3 of 6/);
    await check(['z-o1', 'z-o2', 'p-o1', 'p-o2', 'cost', 'dzdw-o1-h1', 'dzdw-o2-h2']);
    await page.getByTestId('next').click();
    await check(['dCdz-o1', 'dCdz-o2']);
    await page.getByTestId('next').click();
    await check(['sigmap-h1', 'sigmap-h2', 'dCdz-h1', 'dCdz-h2']);
    await page.getByTestId('next').click();
    const weights = ['h1-x1', 'h1-x2', 'h2-x1', 'h2-x2', 'o1-h1', 'o1-h2', 'o2-h1', 'o2-h2'].map((s) => `dCdw-${s}`);
    await check([...weights, 'dCdb-h1', 'dCdb-h2', 'dCdb-o1', 'dCdb-o2']);
    assert.equal(await page.getByTestId('next').isDisabled(), true);
    await page.screenshot({ path: join(artifacts, 'lesson-1280.png'), fullPage: false, animations: 'disabled' });
    await page.keyboard.press('ArrowLeft');
    assert.match((await page.getByTestId('step-title').textContent()) ?? '', /Step 5 of 6/);
    await page.keyboard.press('ArrowRight');
  });

  it('checks the gradients against finite differences and takes a gradient step that lowers the cost', async () => {
    await page.getByTestId('check').click();
    const maxErr = Number(await page.getByTestId('check-max-error').textContent());
    assert.ok(maxErr < 1e-6, `max |backprop − finite difference| = ${maxErr}`);
    assert.equal(await page.locator('#lesson-result tbody tr').count(), 12);
    await page.getByTestId('lesson-result').screenshot({ path: join(artifacts, 'lesson-check.png') });
    const before = expectedLesson().cost;
    await page.getByTestId('sgd-step').click();
    const shownBefore = Number(await page.getByTestId('cost-before').textContent());
    const shownAfter = Number(await page.getByTestId('cost-after').textContent());
    assert.ok(Math.abs(shownBefore - before) < 5e-5, `cost before ${shownBefore} vs library ${before}`);
    assert.ok(shownAfter < shownBefore - 0.1, `cost should drop visibly: ${shownBefore} → ${shownAfter}`);
    assertClose3(await shown(page, 'cost'), shownAfter, 'diagram cost after the step');
    // an edited input changes the diagram
    await page.getByTestId('in-x1').fill('2');
    assert.notEqual(await shown(page, 'dCdw-h1-x1'), 0);
    assert.deepEqual(problems, []);
  });

  it('trains xor in the playground to at least 95% accuracy', async () => {
    await page.locator('#playground').scrollIntoViewIfNeeded();
    await page.getByTestId('pg-dataset').selectOption('xor');
    await page.waitForFunction(() => document.querySelector('#pg-status')?.textContent?.startsWith('ready'), null, { timeout: 60000 });
    await page.getByTestId('pg-train').click();
    await page.waitForFunction(() => Number(document.querySelector('#pg-accuracy')?.getAttribute('data-value') ?? 0) >= 0.95, null, { timeout: 60000 });
    // the page stays responsive while the worker trains
    const t0 = Date.now();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    assert.ok(Date.now() - t0 < 5000, 'main thread blocked during training');
    await page.getByTestId('pg-pause').click();
    await page.waitForFunction(() => document.querySelector('#pg-status')?.textContent === 'paused', null, { timeout: 30000 });
    // training goes on between reaching 95% and the click, so SGD's noise may have moved the
    // accuracy a little since; paused, it must stay where it is, and still be a trained model's
    const acc = Number(await page.getByTestId('pg-accuracy').getAttribute('data-value'));
    assert.ok(acc >= 0.85, `xor accuracy ${acc} after pausing`);
    await page.waitForTimeout(500);
    assert.equal(Number(await page.getByTestId('pg-accuracy').getAttribute('data-value')), acc, 'the accuracy changed while paused');
    await page.locator('#playground').screenshot({ path: join(artifacts, 'playground-1280.png'), animations: 'disabled' });
    assert.deepEqual(problems, []);
  });

  it('times backprop against finite differences on a log-log chart', async () => {
    await page.getByTestId('why-run').click();
    await page.waitForFunction(() => document.querySelector('#why-status')?.textContent === 'done'
      || document.querySelector('#why-status')?.textContent?.startsWith('error'), null, { timeout: 90000 });
    assert.equal(await page.getByTestId('why-status').textContent(), 'done');
    assert.equal(await page.locator('#why-chart > circle.pt.bp').count(), 7);
    const summary = (await page.getByTestId('why-summary').textContent()) ?? '';
    const ratio = Number(/\(([\d,]+)× longer\)/.exec(summary)?.[1]?.replace(/,/g, ''));
    assert.ok(ratio > 100, `finite differences should be far slower at 100k parameters: ${summary}`);
    await page.locator('#why').screenshot({ path: join(artifacts, 'why-1280.png') });
    assert.deepEqual(problems, []);
  });

  it('trains the language model in its worker: the loss falls and samples appear', async () => {
    await page.locator('#lm').scrollIntoViewIfNeeded();
    assert.equal(await page.getByTestId('lm-size').inputValue(), 'tiny');
    assert.match((await page.getByTestId('lm-text').inputValue()).slice(0, 40), /THE LANTERN KEEPER/);
    await page.getByTestId('lm-train').click();
    // the estimate before training, then two more every 25 steps
    const points = async (): Promise<[number, number][]> => JSON.parse((await page.getByTestId('lm-chart').getAttribute('data-points')) ?? '[]') as [number, number][];
    await page.waitForFunction(() => JSON.parse(document.querySelector('#lm-chart')?.getAttribute('data-points') ?? '[]').length >= 3, null, { timeout: 120000 });
    // the page stays responsive while the worker trains
    const t0 = Date.now();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    assert.ok(Date.now() - t0 < 5000, 'main thread blocked during training');
    await page.getByTestId('lm-pause').click();
    await page.waitForFunction(() => document.querySelector('#lm-status')?.textContent === 'paused', null, { timeout: 60000 });
    const pts = await points();
    assert.equal(pts[0]![0], 0);
    assert.ok(pts[pts.length - 1]![0] >= 50, `steps ${JSON.stringify(pts)}`);
    const [first, last] = [pts[0]![1], pts[pts.length - 1]![1]];
    assert.ok(last < first - 0.3, `validation loss should fall: ${first} → ${last}`);
    const sample = (await page.getByTestId('lm-sample').textContent()) ?? '';
    assert.ok([...sample].length >= 150, `sample: ${JSON.stringify(sample)}`);
    assert.match((await page.getByTestId('lm-info').textContent()) ?? '', /parameters, a vocabulary of \d+ characters, .* (wasm|js) backend on the CPU/);
    await page.locator('#lm').screenshot({ path: join(artifacts, 'language-model-1280.png'), animations: 'disabled' });
    // a text too short for the model is refused with a message, and nothing trains
    await page.getByTestId('lm-source').selectOption('own');
    await page.getByTestId('lm-text').fill('too short');
    await page.getByTestId('lm-train').click();
    assert.match((await page.getByTestId('lm-error').textContent()) ?? '', /the text needs at least 330 characters/);
    await page.getByTestId('lm-source').selectOption('sample');
    assert.deepEqual(problems, []);
  });

  /** Whether the page offers WebGPU; the reason it does not (a skip, or under CI a failure) otherwise. */
  async function webgpuOrSkip(t: { skip(msg: string): void }): Promise<boolean> {
    await page.waitForSelector('body[data-webgpu]', { timeout: 60000 });
    if ((await page.evaluate(() => document.body.dataset['webgpu'])) === 'available') return true;
    const why = `the page offers no WebGPU in this Chromium: ${await page.locator('[data-testid=pg-device] option[value=webgpu]').textContent()}`;
    if (CI) throw new Error(`CI requires a WebGPU adapter (SwiftShader in Chromium): ${why}`);
    t.skip(why);
    return false;
  }

  /** Trains the playground from its seed on `device` for at least `epochs` epochs, pauses, and returns the epoch losses. */
  async function playgroundLosses(device: 'cpu' | 'webgpu', epochs: number): Promise<number[]> {
    const select = page.getByTestId('pg-device');
    if ((await select.inputValue()) !== device) await select.selectOption(device); // the change rebuilds the model
    else await page.getByTestId('pg-reset').click();
    await page.waitForFunction((d) => document.querySelector('#pg-status')?.textContent?.startsWith('ready')
      && document.querySelector('#playground')?.getAttribute('data-device') === d, device, { timeout: 60000 });
    await page.getByTestId('pg-train').click();
    await page.waitForFunction((n) => JSON.parse(document.querySelector('#pg-loss')?.getAttribute('data-losses') ?? '[]').length >= n, epochs, { timeout: 120000 });
    await page.getByTestId('pg-pause').click();
    await page.waitForFunction(() => document.querySelector('#pg-status')?.textContent === 'paused', null, { timeout: 60000 });
    return JSON.parse((await page.getByTestId('pg-loss').getAttribute('data-losses')) ?? '[]') as number[];
  }

  it('trains the playground on WebGPU: the header says so, and the losses match a CPU run of the same seed', async (t) => {
    await page.locator('#playground').scrollIntoViewIfNeeded();
    if (!await webgpuOrSkip(t)) return;
    const epochs = 5;
    const cpu = await playgroundLosses('cpu', epochs);
    assert.match((await page.getByTestId('backend-info').textContent()) ?? '', /^Device: CPU · Backend: (wasm|js)/);
    const gpu = await playgroundLosses('webgpu', epochs);
    const header = (await page.getByTestId('backend-info').textContent()) ?? '';
    assert.match(header, /^Device: WebGPU \(.+\)/);
    assert.equal(await page.getByTestId('backend-info').getAttribute('data-device'), 'webgpu');
    t.diagnostic(`header: ${header}`);
    // same initial weights and batches; float32 sums in another order drift a little per step
    let worst = 0;
    for (let e = 0; e < epochs; e++) {
      const rel = Math.abs(gpu[e]! - cpu[e]!) / Math.max(1, Math.abs(cpu[e]!));
      worst = Math.max(worst, rel);
      assert.ok(rel < 1e-3, `epoch ${e + 1} loss: webgpu ${gpu[e]} vs cpu ${cpu[e]}`);
    }
    t.diagnostic(`largest relative loss difference over ${epochs} epochs: ${worst.toExponential(2)}`);
    const acc = Number(await page.getByTestId('pg-accuracy').getAttribute('data-value'));
    assert.ok(acc > 0.5, `accuracy on webgpu after ${gpu.length} epochs: ${acc}`);
    await page.locator('#playground').screenshot({ path: join(artifacts, 'playground-webgpu-1280.png'), animations: 'disabled' });
    // back to the CPU for the tests after this one
    await page.getByTestId('pg-device').selectOption('cpu');
    await page.waitForFunction(() => document.querySelector('#backend-info')?.getAttribute('data-device') === 'cpu', null, { timeout: 60000 });
    assert.deepEqual(problems, []);
  });

  /** Trains the language model from its seed on `device` until `points` loss estimates are in, pauses, and returns [step, val loss] pairs. */
  async function lmPoints(device: 'cpu' | 'webgpu', points: number, batch: number): Promise<[number, number][]> {
    await page.getByTestId('lm-batch').fill(String(batch));
    await page.getByTestId('lm-device').selectOption(device);
    await page.getByTestId('lm-reset').click();
    await page.getByTestId('lm-train').click();
    await page.waitForFunction((n) => JSON.parse(document.querySelector('#lm-chart')?.getAttribute('data-points') ?? '[]').length >= n, points, { timeout: 180000 });
    await page.getByTestId('lm-pause').click();
    await page.waitForFunction(() => document.querySelector('#lm-status')?.textContent === 'paused', null, { timeout: 120000 });
    return JSON.parse((await page.getByTestId('lm-chart').getAttribute('data-points')) ?? '[]') as [number, number][];
  }

  it('trains the language model on WebGPU, matching a CPU run of the same seed', async (t) => {
    await page.locator('#lm').scrollIntoViewIfNeeded();
    if (!await webgpuOrSkip(t)) return;
    // the estimate before training and the one 25 steps later; batches of 2 as a software
    // adapter (SwiftShader) takes about a second per step of batch 16 here
    const cpu = await lmPoints('cpu', 2, 2);
    const gpu = await lmPoints('webgpu', 2, 2);
    const info = (await page.getByTestId('lm-info').textContent()) ?? '';
    assert.match(info, /parameters, .* on WebGPU \(.+\)/);
    assert.equal(await page.getByTestId('lm-info').getAttribute('data-device'), 'webgpu');
    assert.equal(gpu[0]![0], 0);
    assert.ok(gpu[1]![0] >= 25, `steps ${JSON.stringify(gpu)}`);
    for (let i = 0; i < 2; i++) {
      assert.equal(gpu[i]![0], cpu[i]![0]);
      const rel = Math.abs(gpu[i]![1] - cpu[i]![1]) / Math.abs(cpu[i]![1]);
      t.diagnostic(`step ${gpu[i]![0]}: validation loss webgpu ${gpu[i]![1]} cpu ${cpu[i]![1]} (relative difference ${rel.toExponential(2)})`);
      assert.ok(rel < 1e-3, `validation loss at step ${gpu[i]![0]}: webgpu ${gpu[i]![1]} vs cpu ${cpu[i]![1]}`);
    }
    assert.ok(gpu[1]![1] < gpu[0]![1], `validation loss should fall on webgpu: ${JSON.stringify(gpu)}`);
    assert.ok([...((await page.getByTestId('lm-sample').textContent()) ?? '')].length >= 150, 'a sample appears');
    await page.locator('#lm').screenshot({ path: join(artifacts, 'language-model-webgpu-1280.png'), animations: 'disabled' });
    await page.getByTestId('lm-device').selectOption('cpu');
    await page.getByTestId('lm-batch').fill('16');
    assert.deepEqual(problems, []);
  });

  it('without a WebGPU adapter offers only the CPU and says why', async () => {
    // a second browser with the GPU off: navigator.gpu exists but finds no adapter
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const p = await browser.newPage();
      await p.goto(url);
      await p.waitForSelector('body[data-webgpu]', { timeout: 60000 });
      assert.equal(await p.evaluate(() => document.body.dataset['webgpu']), 'unavailable');
      for (const id of ['pg-device', 'lm-device']) {
        const option = p.locator(`[data-testid=${id}] option[value=webgpu]`);
        assert.equal(await option.isDisabled(), true, `${id}: the WebGPU option should be disabled`);
        assert.match((await option.textContent()) ?? '', /^WebGPU \(unavailable: .+\)$/);
        assert.equal(await p.getByTestId(id).inputValue(), 'cpu');
      }
      await p.waitForFunction(() => document.querySelector('#backend-info')?.getAttribute('data-device') === 'cpu', null, { timeout: 60000 });
      assert.match((await p.getByTestId('backend-info').textContent()) ?? '', /^Device: CPU · Backend: (wasm|js)/);
    } finally {
      await browser.close();
    }
  });

  it('is usable 400 px wide', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await page.locator('#lesson').scrollIntoViewIfNeeded();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 400px`);
    await page.screenshot({ path: join(artifacts, 'lesson-400.png'), animations: 'disabled' });
    await page.getByTestId('lesson-svg').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'lesson-400-diagram.png'), animations: 'disabled' });
    await page.locator('#playground').screenshot({ path: join(artifacts, 'playground-400.png') });
    await page.locator('#lm').screenshot({ path: join(artifacts, 'language-model-400.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(problems, []);
  });
});
