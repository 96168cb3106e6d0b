/**
 * The part of the GEMM driver that runs on every thread (main and workers): the job protocol
 * over a shared Int32 control block, and the blocked loop of one output tile.
 *
 * Determinism: an output element is always computed by the same sequence of operations
 * (k blocks whose size depends only on k, in order, each accumulated by the micro-kernel
 * lane-sequentially), no matter which thread runs its tile or how the output was tiled.
 * Results are therefore bitwise identical across runs and across thread counts.
 */

/** Micro-tile and cache blocking. MR x NR = 4 x 12 measured fastest under V8 on x64. */
export const MR = 4;
export const NV = 3;
export const NR = NV * 4;
export const KC = 256;
/** rows of A packed at once (A block = MC x KC floats, stays in L2) */
export const MC = 128;
/** widest B panel a task packs (KC x NC floats) */
export const NC = 516;
/** per-thread scratch: packed A block + packed B panel */
export const SCRATCH_BYTES = (MC * KC + KC * NC) * 4;
/** control block at the start of memory */
export const CTL_BYTES = 4096;

/** Int32 indices into the control block. */
export const enum Ctl {
  Gen = 0,
  /** (gen & 0x7fff) << 16 | next task index; CLOSED while a job is being written */
  Claim = 1,
  Done = 2,
  Error = 3,
  NThreads = 4,
  NTasks = 5,
  M = 6, N = 7, K = 8, MPad = 9, NPad = 10, TransA = 11, TransB = 12,
  ABase = 13, BBase = 14, CBase = 15, AOffPtr = 16, BOffPtr = 17, Batch = 18,
  MT = 19, NT = 20, TilesM = 21, TilesN = 22, BatchPerTask = 23, ScratchBase = 24,
  /** what the tasks of the job are: 0 GEMM tiles, else a kind of parallel.ts with its Args */
  Kind = 25,
  Args = 26,
  Count = 26 + 64,
}
/** int32 slots a non-GEMM job's arguments may use */
export const MAX_ARGS = 64;
export const CLOSED = -1;
export const MAX_TASKS = 0xffff;

export interface GemmKernels {
  macro(pa: number, pb: number, pc: number, mc: number, nc: number, kc: number, ldc: number, accum: number): void;
  packA(dst: number, src: number, kc: number, w: number, sp: number, sw: number): void;
  packB(dst: number, src: number, kc: number, w: number, sp: number, sw: number): void;
  packARows(dst: number, src: number, kc: number, strips: number, sp: number): void;
  packBRows(dst: number, src: number, kc: number, strips: number, sp: number): void;
  compact(base: number, batch: number, m: number, mPad: number, nBytes: number, nPadBytes: number): void;
}

/** k block size: at most KC, and equal-sized blocks so no block is a sliver (depends on k only). */
export function kBlock(k: number): number {
  return Math.ceil(k / Math.ceil(k / KC));
}

export interface Job {
  m: number; n: number; k: number; mPad: number; nPad: number;
  transA: boolean; transB: boolean;
  /** byte addresses in wasm memory */
  aBase: number; bBase: number; cBase: number;
  /** element offsets per batch item (already resolved; contiguous batches get i*m*k etc.) */
  aOff: Int32Array; bOff: Int32Array;
  batch: number;
  mt: number; nt: number; tilesM: number; tilesN: number; batchPerTask: number;
  scratchBase: number;
  nTasks: number;
}

const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;

/** Compute task `idx` of `job` using the scratch area of thread `slot`. */
export function runTask(ex: GemmKernels, job: Job, slot: number, idx: number): void {
  const { m, n, k, mPad, nPad, transA, transB, mt: MT, nt: NT, tilesM, tilesN } = job;
  const perItem = tilesM * tilesN;
  const group = Math.floor(idx / perItem);
  const rem = idx - group * perItem;
  const ti = Math.floor(rem / tilesN);
  const tj = rem - ti * tilesN;
  const m0 = ti * MT, mt = Math.min(MT, m - m0);
  const n0 = tj * NT, nt = Math.min(NT, n - n0);
  const ntPad = roundUp(nt, NR);
  const pA = job.scratchBase + slot * SCRATCH_BYTES;
  const pB = pA + MC * KC * 4;
  const bEndItem = Math.min(job.batch, (group + 1) * job.batchPerTask);
  const kb = kBlock(k);
  for (let b = group * job.batchPerTask; b < bEndItem; b++) {
    const aB = job.aBase + job.aOff[b] * 4;
    const bB = job.bBase + job.bOff[b] * 4;
    const cTile = job.cBase + (b * mPad * nPad + m0 * nPad + n0) * 4;
    for (let pc = 0; pc < k; pc += kb) {
      const kc = Math.min(kb, k - pc);
      // B panel: full strips in one row-streaming call, then a possibly partial last strip
      const full = Math.floor(nt / NR);
      if (transB) {
        for (let j = 0; j < ntPad; j += NR) {
          ex.packB(pB + j * kc * 4, bB + ((n0 + j) * k + pc) * 4, kc, Math.min(NR, n - n0 - j), 4, k * 4);
        }
      } else {
        if (full > 0) ex.packBRows(pB, bB + (pc * n + n0) * 4, kc, full, n * 4);
        if (full * NR < nt) {
          const j = full * NR;
          ex.packB(pB + j * kc * 4, bB + (pc * n + n0 + j) * 4, kc, nt - j, n * 4, 4);
        }
      }
      for (let i0 = 0; i0 < mt; i0 += MC) {
        const mc = Math.min(MC, mt - i0);
        const mcPad = roundUp(mc, MR);
        const r0 = m0 + i0;
        if (transA) {
          const fullA = Math.floor(mc / MR);
          if (fullA > 0) ex.packARows(pA, aB + (pc * m + r0) * 4, kc, fullA, m * 4);
          if (fullA * MR < mc) {
            const i = fullA * MR;
            ex.packA(pA + i * kc * 4, aB + (pc * m + r0 + i) * 4, kc, mc - i, m * 4, 4);
          }
        } else {
          for (let i = 0; i < mcPad; i += MR) {
            ex.packA(pA + i * kc * 4, aB + ((r0 + i) * k + pc) * 4, kc, Math.min(MR, mc - i), 4, k * 4);
          }
        }
        ex.macro(pA, pB, cTile + i0 * nPad * 4, mcPad, ntPad, kc, nPad * 4, pc > 0 ? 1 : 0);
      }
    }
  }
}

/** @internal Worker side: read the job the main thread published in the control block. */
export function readJob(ctl: Int32Array, memory: WebAssembly.Memory): Job {
  const L = (i: Ctl): number => Atomics.load(ctl, i);
  const batch = L(Ctl.Batch);
  const buf = memory.buffer;
  return {
    m: L(Ctl.M), n: L(Ctl.N), k: L(Ctl.K), mPad: L(Ctl.MPad), nPad: L(Ctl.NPad),
    transA: L(Ctl.TransA) !== 0, transB: L(Ctl.TransB) !== 0,
    aBase: L(Ctl.ABase), bBase: L(Ctl.BBase), cBase: L(Ctl.CBase),
    aOff: new Int32Array(buf, L(Ctl.AOffPtr), batch), bOff: new Int32Array(buf, L(Ctl.BOffPtr), batch),
    batch, mt: L(Ctl.MT), nt: L(Ctl.NT), tilesM: L(Ctl.TilesM), tilesN: L(Ctl.TilesN),
    batchPerTask: L(Ctl.BatchPerTask), scratchBase: L(Ctl.ScratchBase), nTasks: L(Ctl.NTasks),
  };
}

export function writeJob(ctl: Int32Array, job: Job, aOffPtr: number, bOffPtr: number, nThreads: number): void {
  const S = (i: Ctl, v: number): void => { Atomics.store(ctl, i, v); };
  S(Ctl.Kind, 0);
  S(Ctl.NThreads, nThreads); S(Ctl.NTasks, job.nTasks);
  S(Ctl.M, job.m); S(Ctl.N, job.n); S(Ctl.K, job.k); S(Ctl.MPad, job.mPad); S(Ctl.NPad, job.nPad);
  S(Ctl.TransA, job.transA ? 1 : 0); S(Ctl.TransB, job.transB ? 1 : 0);
  S(Ctl.ABase, job.aBase); S(Ctl.BBase, job.bBase); S(Ctl.CBase, job.cBase);
  S(Ctl.AOffPtr, aOffPtr); S(Ctl.BOffPtr, bOffPtr); S(Ctl.Batch, job.batch);
  S(Ctl.MT, job.mt); S(Ctl.NT, job.nt); S(Ctl.TilesM, job.tilesM); S(Ctl.TilesN, job.tilesN);
  S(Ctl.BatchPerTask, job.batchPerTask); S(Ctl.ScratchBase, job.scratchBase);
}

/**
 * Claim and run tasks of generation `gen` until none are left. A claim only succeeds while the
 * claim word still carries this generation, so a thread that woke late for an old job (and may
 * have read half-written parameters of the next one) never runs anything.
 */
export function claimTasks(ctl: Int32Array, nTasks: number, gen: number, run: (idx: number) => void): void {
  const tag = (gen & 0x7fff) << 16;
  for (;;) {
    const v = Atomics.load(ctl, Ctl.Claim);
    if (v === CLOSED || (v & 0x7fff0000) !== tag) return;
    const idx = v & 0xffff;
    if (idx >= nTasks) return;
    if (Atomics.compareExchange(ctl, Ctl.Claim, v, v + 1) !== v) continue;
    try {
      run(idx);
    } catch {
      Atomics.store(ctl, Ctl.Error, 1);
    }
    if (Atomics.add(ctl, Ctl.Done, 1) + 1 === nTasks) Atomics.notify(ctl, Ctl.Done);
  }
}

/** The task function of a non-GEMM job (kind, arguments) for a thread slot; see parallel.ts. */
export type TaskRunner = (kind: number, args: Int32Array, slot: number) => (idx: number) => void;

/** @internal Worker side: wait for jobs forever (the worker is unref'd, so this never holds the process). */
export function workerLoop(memory: WebAssembly.Memory, ex: GemmKernels, slot: number, runner: TaskRunner): never {
  const ctl = new Int32Array(memory.buffer, 0, Ctl.Count);
  let seen = 0;
  for (;;) {
    // spin ~0.1 ms first: back-to-back matmuls (training loops) then start without a futex wake-up
    for (let i = 0; i < 100000 && Atomics.load(ctl, Ctl.Gen) === seen; i++);
    while (Atomics.load(ctl, Ctl.Gen) === seen) Atomics.wait(ctl, Ctl.Gen, seen);
    seen = Atomics.load(ctl, Ctl.Gen);
    if (slot >= Atomics.load(ctl, Ctl.NThreads)) continue;
    let nTasks: number;
    let run: (idx: number) => void;
    try {
      const kind = Atomics.load(ctl, Ctl.Kind);
      nTasks = Atomics.load(ctl, Ctl.NTasks);
      if (kind === 0) {
        const job = readJob(ctl, memory);
        run = (t) => runTask(ex, job, slot, t);
      } else {
        const args = new Int32Array(MAX_ARGS);
        for (let i = 0; i < MAX_ARGS; i++) args[i] = Atomics.load(ctl, Ctl.Args + i);
        run = runner(kind, args, slot);
      }
    } catch {
      continue; // woke so late that the next job is being written; its claim tag will differ anyway
    }
    claimTasks(ctl, nTasks, seen, run);
  }
}
