/**
 * GFLOPS of backprop's own wasm sgemm: sizes 256/512/1024, NN/TN/NT, 1 and 2 threads.
 * Prints one JSON line. Median of the reps is the headline; min-time (best) is also given
 * because a shared machine makes the median noisy.
 *
 *   node build/bench/gemm-own.js [--quick] [--threads 1,2] [--sizes 256,512,1024]
 */
import { loadavg } from 'node:os';
import { setNumThreads, sgemm, wasmInfo } from '../src/backend/wasm/index.js';

type Trans = 'NN' | 'TN' | 'NT';

interface Entry {
  threads: number;
  n: number;
  trans: Trans;
  gflops: number;
  bestGflops: number;
  ms: number;
  reps: number;
}

function argList(name: string, dflt: number[]): number[] {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v.split(',').map(Number) : dflt;
}

function randomF32(len: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

const quick = process.argv.includes('--quick');
const sizes = argList('--sizes', [256, 512, 1024]);
const threadList = argList('--threads', [1, 2]);
const entries: Entry[] = [];
const load0 = loadavg()[0]!;

for (const threads of threadList) {
  setNumThreads(threads);
  for (const n of sizes) {
    const a = randomF32(n * n, 1), b = randomF32(n * n, 2), out = new Float32Array(n * n);
    for (const trans of ['NN', 'TN', 'NT'] as const) {
      const args = { batch: 1, m: n, n, k: n, transA: trans === 'TN', transB: trans === 'NT', aOffsets: null, bOffsets: null };
      for (let i = 0; i < 3; i++) sgemm(a, b, out, args);
      // enough reps for ~0.4 s (0.1 s with --quick), at least 5
      const t0 = performance.now();
      sgemm(a, b, out, args);
      const once = performance.now() - t0;
      const reps = Math.max(5, Math.min(200, Math.ceil((quick ? 100 : 400) / Math.max(once, 1e-3))));
      const ts: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t = performance.now();
        sgemm(a, b, out, args);
        ts.push(performance.now() - t);
      }
      ts.sort((x, y) => x - y);
      const med = ts[Math.floor(ts.length / 2)]!;
      const flop = 2 * n * n * n;
      entries.push({
        threads, n, trans, reps, ms: +med.toFixed(3),
        gflops: +(flop / med / 1e6).toFixed(1), bestGflops: +(flop / ts[0]! / 1e6).toFixed(1),
      });
    }
  }
}

console.log(JSON.stringify({
  peer: 'backprop-wasm', what: 'gemm', info: wasmInfo(), loadavgBefore: load0, loadavgAfter: loadavg()[0], entries,
}));
