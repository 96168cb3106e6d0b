import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { MatmulArgs } from '../../../src/backend/backend.js';
import { listBackends } from '../../../src/backend/registry.js';
import { BackpropError } from '../../../src/errors.js';
import {
  GemmError, getNumThreads, setNumThreads, sgemm, WasmBackend, wasmAvailable, wasmInfo,
} from '../../../src/backend/wasm/index.js';

// deterministic pseudo-random numbers in [-1, 1)
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function randArray(len: number, r: () => number): Float32Array {
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = r();
  return x;
}

function args(m: number, n: number, k: number, transA: boolean, transB: boolean, batch = 1,
  aOffsets: Int32Array | null = null, bOffsets: Int32Array | null = null): MatmulArgs {
  return { batch, m, n, k, transA, transB, aOffsets, bOffsets };
}

/** float64 triple loop; also returns sum |a||b| per element for the error bound. */
function naive(a: Float32Array, b: Float32Array, p: MatmulArgs): { ref: Float64Array; mag: Float64Array } {
  const { batch, m, n, k, transA, transB } = p;
  const ref = new Float64Array(batch * m * n);
  const mag = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = p.aOffsets ? p.aOffsets[t]! : t * m * k;
    const bo = p.bOffsets ? p.bOffsets[t]! : t * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0, g = 0;
        for (let q = 0; q < k; q++) {
          const x = a[ao + (transA ? q * m + i : i * k + q)]! * b[bo + (transB ? j * k + q : q * n + j)]!;
          s += x;
          g += Math.abs(x);
        }
        ref[(t * m + i) * n + j] = s;
        mag[(t * m + i) * n + j] = g;
      }
    }
  }
  return { ref, mag };
}

function check(out: Float32Array, a: Float32Array, b: Float32Array, p: MatmulArgs, label: string): void {
  const { ref, mag } = naive(a, b, p);
  // float32 summation bound: |err| <= k * eps * sum|a_i b_i| (generous; real errors are far smaller)
  const eps = 2 ** -23;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(out[i]! - ref[i]!);
    if (!(err <= p.k * eps * mag[i]! + 1e-30)) {
      assert.fail(`${label}: element ${i} = ${out[i]}, expected ${ref[i]} (err ${err})`);
    }
  }
}

const SHAPES: readonly [number, number, number][] = [
  [1, 1, 1], [1, 17, 3], [3, 1, 17], [17, 3, 1], [3, 17, 129], [17, 129, 3], [129, 3, 17],
  [13, 12, 256], [4, 24, 257], [129, 130, 257], [65, 600, 33], [400, 37, 300], [300, 530, 520],
  // above the threading threshold with tiny m or n, so tiles must split the other dimension
  [5, 1000, 200], [1, 3000, 300], [1100, 2, 400],
];
const TRANS: readonly [boolean, boolean][] = [[false, false], [true, false], [false, true]];

test('wasm is available with SIMD', () => {
  assert.equal(wasmAvailable(), true);
  const info = wasmInfo();
  assert.equal(info.simd, true);
  assert.equal(typeof info.relaxedSimd, 'boolean');
});

for (const threads of [1, 2]) {
  test(`sgemm matches float64 reference, ${threads} thread(s), NN/TN/NT, odd shapes`, () => {
    setNumThreads(threads);
    assert.equal(getNumThreads(), threads);
    const r = rng(threads * 7 + 1);
    for (const [m, n, k] of SHAPES) {
      for (const [tA, tB] of TRANS) {
        const a = randArray(m * k, r), b = randArray(k * n, r);
        const out = new Float32Array(m * n).fill(NaN);
        const p = args(m, n, k, tA, tB);
        sgemm(a, b, out, p);
        check(out, a, b, p, `${m}x${n}x${k} tA=${tA} tB=${tB} threads=${threads}`);
      }
    }
  });

  test(`batched sgemm with and without offsets, ${threads} thread(s)`, () => {
    setNumThreads(threads);
    const r = rng(99 + threads);
    for (const [m, n, k] of [[5, 7, 3], [33, 70, 65], [130, 40, 260]] as const) {
      for (const [tA, tB] of TRANS) {
        // contiguous batch of 3
        const a = randArray(3 * m * k, r), b = randArray(3 * k * n, r);
        const out = new Float32Array(3 * m * n);
        const p = args(m, n, k, tA, tB, 3);
        sgemm(a, b, out, p);
        check(out, a, b, p, `batch3 ${m}x${n}x${k} tA=${tA} tB=${tB}`);
        // broadcast A over the batch, B items at shuffled offsets inside a larger buffer
        const a1 = randArray(m * k + 5, r), b2 = randArray(4 * k * n + 11, r);
        const aOff = new Int32Array([5, 5, 3, 2]); // lowest offset > 0: only the used range is copied
        const bOff = new Int32Array([3 * k * n + 11, k * n + 1, k * n + 1, 7]);
        const out2 = new Float32Array(4 * m * n);
        const p2 = args(m, n, k, tA, tB, 4, aOff, bOff);
        sgemm(a1, b2, out2, p2);
        check(out2, a1, b2, p2, `offsets ${m}x${n}x${k} tA=${tA} tB=${tB}`);
      }
    }
  });
}

test('huge batch of tiny matrices (several batch items per task)', () => {
  setNumThreads(2);
  const r = rng(11);
  const batch = 70000;
  const a = randArray(batch * 4, r), b = randArray(batch * 6, r);
  const out = new Float32Array(batch * 6);
  const p = args(2, 3, 2, true, false, batch);
  sgemm(a, b, out, p);
  check(out, a, b, p, 'batch 70000 of 2x3x2');
});

test('bitwise deterministic across runs and across thread counts', () => {
  const r = rng(5);
  for (const [m, n, k] of [[300, 530, 520], [129, 130, 257]] as const) {
    for (const [tA, tB] of TRANS) {
      const a = randArray(m * k, r), b = randArray(k * n, r);
      const p = args(m, n, k, tA, tB);
      const runs: Float32Array[] = [];
      for (const threads of [2, 2, 2, 1, 1]) {
        setNumThreads(threads);
        const out = new Float32Array(m * n);
        sgemm(a, b, out, p);
        runs.push(out);
      }
      for (const out of runs.slice(1)) {
        assert.deepEqual(new Uint32Array(out.buffer), new Uint32Array(runs[0]!.buffer));
      }
    }
  }
  setNumThreads(2);
});

test('many back-to-back threaded calls (job protocol stress)', () => {
  setNumThreads(2);
  const r = rng(17);
  const [m, n, k] = [100, 98, 96]; // above the threading threshold, several tasks each
  const a = randArray(m * k, r), b = randArray(k * n, r);
  const p = args(m, n, k, false, false);
  const first = new Float32Array(m * n);
  sgemm(a, b, first, p);
  check(first, a, b, p, 'stress first');
  const out = new Float32Array(m * n);
  for (let i = 0; i < 1500; i++) {
    // alternate shapes so job parameters really change between generations
    if (i % 3 === 0) sgemm(b, a, new Float32Array(n * n), args(n, n, k, true, true));
    sgemm(a, b, out, p);
  }
  assert.deepEqual(new Uint32Array(out.buffer), new Uint32Array(first.buffer));
});

test('k = 0 gives zeros and empty outputs are fine', () => {
  const out = new Float32Array(6).fill(3);
  sgemm(new Float32Array(0), new Float32Array(0), out, args(2, 3, 0, false, false));
  assert.deepEqual([...out], [0, 0, 0, 0, 0, 0]);
  sgemm(new Float32Array(0), new Float32Array(12), new Float32Array(0), args(0, 3, 4, false, false));
});

test('typed errors name the op and the expected vs actual sizes', () => {
  assert.throws(() => sgemm(new Float32Array(6), new Float32Array(6), new Float32Array(3), args(2, 2, 3, false, false)),
    (e: unknown) => e instanceof GemmError && /matmul: out has 3 elements, expected 4/.test(e.message));
  assert.throws(() => sgemm(new Float32Array(5), new Float32Array(6), new Float32Array(4), args(2, 2, 3, false, false)),
    (e: unknown) => e instanceof GemmError && /a has 5 elements, expected 6/.test(e.message));
  assert.throws(() => sgemm(new Float32Array(6), new Float32Array(6), new Float32Array(4),
    args(2, 2, 3, false, false, 1, new Int32Array([1]))),
  (e: unknown) => e instanceof GemmError && /aOffsets\[0\] = 1/.test(e.message));
  assert.throws(() => setNumThreads(0), GemmError);
  assert.throws(() => setNumThreads(1.5), GemmError);
});

test('GemmError is a BackpropError; the backend registers itself as wasm', () => {
  assert.ok(new GemmError('x') instanceof BackpropError);
  assert.equal(new GemmError('x').name, 'GemmError');
  assert.ok(listBackends().includes('wasm'));
});

test('WasmBackend: float32 goes through wasm, other dtypes fall back to JS', () => {
  const be = new WasmBackend();
  assert.equal(be.name, 'wasm');
  const r = rng(3);
  const [m, n, k] = [20, 30, 40];
  const a = randArray(m * k, r), b = randArray(k * n, r);
  const p = args(m, n, k, false, true);
  const out = be.alloc('float32', m * n) as Float32Array;
  be.matmul(a, b, out, p);
  check(out, a, b, p, 'WasmBackend f32');
  const a64 = Float64Array.from(a), b64 = Float64Array.from(b);
  const out64 = be.alloc('float64', m * n) as Float64Array;
  be.matmul(a64, b64, out64, p);
  const { ref } = naive(a, b, p);
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(out64[i]! - ref[i]!) < 1e-12);
});

test('worker threads do not keep the process alive', () => {
  const url = new URL('../../../src/backend/wasm/index.js', import.meta.url).href;
  const script = `
    const w = await import(${JSON.stringify(url)});
    w.setNumThreads(2);
    const n = 256, a = new Float32Array(n * n).fill(1), out = new Float32Array(n * n);
    w.sgemm(a, a, out, { batch: 1, m: n, n, k: n, transA: false, transB: false, aOffsets: null, bOffsets: null });
    if (out[0] !== n) process.exit(3);
    console.log('ok');`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20000, encoding: 'utf8' });
  assert.equal(res.error, undefined, 'child process timed out (workers kept it alive?)');
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'ok');
});

test('without SharedArrayBuffer: one warning, single-threaded, still correct', () => {
  const url = new URL('../../../src/backend/wasm/index.js', import.meta.url).href;
  const script = `
    delete globalThis.SharedArrayBuffer;
    const w = await import(${JSON.stringify(url)});
    w.setNumThreads(2);
    const n = 200, a = new Float32Array(n * n).fill(1), out = new Float32Array(n * n);
    for (let i = 0; i < 2; i++) w.sgemm(a, a, out, { batch: 1, m: n, n, k: n, transA: false, transB: false, aOffsets: null, bOffsets: null });
    console.log(out[0], w.getNumThreads(), w.wasmInfo().shared);`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20000, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), '200 1 false');
  assert.equal(res.stderr.trim().split('\n').length, 1);
  assert.match(res.stderr, /single-threaded/);
});
