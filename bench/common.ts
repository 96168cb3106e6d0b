/**
 * Shared pieces of the benchmark harness: the JSON contract every measurement
 * process prints, argument parsing, timing helpers and workload definitions.
 *
 * Every measurement group runs in its own child process:
 *
 *   node build/bench/peers/tfjs.js --peer tfjs-wasm --what gemm
 *   node build/bench/peers/jax.js  --peer jax-wasm  --what mlp
 *   node build/bench/own.js        --peer backprop-js --what lenet
 *
 * and prints exactly one JSON line (a {@link GroupResult} or a
 * {@link SkippedResult}) as the last line of stdout.
 */
import * as os from 'node:os';

/** Which measurement group a child process runs. */
export type What = 'gemm' | 'mlp' | 'lenet' | 'gpt';
export const WHATS: readonly What[] = ['gemm', 'mlp', 'lenet', 'gpt'];

/** Transpose variants: NN = A·B, TN = Aᵀ·B, NT = A·Bᵀ (all square n×n). */
export type Trans = 'NN' | 'TN' | 'NT';
export const TRANS: readonly Trans[] = ['NN', 'TN', 'NT'];
export const GEMM_SIZES: readonly number[] = [256, 512, 1024];

/** One GEMM measurement. `gflops`/`ms` are null when `na` explains why. */
export interface GemmEntry {
  n: number;
  trans: Trans;
  /** 2·n³ / median seconds / 1e9. */
  gflops: number | null;
  /** Median wall-clock ms of one multiply including forcing the result. */
  ms: number | null;
  reps: number;
  na?: string;
}

/**
 * MLP 784-1024-1024-10, sigmoid hidden, softmax cross-entropy (mean over the
 * batch), plain SGD lr 0.1, batch 128, random inputs and labels.
 * All times are medians in ms, with the result forced (data read back / block
 * until ready).
 */
export interface MlpResult {
  batch: number;
  /** Forward pass up to and including the scalar loss. */
  fwdMs: number | null;
  /** Loss plus gradients w.r.t. all parameters (no update). */
  fwdBwdMs: number | null;
  /** Full training step: loss, gradients, SGD update of all parameters. */
  stepMs: number | null;
  /** batch / (stepMs / 1000). */
  samplesPerSec: number | null;
  reps: { fwd: number; fwdBwd: number; step: number };
  /**
   * Cross-library sanity check: the loss returned by the first two training
   * steps from the shared deterministic initialisation (same data, same
   * math, so these should agree across libraries to ~1e-3).
   */
  sanityLosses?: number[];
  na?: string;
  /** webgpu only: kernels dispatched and command buffers submitted per training step */
  dispatchesPerStep?: number;
  submissionsPerStep?: number;
}

/**
 * LeNet-5 on 28×28×1, batch 64: conv 6@5×5 pad 2 → relu → maxpool 2 →
 * conv 16@5×5 (valid) → relu → maxpool 2 → flatten(400) → dense 120 → relu →
 * dense 84 → relu → dense 10 → softmax cross-entropy, SGD lr 0.1.
 */
export interface LenetResult {
  batch: number;
  stepMs: number | null;
  samplesPerSec: number | null;
  reps: number;
  /** See MlpResult.sanityLosses. */
  sanityLosses?: number[];
  na?: string;
  /** webgpu only: kernels dispatched and command buffers submitted per training step */
  dispatchesPerStep?: number;
  submissionsPerStep?: number;
}

/**
 * A character GPT training step in nanoGPT's small CPU configuration (4 layers, 4 heads, width
 * 128, context 64, vocabulary 65, batch 12, no biases, no dropout): forward, mean cross-entropy,
 * backward, gradient clipping to norm 1 and an AdamW step (betas 0.9/0.99, weight decay 0.1 on
 * the matrices), the loss read back. The same few random batches cycle.
 */
export interface GptResult {
  batch: number;
  block: number;
  stepMs: number | null;
  stepsPerSec: number | null;
  tokensPerSec: number | null;
  reps: number;
  /** loss of the first two steps (from the library's own init: comparable only roughly, ~ln 65 = 4.17) */
  sanityLosses?: number[];
  na?: string;
  /** webgpu only: kernels dispatched and command buffers submitted per training step */
  dispatchesPerStep?: number;
  submissionsPerStep?: number;
}

/** The JSON line printed by a measurement process that ran. */
export interface GroupResult {
  peer: string;
  what: What;
  /** Free-form description of the configuration (backend, threads, SIMD, jit...). */
  config: string;
  /** process.resourceUsage().maxRSS converted to MiB, read at the very end. */
  maxRssMB: number;
  /** Wall-clock seconds the whole child took (set by the driver if absent). */
  wallSec?: number;
  /** Which sweep of the driver produced this (set by the driver). */
  sweep?: number;
  /** os.loadavg()[0] when the process started and when it finished (filled in by emit()). */
  loadAvg?: [number, number];
  gemm?: GemmEntry[];
  mlp?: MlpResult;
  lenet?: LenetResult;
  gpt?: GptResult;
  notes?: string[];
  /**
   * Set on the lines a child prints after each finished row (bench/own.ts on webgpu), so that a
   * crash later in the process (Dawn has crashed on large dispatches) keeps the rows before it.
   */
  partial?: boolean;
}

/** The JSON line printed by a measurement process that could not run at all. */
export interface SkippedResult {
  skipped: string;
  peer?: string;
  what?: What;
  maxRssMB?: number;
}

export type ChildOutput = GroupResult | SkippedResult;

export function isSkipped(r: ChildOutput): r is SkippedResult {
  return typeof (r as SkippedResult).skipped === 'string';
}

// ---------------------------------------------------------------------------
// Workload constants (shared so every library measures the same thing)

export const MLP = { sizes: [784, 1024, 1024, 10] as const, batch: 128, lr: 0.1 };
export const LENET = { batch: 64, lr: 0.1, classes: 10 };
export const GPT = {
  vocab: 65, block: 64, layers: 4, heads: 4, embd: 128, batch: 12,
  lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, clip: 1,
  /** distinct random batches the steps cycle through */
  batches: 4,
};

/** Random token ids in [0, vocab) for `batches` batches of [batch, block + 1] (inputs and their next tokens). */
export function randomTokens(seed: number): Int32Array[] {
  const r = rng(seed);
  return Array.from({ length: GPT.batches }, () => Int32Array.from({ length: GPT.batch * (GPT.block + 1) }, () => Math.min(GPT.vocab - 1, Math.floor(r() * GPT.vocab))));
}

/** Splits a [batch, block + 1] token batch into inputs and targets [batch, block]. */
export function inputsAndTargets(tokens: Int32Array): [Int32Array, Int32Array] {
  const { batch, block } = GPT;
  const x = new Int32Array(batch * block), y = new Int32Array(batch * block);
  for (let b = 0; b < batch; b++) {
    x.set(tokens.subarray(b * (block + 1), b * (block + 1) + block), b * block);
    y.set(tokens.subarray(b * (block + 1) + 1, (b + 1) * (block + 1)), b * block);
  }
  return [x, y];
}

/** A GptResult from the step timing. */
export function gptResult(step: Timing, sanityLosses: number[]): GptResult {
  const { batch, block } = GPT;
  return {
    batch, block, stepMs: round(step.medianMs, 2), stepsPerSec: round(1000 / step.medianMs, 2),
    tokensPerSec: round((batch * block * 1000) / step.medianMs, 0), reps: step.reps, sanityLosses,
  };
}

// ---------------------------------------------------------------------------
// Arguments

export interface Args {
  peer: string;
  what: What;
  /** --quick: minimal reps, for smoke tests. */
  quick: boolean;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Args {
  let peer = '';
  let what = '';
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--peer') peer = argv[++i] ?? '';
    else if (a === '--what') what = argv[++i] ?? '';
    else if (a === '--quick') quick = true;
  }
  if (!WHATS.includes(what as What)) {
    throw new Error(`--what must be one of ${WHATS.join(', ')} (got "${what}")`);
  }
  return { peer, what: what as What, quick: quick || process.env['BENCH_QUICK'] === '1' };
}

// ---------------------------------------------------------------------------
// Output

export function maxRssMB(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

const loadAtStart = os.loadavg()[0] ?? 0;

/** Print the single result line and exit (libraries may keep handles open). */
export function emit(result: ChildOutput): never {
  if (!isSkipped(result) && !result.loadAvg) result.loadAvg = [round(loadAtStart), round(os.loadavg()[0] ?? 0)];
  process.stdout.write('\n' + JSON.stringify(result) + '\n', () => process.exit(0));
  // process.exit in the callback; keep TS happy about `never`.
  return undefined as never;
}

/**
 * Prints a result so far (marked partial) as one line, without exiting: the driver keeps the
 * last such line if the process dies before emit().
 */
export function emitPartial(result: GroupResult): void {
  process.stdout.write('\n' + JSON.stringify({ ...result, partial: true }) + '\n');
}

/** Run `main`, turning any exception into a skipped line rather than a crash. */
export function runChild(args: Args, main: () => Promise<GroupResult>): void {
  main().then(
    (r) => emit(r),
    (e: unknown) => {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      emit({ skipped: `error: ${msg}`, peer: args.peer, what: args.what, maxRssMB: maxRssMB() });
    },
  );
}

// ---------------------------------------------------------------------------
// Timing

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface TimeOpts {
  /** Smoke-test mode: one warm-up, one timed rep. */
  quick?: boolean;
  /** Fast path: at least this many timed reps (default 7). */
  minReps?: number;
  /** Fast path: at most this many timed reps (default 30). */
  maxReps?: number;
  /** Fast path: stop after minReps once this much timed wall-clock was spent (default 2000). */
  budgetMs?: number;
  /**
   * If the first timed rep (after one warm-up, which absorbs compilation/jit)
   * takes longer than this, switch to the slow path: no further warm-up and
   * only `slowReps` timed reps in total (defaults 400 ms, 3 reps).
   */
  slowMs?: number;
  slowReps?: number;
}

export interface Timing {
  medianMs: number;
  reps: number;
  samples: number[];
}

/** An MlpResult from the three timings every library measures the same way. */
export function mlpResult(batch: number, fwd: Timing, fwdBwd: Timing, step: Timing, sanityLosses: MlpResult['sanityLosses']): MlpResult {
  return {
    batch,
    fwdMs: round(fwd.medianMs, 3),
    fwdBwdMs: round(fwdBwd.medianMs, 3),
    stepMs: round(step.medianMs, 3),
    samplesPerSec: round(batch / (step.medianMs / 1000), 1),
    reps: { fwd: fwd.reps, fwdBwd: fwdBwd.reps, step: step.reps },
    sanityLosses,
  };
}

/** A LenetResult from the training-step timing, rounded as every library's is. */
export function lenetResult(batch: number, step: Timing, sanityLosses: number[]): LenetResult {
  return {
    batch, stepMs: round(step.medianMs, 3), samplesPerSec: round(batch / (step.medianMs / 1000), 1), reps: step.reps,
    sanityLosses,
  };
}

/** One GEMM row from its timing, rounded as every library's is. */
export function gemmEntry(n: number, trans: Trans, t: Timing): GemmEntry {
  return { n, trans, gflops: round(gflops(n, t.medianMs)), ms: round(t.medianMs, 3), reps: t.reps };
}

/**
 * Time `fn` (which must force completion of its work before resolving) and
 * return the median over the timed reps. Always one untimed warm-up first.
 * Fast workloads get a second warm-up and then repeat until both `minReps` and
 * `budgetMs` are satisfied; slow ones (first timed rep > `slowMs`) get only
 * `slowReps` timed reps so that slow peers do not blow the time budget.
 */
export async function timeIt(fn: () => unknown | Promise<unknown>, o: TimeOpts = {}): Promise<Timing> {
  const minReps = o.minReps ?? 7;
  const maxReps = o.maxReps ?? 30;
  const budgetMs = o.budgetMs ?? 2000;
  const slowMs = o.slowMs ?? 400;
  const slowReps = o.slowReps ?? 3;
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  await once(); // warm-up (compilation, allocation, jit)
  const first = await once();
  if (o.quick) return { medianMs: first, reps: 1, samples: [first] };
  const samples: number[] = [];
  if (first > slowMs) {
    samples.push(first);
    while (samples.length < slowReps) samples.push(await once());
    return { medianMs: median(samples), reps: samples.length, samples };
  }
  // `first` counted as a second warm-up.
  const start = performance.now();
  while (samples.length < maxReps) {
    samples.push(await once());
    if (samples.length >= minReps && performance.now() - start >= budgetMs) break;
  }
  return { medianMs: median(samples), reps: samples.length, samples };
}

/** Timing policy for one GEMM variant. */
export function gemmOpts(quick: boolean): TimeOpts {
  return { quick, minReps: 5, maxReps: 60, budgetMs: 1000, slowMs: 400, slowReps: 3 };
}

/** Timing policy for a training-step style measurement. */
export function stepOpts(quick: boolean): TimeOpts {
  return { quick, minReps: 7, maxReps: 30, budgetMs: 2500, slowMs: 400, slowReps: 3 };
}

// ---------------------------------------------------------------------------
// Data

/** Small deterministic PRNG (mulberry32) so every library sees the same data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform(-scale, scale) Float32Array. */
export function randomF32(len: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/** Glorot-uniform init for a fanIn×fanOut weight. */
export function glorot(fanIn: number, fanOut: number, len: number, seed: number): Float32Array {
  return randomF32(len, seed, Math.sqrt(6 / (fanIn + fanOut)));
}

/** Random integer labels in [0, classes). */
export function randomLabels(batch: number, classes: number, seed: number): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(batch);
  for (let i = 0; i < batch; i++) out[i] = Math.min(classes - 1, Math.floor(r() * classes));
  return out;
}

/** Dense one-hot batch×classes float matrix. */
export function oneHotF32(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]!] = 1;
  return out;
}

export function gflops(n: number, ms: number): number {
  return (2 * n * n * n) / (ms / 1000) / 1e9;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
