import test from 'node:test';
import assert from 'node:assert/strict';
import type { BiasActivation, UnaryOp } from '../../../src/backend/backend.js';
import { JsBackend } from '../../../src/backend/js/index.js';
import { WasmBackend, wasmAvailable } from '../../../src/backend/wasm/index.js';
import { WASM_MAP_OPS } from '../../../src/backend/wasm/elementwise.js';

const js = new JsBackend();
const wasm = new WasmBackend();
const skip = !wasmAvailable() && 'WebAssembly SIMD unavailable';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SPECIAL = [0, -0, 1, -1, Infinity, -Infinity, NaN, 88.7, 88.8, 89, 200, -87, -88, -100, -104, -110, -200, 1e-30, 1e-40,
  -1e-40, 1e-7, -1e-7, 0.3, -0.3, 0.62, 0.63, -0.62, -0.63, 3.4e38, -3.4e38, 20, -20, 10, -10, 5, -5];

/** Special values first, then a spread of magnitudes; long enough to take the wasm path. */
function inputs(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  const k = Math.min(n, SPECIAL.length);
  x.set(SPECIAL.slice(0, k));
  for (let i = k; i < n; i++) x[i] = (r() - 0.5) * [2, 20, 200][i % 3]!;
  return x;
}

/** Distance in float32 ulps (at the larger magnitude). */
function ulps(a: number, b: number): number {
  const m = Math.max(Math.abs(a), Math.abs(b));
  const f = new Float32Array([m]);
  const u = new Uint32Array(f.buffer);
  u[0]! += 1;
  return Math.abs(a - b) / (f[0]! - m);
}

test('wasm maps agree with the reference to a few ulps and keep its special values', { skip }, () => {
  const x = inputs(4099, 1);
  // gelu's far negative tail is tiny (|gelu| < 2e-6) and computed more accurately in wasm than the
  // reference's 1 + erf, so it is compared absolutely there
  const maxUlps: Record<string, number> = { exp: 2, log: 2, sigmoid: 3, tanh: 3, softplus: 4, gelu: 6 };
  for (const op of WASM_MAP_OPS) {
    const got = new Float32Array(x.length), want = new Float32Array(x.length);
    wasm.unary(op, x, got);
    js.unary(op, x, want);
    for (let i = 0; i < x.length; i++) {
      const a = got[i]!, b = want[i]!, at = `${op}(${x[i]}): ${a} vs reference ${b}`;
      if (op === 'gelu' && x[i]! < -4.5 && x[i]! > -Infinity) { assert.ok(Math.abs(a - b) < 1e-10, at); continue; }
      if (Number.isNaN(b) || !Number.isFinite(b) || b === 0) { assert.ok(Object.is(a, b) || (a === 0 && b === 0), at); continue; }
      if (Math.abs(b) < 1e-37) { assert.ok(Math.abs(a - b) < 1e-37, at); continue; }
      // gelu's negative tail (x < −2, |gelu| < 0.05) inherits the erfc fit's ~1e-6 relative error
      if (op === 'gelu' && x[i]! < -2) { assert.ok(Math.abs(a - b) <= 3e-6 * Math.abs(b), at); continue; }
      assert.ok(ulps(a, b) <= maxUlps[op]!, `${at} (${ulps(a, b).toFixed(1)} ulps)`);
    }
  }
});

test('wasm maps give the same bits at every length (the tail vector is no special case)', { skip }, () => {
  const x = inputs(1031, 2);
  for (const op of WASM_MAP_OPS) {
    const full = new Float32Array(x.length);
    wasm.unary(op, x, full);
    for (const n of [256, 257, 258, 259, 1030]) {
      const part = new Float32Array(n);
      wasm.unary(op, x.subarray(0, n), part);
      assert.deepEqual(part, full.subarray(0, n), `${op} n=${n}`);
    }
  }
});

test('biasAct equals add then the map, bit for bit, on both backends and on both sides of the wasm size threshold', () => {
  const acts: BiasActivation[] = ['none', 'relu', 'sigmoid', 'tanh', 'gelu'];
  for (const [rows, cols] of [[3, 5], [7, 37], [64, 130], [129, 1024]] as const) {
    const z = inputs(rows * cols, rows).map((v) => (Number.isFinite(v) ? v % 12 : v));
    const bias = inputs(cols + 36, cols).subarray(36).map((v) => v % 3);
    for (const be of [js, wasm]) {
      for (const act of acts) {
        const fused = new Float32Array(z.length);
        be.biasAct(act, z, bias, fused);
        const sum = new Float32Array(z.length);
        be.binary('add', z, [rows, cols], bias, [cols], sum, [rows, cols]);
        const unfused = new Float32Array(z.length);
        if (act === 'none') unfused.set(sum);
        else be.unary(act as UnaryOp, sum, unfused);
        assert.deepEqual(fused, unfused, `${be.name} ${act} ${rows}x${cols}`);
      }
    }
  }
});

test('wasm maps leave other dtypes and the memory-bound ops to the reference', () => {
  const x = new Float64Array([0.5, -1, 2]);
  const out = new Float64Array(3);
  wasm.unary('exp', x, out);
  assert.deepEqual([...out], [...x].map(Math.exp));
  const y = new Float32Array(1000).map((_, i) => i - 500);
  const a = new Float32Array(1000), b = new Float32Array(1000);
  wasm.unary('relu', y, a);
  js.unary('relu', y, b);
  assert.deepEqual(a, b);
});
