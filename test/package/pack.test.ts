/**
 * The npm package as a user gets it: `npm pack`, then install the tarball into an empty project
 * (no devDependencies) and use it the four ways users do: Node ESM, the `backprop` bin, a browser
 * bundle (esbuild, headless Chromium) and TypeScript (moduleResolution node16 and bundler).
 *
 * It packs the dist/ that `npm test` has just built (`npm pack --ignore-scripts`): packing with
 * scripts would rebuild dist/, deleting it under the tests that run beside this one. The browser
 * part skips (loudly) only when /usr/bin/chromium is missing: `apt-get install -y chromium`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// build/test/package/pack.test.js → repo root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const noChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install it (apt-get install -y chromium) to run the browser bundle test`;
if (noChromium) console.warn(`SKIPPED part of test/package/pack.test.ts: ${noChromium}`);

interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;

/** The environment of a child npm or node: ours, minus what `npm test` put there for its own scripts. */
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: childEnv, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return r;
}

function runOk(cmd: string, args: string[], cwd: string, timeoutMs?: number): string {
  const r = run(cmd, args, cwd, timeoutMs);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Every file under dir, as paths relative to base with forward slashes. */
function listFiles(dir: string, base: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p, base) : [relative(base, p).split('\\').join('/')];
  });
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** tsconfig files of a Node project (node16) and a web project (bundler) checking consumer.ts (and page.ts). */
function writeConfigs(dir: string): void {
  const common = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022' };
  const nodeTypes = { typeRoots: [join(root, 'node_modules', '@types')], types: ['node'] };
  const configs = {
    'tsconfig.node16.json': { compilerOptions: { ...common, ...nodeTypes, module: 'node16', moduleResolution: 'node16' }, files: ['consumer.ts'] },
    'tsconfig.node16-nodom.json': { compilerOptions: { ...common, ...nodeTypes, module: 'node16', moduleResolution: 'node16', lib: ['ES2022'] }, files: ['consumer.ts'] },
    'tsconfig.bundler.json': { compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] }, files: ['consumer.ts', 'page.ts'] },
  };
  for (const [file, config] of Object.entries(configs)) writeFileSync(join(dir, file), JSON.stringify(config, null, 2));
}

interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

describe('the npm package, installed into an empty project', () => {
  let tmp = '';
  let consumer = '';
  let info: PackInfo;

  before(() => {
    assert.ok(existsSync(join(root, 'dist', 'index.js')), 'dist/ is missing: run `npm run build` (npm test does) before this test');
    tmp = mkdtempSync(join(tmpdir(), 'backprop-pack-'));
    const out = runOk('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root);
    info = (JSON.parse(out) as PackInfo[])[0]!;
    consumer = join(tmp, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
    // --prefer-offline: the package has no dependencies today; if it gains some, the npm cache
    // (filled by our own install) serves them, the registry only when it has to
    runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(tmp, info.filename)], consumer, 300_000);
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('holds the compiled library, README, LICENSE and package.json, and nothing else', (t) => {
    const files = info.files.map((f) => f.path).sort();
    // each module of src/ ships as its .js and .d.ts; no tests, no source maps, no build info
    const modules = listFiles(join(root, 'src'), join(root, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3));
    // and the native addon's sources with the script that compiles them (the package has no install script)
    const native = readdirSync(join(root, 'native')).filter((f) => /\.(cc|h)$/.test(f)).map((f) => `native/${f}`);
    const expected = ['LICENSE', 'README.md', 'package.json', 'scripts/build-native.mjs', ...native,
      ...modules.flatMap((m) => [`dist/${m}.js`, `dist/${m}.d.ts`])].sort();
    const extra = files.filter((f) => !expected.includes(f));
    const missing = expected.filter((f) => !files.includes(f));
    assert.deepEqual({ extra, missing }, { extra: [], missing: [] }, 'tarball contents differ from the compiled src/ (a stale dist/? run npm run build)');
    const binPath = Object.values(pkg.bin)[0]!.replace(/^\.\//, '');
    assert.ok(files.includes(binPath), `the bin ${binPath} is not in the tarball`);
    t.diagnostic(`${info.filename}: ${(info.size / 1024).toFixed(1)} KiB packed, ${(info.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${info.entryCount} files`);
  });

  it('installs without any of our devDependencies', () => {
    const installed = JSON.parse(readFileSync(join(consumer, 'node_modules', 'backprop', 'package.json'), 'utf8')) as PackageJson;
    assert.equal(installed.version, pkg.version);
    const present = readdirSync(join(consumer, 'node_modules')).flatMap((n) => (n.startsWith('@') ? readdirSync(join(consumer, 'node_modules', n)).map((s) => `${n}/${s}`) : [n]));
    const dev = Object.keys(pkg.devDependencies ?? {}).filter((d) => !(d in (pkg.dependencies ?? {})));
    // a devDependency of ours may still arrive as a dependency of a runtime dependency (the
    // optional `webgpu` package brings @webgpu/types): only one nothing else asks for is a leak
    const wanted = new Set(present.flatMap((n) => {
      const manifest = join(consumer, 'node_modules', n, 'package.json');
      if (n === 'backprop' || !existsSync(manifest)) return [];
      return Object.keys((JSON.parse(readFileSync(manifest, 'utf8')) as PackageJson).dependencies ?? {});
    }));
    assert.deepEqual(present.filter((n) => dev.includes(n) && !wanted.has(n)), []);
  });

  it('imports in Node ESM, trains a tiny model and round-trips it through io', () => {
    writeFileSync(join(consumer, 'train.mjs'), `
import { tensor, nn, optim, io, manualSeed } from 'backprop';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
manualSeed(0);
const x = tensor([[-1], [-0.5], [0], [0.5], [1]]);
const y = x.mul(3).sub(1);
const model = new nn.Linear(1, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
const losses = [];
for (let step = 0; step < 300; step++) {
  const loss = model.forward(x).sub(y).pow(2).mean();
  opt.zeroGrad();
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
const file = join(mkdtempSync(join(tmpdir(), 'consumer-')), 'line.safetensors');
io.saveSafetensors(file, model.stateDict());
const again = new nn.Linear(1, 1);
again.loadStateDict(io.loadSafetensors(file).tensors);
console.log(JSON.stringify({ first: losses[0], last: losses.at(-1), weight: model.weight.item(), bias: model.bias.item(),
  reloaded: again.forward(tensor([[2]])).item() }));
`);
    const r = JSON.parse(runOk(process.execPath, ['train.mjs'], consumer)) as Record<string, number>;
    assert.ok(r['last']! < r['first']! / 100, `loss ${r['first']} → ${r['last']}`);
    assert.ok(Math.abs(r['weight']! - 3) < 0.01 && Math.abs(r['bias']! + 1) < 0.01, `fit y = ${r['weight']}x + ${r['bias']}, want 3x − 1`);
    assert.ok(Math.abs(r['reloaded']! - (2 * r['weight']! + r['bias']!)) < 1e-6);
  });

  it('builds the native addon in the installed package when asked, and uses it', (t) => {
    const probe = "import { nativeInfo, getBackend } from 'backprop'; console.log(JSON.stringify({ ...nativeInfo(), backend: getBackend().name }));";
    const before = JSON.parse(runOk(process.execPath, ['--input-type=module', '-e', probe], consumer)) as { available: boolean; reason: string; backend: string };
    assert.equal(before.available, false, 'nothing built it yet');
    assert.match(before.reason, /not built/);
    assert.equal(before.backend, 'wasm');
    const built = spawnSync(process.execPath, [join('node_modules', 'backprop', 'scripts', 'build-native.mjs')], { cwd: consumer, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    if (/stay on the wasm backend/.test(built.stdout)) {
      if (process.env['CI'] === 'true') assert.fail(`CI has g++, yet: ${built.stdout}`);
      t.skip(built.stdout.trim());
      return;
    }
    const after = JSON.parse(runOk(process.execPath, ['--input-type=module', '-e', probe], consumer)) as { available: boolean; backend: string };
    assert.deepEqual([after.available, after.backend], [true, 'native']);
  });

  it('runs the backprop bin: train, then eval of the saved model', () => {
    const bin = join(consumer, 'node_modules', '.bin', 'backprop');
    assert.match(runOk(bin, ['--help'], consumer), /usage:\s+backprop train/);
    const lines = runOk(bin, ['train', '--epochs', '2', '--json', '--out', 'spirals.safetensors'], consumer).trim().split('\n');
    const last = JSON.parse(lines.at(-1)!) as { epoch: number };
    assert.equal(last.epoch, 2);
    const ev = JSON.parse(runOk(bin, ['eval', '--model-file', 'spirals.safetensors', '--json'], consumer).trim().split('\n').at(-1)!) as { accuracy: number; samples: number };
    assert.ok(ev.samples > 0 && ev.accuracy > 0 && ev.accuracy <= 1, JSON.stringify(ev));
  });

  it('type-checks a consumer under moduleResolution node16 and bundler, fluent tensor methods included', () => {
    writeFileSync(join(consumer, 'consumer.ts'), `
import { tensor, Tensor, nn, optim, io, noGrad, type DType } from 'backprop';
import * as browser from 'backprop/browser';

const x: Tensor = tensor([[1, 2], [3, 4]], { requiresGrad: true });
const y = tensor([[0.5, -1], [2, 0]]);
// the fluent methods: on Tensor's own declaration or added by module augmentation
const z: Tensor = x.add(y).mul(2).sub(1).div(3).relu().sigmoid().matmul(y.T).reshape([4]).sum();
z.backward();
const g: Tensor | null = x.grad;
const model = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 1));
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const loss: Tensor = model.forward(x).sub(1).pow(2).mean();
opt.zeroGrad();
loss.backward();
opt.step();
const sd: Record<string, Tensor> = model.stateDict();
const content: io.SafetensorsContent = io.parseSafetensors(io.serializeSafetensors(sd, {}, { dtype: 'bfloat16' }));
const dt: DType = content.tensors['0.weight']!.dtype;
const one: number = noGrad(() => x.exp().log().mean().item());
const b: browser.Tensor = browser.tensor([1, 2]).neg().abs().max();
// @ts-expect-error add takes a tensor or a number
x.add('one');
// @ts-expect-error io reads files with node:fs, so the browser entry leaves it out
browser.io.loadSafetensors('m.safetensors');
// @ts-expect-error half-precision files are float16 or bfloat16
io.saveSafetensors('m.safetensors', sd, {}, { dtype: 'int8' });
export { g, dt, one, b };
`);
    // the browser entry needs neither Node's types nor Node's modules
    writeFileSync(join(consumer, 'page.ts'), `
import { tensor, nn, type Tensor } from 'backprop/browser';
const out: Tensor = new nn.Linear(2, 1).forward(tensor([[1, -1]])).tanh().mul(tensor(2));
document.body.textContent = String(out.item());
`);
    // a Node project: Node's types (ours: the consumer installs nothing) and TypeScript's default
    // libs for its target; a web project: the DOM and no Node types. Both check our .d.ts files too.
    writeConfigs(consumer);
    for (const file of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
      const r = run(process.execPath, [tsc, '-p', file], consumer);
      assert.equal(r.status, 0, `tsc -p ${file}:\n${r.stdout}${r.stderr}`);
    }
    // and the check can fail: a wrong type is an error under both
    writeFileSync(join(consumer, 'wrong.ts'), `import { tensor } from 'backprop';\nconst n: number = tensor([1]).add(1);\nexport { n };\n`);
    for (const file of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
      const config = JSON.parse(readFileSync(join(consumer, file), 'utf8')) as { files: string[] };
      writeFileSync(join(consumer, `wrong.${file}`), JSON.stringify({ ...config, files: ['wrong.ts'] }));
      const r = run(process.execPath, [tsc, '-p', `wrong.${file}`], consumer);
      assert.match(r.stdout, /wrong\.ts\(2,7\): error TS2322: Type 'Tensor' is not assignable to type 'number'/, `${file}:\n${r.stdout}${r.stderr}`);
    }
  });

  it('type-checks under node16 with lib ES2022 and no DOM, as a Node-only project may set it', () => {
    writeConfigs(consumer);
    const r = run(process.execPath, [tsc, '-p', 'tsconfig.node16-nodom.json'], consumer);
    assert.equal(r.status, 0, `tsc -p tsconfig.node16-nodom.json:\n${r.stdout}${r.stderr}`);
  });

  it('bundles backprop/browser with esbuild and computes the same values in Chromium as in Node', { skip: noChromium }, async (t) => {
    // one computation, run by Node and by the page: a matmul checked against plain JS, and a
    // gradient checked against its closed form
    writeFileSync(join(consumer, 'compute.js'), `
import * as bp from 'backprop/browser';
export function compute() {
  bp.manualSeed(1);
  const n = 40;
  const a = bp.randn([n, n]);
  const b = bp.randn([n, n]);
  const c = bp.matmul(a, b);
  let matmulMaxDiff = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += a.data[i * n + k] * b.data[k * n + j];
    matmulMaxDiff = Math.max(matmulMaxDiff, Math.abs(s - c.data[i * n + j]));
  }
  const w = bp.tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
  const x = bp.tensor([[1], [-2]]);
  const z = w.matmul(x);
  z.sigmoid().sum().backward();
  const closedForm = Array.from(z.data).flatMap((zi) => { const s = 1 / (1 + Math.exp(-zi)); return [s * (1 - s), -2 * s * (1 - s)]; });
  return { backend: bp.getBackend?.().name ?? 'unknown', matmulMaxDiff, productSum: c.sum().item(), grad: Array.from(w.grad.data), closedForm };
}
`);
    writeFileSync(join(consumer, 'entry.js'), `
import { compute } from './compute.js';
try { document.body.dataset.result = JSON.stringify(compute()); } catch (e) { document.body.dataset.error = String(e?.stack ?? e); }
`);
    writeFileSync(join(consumer, 'node-compute.mjs'), `import { compute } from './compute.js';\nconsole.log(JSON.stringify(compute()));\n`);
    const www = join(consumer, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), '<!doctype html><html><head><link rel="icon" href="data:,"><script type="module" src="bundle.js"></script></head><body></body></html>');
    const esbuild = await import('esbuild');
    // a consumer's plain browser build: no externals, no aliases, no Node polyfills
    const result = await esbuild.build({
      absWorkingDir: consumer, entryPoints: ['entry.js'], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
      outfile: join(www, 'bundle.js'), logLevel: 'silent', metafile: true,
    });
    assert.deepEqual(result.errors, []);
    t.diagnostic(`browser bundle: ${(statSync(join(www, 'bundle.js')).size / 1024).toFixed(1)} KiB`);

    type Result = { backend: string; matmulMaxDiff: number; productSum: number; grad: number[]; closedForm: number[] };
    const inNode = JSON.parse(runOk(process.execPath, ['node-compute.mjs'], consumer)) as Result;

    const server: Server = createServer((req, res) => {
      const file = join(www, (req.url ?? '/') === '/' ? 'index.html' : (req.url ?? '').slice(1));
      if (!file.startsWith(www) || !existsSync(file)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': extname(file) === '.js' ? 'text/javascript' : 'text/html' }).end(readFileSync(file));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const profile = mkdtempSync(join(tmpdir(), 'backprop-chromium-'));
    const { chromium } = await import('playwright-core');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = context.pages()[0] ?? await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => document.body.dataset['result'] !== undefined || document.body.dataset['error'] !== undefined, null, { timeout: 60_000 });
      const error = await page.evaluate(() => document.body.dataset['error']);
      assert.equal(error, undefined, `the page threw: ${error}`);
      const inPage = JSON.parse((await page.evaluate(() => document.body.dataset['result']))!) as Result;
      t.diagnostic(`backend in the page: ${inPage.backend}, in Node: ${inNode.backend}`);
      assert.deepEqual(problems, []);
      for (const [where, r] of [['page', inPage], ['node', inNode]] as const) {
        assert.ok(r.matmulMaxDiff < 1e-4, `${where}: matmul differs from plain JS by ${r.matmulMaxDiff}`);
        r.grad.forEach((g, i) => assert.ok(Math.abs(g - r.closedForm[i]!) < 1e-6, `${where}: grad[${i}] = ${g}, closed form ${r.closedForm[i]}`));
      }
      assert.ok(Math.abs(inPage.productSum - inNode.productSum) < 1e-3, `sum of the product: page ${inPage.productSum}, node ${inNode.productSum}`);
      inPage.grad.forEach((g, i) => assert.ok(Math.abs(g - inNode.grad[i]!) < 1e-6, `grad[${i}]: page ${g}, node ${inNode.grad[i]}`));
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
