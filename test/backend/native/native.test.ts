import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeBackend, nativeInfo } from '../../../src/index.js';
import { JsBackend } from '../../../src/backend/js/index.js';
import { GemmError } from '../../../src/backend/wasm/runtime.js';
import { setNumThreads, getNumThreads, WasmBackend } from '../../../src/backend/wasm/index.js';
import type { MatmulArgs } from '../../../src/backend/backend.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const info = nativeInfo();
// CI has g++, so there the addon must have been built; elsewhere its absence is a reason to skip
const skip = info.available ? false : process.env['CI'] === 'true' ? false : `native addon not available: ${info.reason}`;

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

const args = (m: number, n: number, k: number, transA = false, transB = false, batch = 1): MatmulArgs =>
  ({ batch, m, n, k, transA, transB, aOffsets: null, bOffsets: null });

/** max |x - y| / (1 + |y|) */
function maxRel(x: Float32Array, y: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return worst;
}

/** The first index where two arrays hold different values (NaN equals NaN, whatever its bits), or -1. */
function firstDifference(x: Float32Array, y: Float32Array): number {
  for (let i = 0; i < y.length; i++) if (!Object.is(x[i], y[i])) return i;
  return x.length === y.length ? -1 : y.length;
}

test('native: the addon loads where it was built, and says why where it was not', { skip }, () => {
  assert.equal(info.available, true, info.reason);
  assert.ok(info.path && existsSync(info.path));
  assert.ok([4, 8, 16].includes(info.vectorFloats), `vectorFloats ${info.vectorFloats}`);
});

test('native: matmul agrees with the reference over shapes, transposes, edge tiles and thread counts', { skip }, () => {
  const nat = new NativeBackend(), ref = new JsBackend();
  const prev = getNumThreads();
  try {
    for (const [m, n, k] of [[1, 64, 32], [7, 5, 300], [33, 65, 17], [100, 300, 257], [768, 384, 128], [9, 40, 600], [130, 33, 513]] as const) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = rand(m * k, m + 3 * k), b = rand(k * n, n + 7 * k);
          const want = new Float32Array(m * n);
          ref.matmul(a, b, want, args(m, n, k, transA, transB));
          const outs: Float32Array[] = [];
          for (const threads of [1, 2]) {
            setNumThreads(threads);
            const got = new Float32Array(m * n).fill(NaN);
            nat.matmul(a, b, got, args(m, n, k, transA, transB));
            assert.ok(maxRel(got, want) < 1e-5, `${m}x${n}x${k} tA=${transA} tB=${transB} threads=${threads}: ${maxRel(got, want)}`);
            outs.push(got);
          }
          assert.deepEqual(outs[0], outs[1], `${m}x${n}x${k}: the thread count changed the result`);
        }
      }
    }
  } finally {
    setNumThreads(prev);
  }
});

test('native: batched matmul with broadcast offsets, and k = 0', { skip }, () => {
  const nat = new NativeBackend(), ref = new JsBackend();
  const m = 20, n = 24, k = 16, batch = 6;
  const a = rand(2 * m * k, 1), b = rand(3 * k * n, 2);
  const bargs: MatmulArgs = { batch, m, n, k, transA: false, transB: true,
    aOffsets: Int32Array.from({ length: batch }, (_, i) => (i % 2) * m * k),
    bOffsets: Int32Array.from({ length: batch }, (_, i) => (i % 3) * k * n) };
  const want = new Float32Array(batch * m * n), got = new Float32Array(batch * m * n);
  ref.matmul(a, b, want, bargs);
  nat.matmul(a, b, got, bargs);
  assert.ok(maxRel(got, want) < 1e-5);
  const z = new Float32Array(64 * 64).fill(5);
  nat.matmul(new Float32Array(0), new Float32Array(0), z, args(64, 64, 0));
  assert.ok(z.every((v) => v === 0), 'k = 0 gives zeros');
});

test('native: bad arguments get a typed error naming matmul; an output overlapping an input still computes correctly', { skip }, () => {
  const nat = new NativeBackend(), ref = new JsBackend();
  assert.throws(() => nat.matmul(new Float32Array(100), new Float32Array(64 * 64), new Float32Array(64 * 64), args(64, 64, 64)),
    (e: unknown) => e instanceof GemmError && /matmul: a has 100 elements, expected 4096/.test((e as Error).message));
  assert.throws(() => nat.matmul(new Float32Array(4096), new Float32Array(4096), new Float32Array(4096), args(64, 64, 64.5)),
    (e: unknown) => e instanceof GemmError && /k must be a non-negative integer/.test((e as Error).message));
  // out aliases a: the native kernel would read what it has written, so the backend takes the copying path
  const buf = new Float32Array(2 * 64 * 64);
  buf.set(rand(64 * 64, 9));
  const b = rand(64 * 64, 10);
  const want = new Float32Array(64 * 64);
  ref.matmul(buf.slice(0, 4096), b, want, args(64, 64, 64));
  const out = buf.subarray(2048, 2048 + 4096);
  nat.matmul(buf.subarray(0, 4096), b, out, args(64, 64, 64));
  assert.ok(maxRel(out, want) < 1e-5);
});

test('native: build-native.mjs never fails an install, keeps the built addon, and fails under --strict', { skip }, () => {
  const script = join(root, 'scripts', 'build-native.mjs');
  const before = statSync(info.path!).mtimeMs;
  const run = (env: Record<string, string>, ...flags: string[]) =>
    spawnSync(process.execPath, [script, ...flags], { encoding: 'utf8', env: { ...process.env, ...env } });
  const off = run({ BACKPROP_NATIVE: '0' });
  assert.equal(off.status, 0);
  assert.match(off.stdout, /BACKPROP_NATIVE=0; the CPU kernels stay on the wasm backend/);
  const missing = run({ CXX: '/nonexistent/g++' }, '--force');
  assert.equal(missing.status, 0);
  assert.match(missing.stdout, /\/nonexistent\/g\+\+ not found/);
  const broken = run({ CXX: 'false' }, '--force', '--strict');
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /compiling failed/);
  assert.equal(statSync(info.path!).mtimeMs, before, 'a failed build leaves the built addon as it was');
});

test('native: arithmetic and the Adam step give the wasm backend\'s results bit for bit', { skip }, () => {
  const nat = new NativeBackend(), wasm = new WasmBackend();
  const n = 5000, a = rand(n, 1), b = rand(n, 2).map((v) => v + 0.75), s = new Float32Array([0.3]);
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    for (const rhs of [b, s]) {
      const want = new Float32Array(n), got = new Float32Array(n);
      wasm.binary(op, a, [n], rhs, [rhs.length], want, [n]);
      nat.binary(op, a, [n], rhs, [rhs.length], got, [n]);
      assert.deepEqual(got, want, `${op} with b of length ${rhs.length}`);
    }
  }
  for (const decoupled of [false, true]) {
    const x = [rand(n, 3), rand(n, 3)], m = [rand(n, 4), rand(n, 4)], v = [rand(n, 5).map(Math.abs), rand(n, 5).map(Math.abs)];
    const g = rand(n, 6);
    for (let step = 1; step <= 3; step++) {
      const h = { lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, maximize: false, decoupled, step };
      wasm.adamStep(x[0]!, g, m[0]!, v[0]!, null, h);
      nat.adamStep(x[1]!, g, m[1]!, v[1]!, null, h);
    }
    assert.deepEqual(x[1], x[0], `weights, decoupled=${decoupled}`);
    assert.deepEqual(m[1], m[0]);
    assert.deepEqual(v[1], v[0]);
  }
});

test('native: GELU and its gradient give the wasm backend\'s results bit for bit, on any thread count', { skip }, () => {
  const nat = new NativeBackend(), wasm = new WasmBackend();
  // a spread of magnitudes, both tails (where Φ underflows), zeros, subnormals and non-finite values;
  // 100,003 elements: several of the addon's chunks and a ragged end
  const n = 100_003;
  const x = rand(n, 7).map((v, i) => (i % 7 === 0 ? v * 40 : i % 7 === 1 ? v * 1e-3 : v * 8));
  x.set([0, -0, 1e-40, -1e-40, Infinity, -Infinity, NaN, 12, -12, 13.5, -13.5, 3.0000002, -3.0000002, 88, -88], 0);
  const g = rand(n, 8);
  const y = new Float32Array(n), yn = new Float32Array(n), d = new Float32Array(n), dn = new Float32Array(n);
  wasm.unary('gelu', x, y);
  wasm.geluGrad(g, x, y, d);
  const before = getNumThreads();
  try {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      nat.unary('gelu', x, yn);
      nat.geluGrad(g, x, y, dn);
      assert.equal(firstDifference(yn, y), -1, `gelu on ${threads} thread(s)`);
      assert.equal(firstDifference(dn, d), -1, `geluGrad on ${threads} thread(s)`);
    }
  } finally {
    setNumThreads(before);
  }
  // and both stay close to the float64 reference
  const ref = new Float32Array(n);
  new JsBackend().unary('gelu', x, ref);
  const finite = (a: Float32Array): Float32Array => a.map((v) => (Number.isFinite(v) ? v : 0));
  assert.ok(maxRel(finite(yn), finite(ref)) < 1e-6, `gelu vs reference: ${maxRel(finite(yn), finite(ref))}`);
});

test('native: attention agrees with the reference on a packed projection; layouts past the end are refused', { skip }, () => {
  const nat = new NativeBackend(), js = new JsBackend();
  for (const [batch, t, heads, d, causal] of [[3, 64, 4, 32, true], [2, 17, 3, 20, false], [1, 5, 2, 3, true]] as const) {
    const c = heads * d;
    const qkv = rand(batch * t * 3 * c, t + d), g = rand(batch * t * c, heads);
    const lay = (o: number): { offset: number; batchStride: number; headStride: number; rowStride: number } => ({ offset: o, batchStride: t * 3 * c, headStride: d, rowStride: 3 * c });
    const a = { batch, heads, l: t, s: t, d, scale: 1 / Math.sqrt(d), causal, q: lay(0), k: lay(c), v: lay(2 * c), out: { offset: 0, batchStride: t * c, headStride: d, rowStride: c } };
    const [o1, o2] = [new Float32Array(batch * t * c), new Float32Array(batch * t * c)];
    nat.attention(qkv, qkv, qkv, a, o1);
    js.attention(qkv, qkv, qkv, a, o2);
    assert.ok(maxRel(o1, o2) < 2e-6, `attention ${batch}x${t} heads=${heads} d=${d}: ${maxRel(o1, o2)}`);
    const [d1, d2] = [new Float32Array(qkv.length), new Float32Array(qkv.length)];
    nat.attentionGrad(qkv, qkv, qkv, g, a, d1, d1, d1);
    js.attentionGrad(qkv, qkv, qkv, g, a, d2, d2, d2);
    assert.ok(maxRel(d1, d2) < 2e-6, `attentionGrad ${batch}x${t} heads=${heads} d=${d}: ${maxRel(d1, d2)}`);
  }
  // the addon checks the layouts itself, whatever its caller passes
  const addon = (globalThis as { process: { dlopen: (m: { exports: unknown }, f: string) => void } }).process;
  const mod: { exports: { attention: (...xs: unknown[]) => void } } = { exports: {} as never };
  addon.dlopen(mod, info.path!);
  const q = new Float32Array(64), out = new Float32Array(64);
  const ints = (rowStride: number): Int32Array => Int32Array.from([1, 1, 8, 8, 8, 1, ...[0, 64, 64, rowStride], ...[0, 64, 64, rowStride], ...[0, 64, 64, rowStride], ...[0, 64, 64, 8]]);
  mod.exports.attention(q, q, q, out, ints(8), 0.5, 1);
  assert.throws(() => mod.exports.attention(q, q, q, out, ints(9), 0.5, 1), /native attention: a layout reaches past the end of its array/);
  assert.throws(() => mod.exports.attention(q, q, q, q, ints(8), 0.5, 1), /native attention: out overlaps an input/);
});

test('native: cross-entropy and layer norm agree with the reference; a target outside the classes falls back to it', { skip }, () => {
  const nat = new NativeBackend(), js = new JsBackend();
  const rows = 37, cols = 65;
  const z = rand(rows * cols, 11).map((v) => v * 8), g = rand(rows, 12), w = rand(cols, 13).map((v) => v + 1);
  const t = Int32Array.from({ length: rows }, (_, i) => (i * 7) % cols);
  t[3] = -100;
  for (const [eps, weight] of [[0, null], [0.1, w]] as const) {
    const a = { rows, cols, labelSmoothing: eps, ignoreIndex: -100 };
    const [l1, l2] = [new Float32Array(rows), new Float32Array(rows)];
    nat.crossEntropy(z, t, weight, a, l1);
    js.crossEntropy(z, t, weight, a, l2);
    assert.ok(maxRel(l1, l2) < 1e-6, `crossEntropy ε=${eps}: ${maxRel(l1, l2)}`);
    const [d1, d2] = [new Float32Array(rows * cols), new Float32Array(rows * cols)];
    nat.crossEntropyGrad(z, t, weight, g, a, d1);
    js.crossEntropyGrad(z, t, weight, g, a, d2);
    assert.ok(maxRel(d1, d2) < 1e-6, `crossEntropyGrad ε=${eps}: ${maxRel(d1, d2)}`);
  }
  // a class index past the logits: the reference's answer, not the addon reading past the row
  const bad = Int32Array.from(t);
  bad[0] = cols;
  const a = { rows, cols, labelSmoothing: 0, ignoreIndex: -100 };
  const [l1, l2] = [new Float32Array(rows), new Float32Array(rows)];
  nat.crossEntropy(z, bad, null, a, l1);
  js.crossEntropy(z, bad, null, a, l2);
  assert.deepEqual(l1, l2);
  const x = rand(rows * 24, 14).map((v) => v * 3), lw = rand(24, 15), lb = rand(24, 16), lg = rand(rows * 24, 17);
  const [y1, y2] = [new Float32Array(rows * 24), new Float32Array(rows * 24)];
  nat.layerNorm(x, lw, lb, rows, 24, 1e-5, y1);
  js.layerNorm(x, lw, lb, rows, 24, 1e-5, y2);
  assert.ok(maxRel(y1, y2) < 1e-6, `layerNorm: ${maxRel(y1, y2)}`);
  const grads = [0, 1].map(() => [new Float32Array(rows * 24), new Float32Array(24), new Float32Array(24)] as const);
  nat.layerNormGrad(lg, x, lw, rows, 24, 1e-5, ...grads[0]!);
  js.layerNormGrad(lg, x, lw, rows, 24, 1e-5, ...grads[1]!);
  grads[0]!.forEach((v, i) => assert.ok(maxRel(v, grads[1]![i]!) < 1e-5, `layerNormGrad output ${i}: ${maxRel(v, grads[1]![i]!)}`));
});

test('native: JS threads calling the addon at once each get their own correct products', { skip }, async () => {
  const { Worker } = await import('node:worker_threads');
  const moduleUrl = new URL('../../../src/backend/native/index.js', import.meta.url).href;
  const m = 160, n = 200, k = 150;
  const a = rand(m * k, 11), b = rand(k * n, 12);
  const want = new Float32Array(m * n);
  new NativeBackend().matmul(a, b, want, args(m, n, k));
  // each worker multiplies the same matrices 40 times while the others (and this thread) do too
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.url).then(({ NativeBackend }) => {
      const nat = new NativeBackend(), { a, b, m, n, k } = workerData;
      const args = { batch: 1, m, n, k, transA: false, transB: false, aOffsets: null, bOffsets: null };
      const outs = [];
      for (let i = 0; i < 40; i++) { const o = new Float32Array(m * n); nat.matmul(a, b, o, args); outs.push(o); }
      parentPort.postMessage(outs);
    });`;
  const workers = [0, 1, 2].map(() => new Worker(code, { eval: true, workerData: { url: moduleUrl, a, b, m, n, k } }));
  const results = workers.map((w) => new Promise<Float32Array[]>((res, rej) => { w.once('message', res); w.once('error', rej); }));
  const nat = new NativeBackend();
  for (let i = 0; i < 40; i++) {
    const o = new Float32Array(m * n);
    nat.matmul(a, b, o, args(m, n, k));
    assert.deepEqual(o, want, `main thread, product ${i}`);
  }
  for (const [w, outs] of (await Promise.all(results)).entries()) {
    outs.forEach((o, i) => assert.deepEqual(o, want, `worker ${w}, product ${i}`));
  }
  await Promise.all(workers.map((w) => w.terminate()));
});

test('native: an addon stamped for a CPU with features this one lacks is refused with the reason, not run', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-native-'));
  try {
    const stamp = JSON.parse(readFileSync(info.path!.replace(/\.node$/, '.json'), 'utf8')) as { flags: string[] | null; cpu: string };
    const probe = (addon: string) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e',
        `import { nativeInfo, getBackend } from ${JSON.stringify(new URL('../../../src/index.js', import.meta.url).href)}; console.log(JSON.stringify({ ...nativeInfo(), backend: getBackend().name }));`],
      { encoding: 'utf8', env: { ...process.env, BACKPROP_NATIVE_ADDON: addon, BACKPROP_BACKEND: '' } });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { available: boolean; reason: string; backend: string };
    };
    const copy = (name: string, st: object | null) => {
      const file = join(dir, `${name}.node`);
      copyFileSync(info.path!, file);
      if (st) writeFileSync(join(dir, `${name}.json`), JSON.stringify(st));
      return file;
    };
    assert.deepEqual(probe(copy('same', stamp)).available, true);
    const unstamped = probe(copy('unstamped', null));
    assert.equal(unstamped.available, false);
    assert.match(unstamped.reason, /unstamped\.json is missing or unreadable/);
    assert.equal(unstamped.backend, 'wasm');
    const alien = probe(copy('alien', { ...stamp, cpu: 'Imaginary CPU', flags: stamp.flags ? [...stamp.flags, 'avx1024_imaginary'] : null }));
    assert.equal(alien.available, false);
    assert.match(alien.reason, stamp.flags ? /this one lacks avx1024_imaginary; rerun npm run build/ : /this one is .*; rerun npm run build/);
    assert.equal(alien.backend, 'wasm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('native: asking for it where it cannot run names the reason', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { setBackend } from ${JSON.stringify(new URL('../../../src/index.js', import.meta.url).href)};
     try { setBackend('native'); console.log('no error'); } catch (e) { console.log(e.name + ': ' + e.message); }`],
  { encoding: 'utf8', env: { ...process.env, BACKPROP_NATIVE: '0', BACKPROP_BACKEND: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ValueError: setBackend: backend 'native' is not available here: BACKPROP_NATIVE=0; available: js, wasm/);
});
