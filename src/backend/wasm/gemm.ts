/**
 * Multi-threaded SIMD sgemm on the runtime's shared WebAssembly.Memory (runtime.ts).
 *
 * Per call: copy A and B into wasm memory (one TypedArray.set each), split the output into
 * tiles (tasks), let the calling thread and the workers claim tasks from a shared counter,
 * then copy C out. Each task packs its own B panel and A blocks (packing absorbs the
 * transposes) and runs the generated macro-kernel.
 */
import type { MatmulArgs } from '../backend.js';
import { ensureBytes, ensureWorkers, GemmError, init, requestedThreadCount, runtimeError, startAndWait, type Runtime } from './runtime.js';
import { CLOSED, Ctl, Job, MAX_TASKS, MR, NC, NR, runTask, SCRATCH_BYTES, writeJob, CTL_BYTES } from './tasks.js';

/** Below this many multiply-adds threads do not pay (measured: 512K MACs even, 884K 1.6x faster). */
const THREAD_MIN_MACS = 3 << 18;
/** rows per task: small enough that a descheduled thread leaves little behind, packing stays ~2% */
const TASK_TARGET_ROWS = 128;
const TASK_MIN_MACS = 1 << 16;

const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;
const align64 = (x: number): number => roundUp(x, 64);

interface Plan { mt: number; nt: number; tilesM: number; tilesN: number; batchPerTask: number; nTasks: number }

/** Tile the output so there are enough equal tasks for `threads` while packing stays cheap. */
function plan(batch: number, m: number, n: number, k: number, threads: number): Plan {
  let tilesN = Math.ceil(n / NC);
  let tilesM = Math.ceil(m / TASK_TARGET_ROWS);
  if (threads > 1) {
    const tasks = (): number => batch * tilesM * tilesN;
    const canM = (): boolean => Math.ceil(m / (tilesM + 1)) >= 2 * MR;
    const canN = (): boolean => Math.ceil(n / (tilesN + 1)) >= 2 * NR;
    // split the dimension whose tiles are currently larger
    const split = (): boolean => {
      if (canM() && (!canN() || m / tilesM >= n / tilesN)) tilesM++;
      else if (canN()) tilesN++;
      else return false;
      return true;
    };
    // a task also costs ~2 us of fixed overhead (JS driver, pack calls), so keep tasks >= ~64K MACs
    const maxTasks = Math.max(threads, Math.floor((batch * m * n * k) / TASK_MIN_MACS));
    while (tasks() < Math.min(4 * threads, maxTasks) && split());
    // with few tasks, a count that is a multiple of the thread count avoids a straggler
    for (let guard = 0; guard < threads && tasks() < 8 * threads && tasks() % threads !== 0 && split(); guard++);
  }
  const nt = roundUp(Math.ceil(n / tilesN), NR);
  tilesN = Math.ceil(n / nt);
  const mt = roundUp(Math.ceil(m / tilesM), MR);
  tilesM = Math.ceil(m / mt);
  const perItem = tilesM * tilesN;
  if (perItem > MAX_TASKS) throw new GemmError(`matmul: output ${m}x${n} needs ${perItem} tiles, limit ${MAX_TASKS}`);
  const batchPerTask = Math.ceil(batch / Math.floor(MAX_TASKS / perItem));
  return { mt, nt, tilesM, tilesN, batchPerTask, nTasks: Math.ceil(batch / batchPerTask) * perItem };
}

/** [lo, hi) element range covered by all batch items of one operand. */
function usedRange(offs: Int32Array | null, batch: number, size: number): [number, number] {
  if (!offs) return [0, batch * size];
  let lo = Infinity, hi = 0;
  for (let i = 0; i < batch; i++) {
    const o = offs[i]!;
    if (o < lo) lo = o;
    if (o + size > hi) hi = o + size;
  }
  return [lo, hi];
}

export function checkMatmulArgs(a: Float32Array, b: Float32Array, out: Float32Array, args: MatmulArgs): void {
  const { batch, m, n, k } = args;
  for (const [name, v] of [['batch', batch], ['m', m], ['n', n], ['k', k]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new GemmError(`matmul: ${name} must be a non-negative integer, got ${v}`);
  }
  if (out.length < batch * m * n) throw new GemmError(`matmul: out has ${out.length} elements, expected ${batch * m * n}`);
  const check = (x: Float32Array, offs: Int32Array | null, size: number, which: 'a' | 'b'): void => {
    if (!offs) {
      if (x.length < batch * size) throw new GemmError(`matmul: ${which} has ${x.length} elements, expected ${batch * size}`);
      return;
    }
    if (offs.length < batch) throw new GemmError(`matmul: ${which}Offsets has ${offs.length} entries, expected ${batch}`);
    for (let i = 0; i < batch; i++) {
      const o = offs[i] as number;
      if (o < 0 || o + size > x.length) {
        throw new GemmError(`matmul: ${which}Offsets[${i}] = ${o} needs ${o + size} elements, ${which} has ${x.length}`);
      }
    }
  };
  check(a, args.aOffsets, m * k, 'a');
  check(b, args.bOffsets, k * n, 'b');
}

/**
 * out[i] = op(A[i]) @ op(B[i]) for i < batch, float32, using the wasm kernels.
 * Throws GemmError if wasm SIMD is unavailable (check `wasmAvailable()` first).
 */
export function sgemm(a: Float32Array, b: Float32Array, out: Float32Array, args: MatmulArgs): void {
  checkMatmulArgs(a, b, out, args);
  const { batch, m, n, k, transA, transB } = args;
  if (batch === 0 || m === 0 || n === 0) return;
  if (k === 0) {
    out.fill(0, 0, batch * m * n);
    return;
  }
  const r = init();
  if (!r) throw new GemmError(`matmul: wasm backend unavailable (${runtimeError() ?? 'unknown'})`);

  const threads = r.shared && batch * m * n * k >= THREAD_MIN_MACS ? requestedThreadCount() : 1;
  const p = plan(batch, m, n, k, threads);
  const mPad = roundUp(m, MR), nPad = roundUp(n, NR);

  // only the element range the batch items actually use is copied in
  const aRange = usedRange(args.aOffsets, batch, m * k);
  const bRange = usedRange(args.bOffsets, batch, k * n);

  // memory layout: control | per-thread scratch | offsets | A | B | C
  const scratchBase = CTL_BYTES;
  const aOffPtr = align64(scratchBase + threads * SCRATCH_BYTES);
  const bOffPtr = align64(aOffPtr + batch * 4);
  const aBase = align64(bOffPtr + batch * 4);
  const bBase = align64(aBase + (aRange[1] - aRange[0]) * 4);
  const cBase = align64(bBase + (bRange[1] - bRange[0]) * 4);
  ensureBytes(r, cBase + batch * mPad * nPad * 4);

  const f32 = r.f32;
  const i32 = new Int32Array(f32.buffer);
  const aOff = i32.subarray(aOffPtr >> 2, (aOffPtr >> 2) + batch);
  const bOff = i32.subarray(bOffPtr >> 2, (bOffPtr >> 2) + batch);
  for (let i = 0; i < batch; i++) {
    aOff[i] = (args.aOffsets ? args.aOffsets[i]! : i * m * k) - aRange[0];
    bOff[i] = (args.bOffsets ? args.bOffsets[i]! : i * k * n) - bRange[0];
  }
  f32.set(a.subarray(aRange[0], aRange[1]), aBase >> 2);
  f32.set(b.subarray(bRange[0], bRange[1]), bBase >> 2);

  const job: Job = {
    m, n, k, mPad, nPad, transA, transB, aBase, bBase, cBase, aOff, bOff, batch,
    mt: p.mt, nt: p.nt, tilesM: p.tilesM, tilesN: p.tilesN, batchPerTask: p.batchPerTask,
    scratchBase, nTasks: p.nTasks,
  };

  if (threads === 1) {
    for (let t = 0; t < job.nTasks; t++) runTask(r.ex, job, 0, t);
  } else {
    runThreaded(r, job, aOffPtr, bOffPtr, threads);
  }

  // copy out: squeeze out the padding rows/cols inside wasm memory, then one set
  if (nPad !== n || (mPad !== m && batch > 1)) r.ex.compact(cBase, batch, m, mPad, n * 4, nPad * 4);
  out.set(f32.subarray(cBase >> 2, (cBase >> 2) + batch * m * n));
}

function runThreaded(r: Runtime, job: Job, aOffPtr: number, bOffPtr: number, threads: number): void {
  ensureWorkers(r, threads - 1);
  const ctl = r.ctl;
  // close claiming before rewriting parameters (see claimTasks)
  Atomics.store(ctl, Ctl.Claim, CLOSED);
  writeJob(ctl, job, aOffPtr, bOffPtr, threads);
  startAndWait(r, job.nTasks, (t) => runTask(r.ex, job, 0, t));
}
