/**
 * Runs a browser-side test entry (a module that calls runInPage from page.ts) in headless
 * Chromium and turns every case it reports into a node:test subtest, failure message included.
 *
 * The entry is bundled with esbuild and served from http://127.0.0.1:PORT/ (a secure context,
 * which navigator.gpu requires). Chromium is Debian's /usr/bin/chromium driven by
 * playwright-core; with --enable-unsafe-webgpu and no GPU it offers SwiftShader as the adapter.
 * Without Chromium or without an adapter the subtests skip, saying why; under CI=true that is
 * a failure instead.
 */
import type { TestContext } from 'node:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { CaseResult } from './page.js';

export const CHROMIUM = '/usr/bin/chromium';
const CI = process.env['CI'] === 'true';

export interface BrowserRun {
  /** the page's adapter description, or null when setup failed */
  adapter: string | null;
  /** why the page could not run its cases */
  reason: string;
  results: CaseResult[];
  console: string[];
}

/** Test modules shared with Node may import the library's Node entry; in the page it is the browser entry. */
const browserEntry = {
  name: 'browser-entry',
  setup(b: { onResolve(o: { filter: RegExp }, f: (a: { path: string; importer: string }) => { path: string }): void }): void {
    b.onResolve({ filter: /\/src\/index\.js$/ }, (a) => ({ path: resolve(dirname(a.importer), a.path.replace(/index\.js$/, 'browser.js')) }));
  },
};

async function bundle(entry: string, outdir: string): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(outdir, 'entry.js');
  await build({
    entryPoints: [entry], outfile: out, bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    sourcemap: 'inline', logLevel: 'error',
    // Node-only modules are only loaded behind runtime checks that fail in the page
    external: ['node:*', 'webgpu'],
    plugins: [browserEntry],
  });
  return out;
}

function serve(script: string): Promise<{ server: Server; url: string }> {
  // a bundle that fails to load (a missing import) reports it at once instead of timing out
  const failed = "window.__harnessSetup({ok: false, reason: 'the test bundle failed to load (see the console)', adapter: ''}).then(() => window.__harnessDone())";
  const html = `<!doctype html><meta charset="utf-8"><title>backprop browser tests</title><script type="module" src="/entry.js" onerror="${failed}"></script>`;
  const server = createServer((req, res) => {
    if (req.url === '/entry.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      import('node:fs').then(({ createReadStream }) => createReadStream(script).pipe(res), () => res.end());
      return;
    }
    if (req.url === '/' || req.url === '/index.html') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(html); return; }
    res.writeHead(404); res.end();
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') { reject(new Error('no port')); return; }
      resolve({ server, url: `http://127.0.0.1:${addr.port}/` });
    });
  });
}

/** Bundles `entry` (a compiled .js under build/), loads it in headless Chromium and collects its reports. */
export async function runInChromium(entry: string, opts: { timeoutMs?: number; onResult?: (r: CaseResult) => void } = {}): Promise<BrowserRun> {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-browser-'));
  const run: BrowserRun = { adapter: null, reason: '', results: [], console: [] };
  let server: Server | null = null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // no --disable-gpu: it removes WebGPU's adapter, SwiftShader included
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const script = await bundle(entry, dir);
    const served = await serve(script);
    server = served.server;
    const page = await browser.newPage();
    page.on('console', (m) => run.console.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => run.console.push(`page error: ${e.message}`));
    let finish!: () => void;
    const done = new Promise<void>((res) => { finish = res; });
    await page.exposeFunction('__harnessSetup', (info: { ok: boolean; reason: string; adapter: string }) => {
      if (info.ok) run.adapter = info.adapter; else run.reason = info.reason;
    });
    await page.exposeFunction('__harnessResult', (r: CaseResult) => { run.results.push(r); opts.onResult?.(r); });
    await page.exposeFunction('__harnessDone', () => finish());
    page.on('crash', () => { run.reason ||= 'the page crashed'; finish(); });
    await page.goto(served.url);
    const timeoutMs = opts.timeoutMs ?? 600_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((res) => { timer = setTimeout(() => { run.reason ||= `no completion within ${timeoutMs / 1000} s`; res(); }, timeoutMs); });
    await Promise.race([done, timedOut]);
    clearTimeout(timer);
  } finally {
    await browser.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return run;
}

/**
 * A node:test body that runs `entry` in Chromium and reports each browser case as a subtest.
 * `what` names the suite in skip messages.
 */
export function chromiumSuite(entry: string, what: string, opts: { timeoutMs?: number } = {}) {
  return async (t: TestContext): Promise<void> => {
    if (!existsSync(CHROMIUM)) {
      const why = `${CHROMIUM} not found: install it (apt-get install -y chromium) to run ${what} in a browser`;
      if (CI) throw new Error(`CI requires Chromium: ${why}`);
      t.skip(why);
      return;
    }
    const run = await runInChromium(entry, opts);
    if (run.adapter === null) {
      const why = `${what} did not run in Chromium: ${run.reason}${run.console.length ? `\n${run.console.slice(0, 10).join('\n')}` : ''}`;
      if (CI || run.results.length > 0) throw new Error(`${why}\n${run.console.join('\n')}`);
      t.skip(why);
      return;
    }
    t.diagnostic(`adapter: ${run.adapter}`);
    for (const r of run.results) {
      await t.test(r.name, (st) => {
        if (r.skipped !== undefined) { st.skip(r.skipped); return; }
        st.diagnostic(`${r.ms.toFixed(0)} ms in the page`);
        if (!r.ok) throw new Error(r.error ?? 'failed');
      });
    }
    if (run.reason) throw new Error(`${what}: ${run.reason} after ${run.results.length} cases\n${run.console.slice(-20).join('\n')}`);
  };
}
