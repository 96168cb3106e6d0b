/**
 * The GPU benchmark's shared parts: workloads, the JSON line each child prints, timing of
 * pipelined steps, and navigator.gpu from Dawn for the peers in Node.
 *
 *   node build/bench/gpu/run.js [--quick]           every library, one child process per (library, workload)
 *   node build/bench/gpu/own.js  --what mlp [--quick]
 *   node build/bench/gpu/tfjs.js --what gemm
 *   node build/bench/gpu/jax.js  --what lenet
 *
 * Steps are timed as a GPU runs them: K steps are queued, then one wait for the last; the
 * per-step time is the median over several such runs. --quick shrinks every workload (a
 * check that the script runs, e.g. on SwiftShader; never a speed measurement).
 */
import { availableParallelism } from 'node:os';
import { glorot, median, randomF32, randomLabels, round } from '../common.js';

export { glorot, randomF32, randomLabels, round };

export type GpuWhat = 'mlp' | 'gemm' | 'lenet';
export const GPU_WHATS: readonly GpuWhat[] = ['mlp', 'gemm', 'lenet'];
export type Trans = 'NN' | 'TN' | 'NT';
export const TRANS: readonly Trans[] = ['NN', 'TN', 'NT'];

export interface MlpSpec { name: string; sizes: [number, number, number, number]; batch: number; lr: number }

/** The two MLP steps of issue 8 (sigmoid hidden layers, mean softmax cross-entropy, SGD). */
export function mlpSpecs(quick: boolean): MlpSpec[] {
  return quick
    ? [{ name: '784-64-64-10 B=32 (quick)', sizes: [784, 64, 64, 10], batch: 32, lr: 0.1 }]
    : [
      { name: '784-1024-1024-10 B=128', sizes: [784, 1024, 1024, 10], batch: 128, lr: 0.1 },
      { name: '784-4096-4096-10 B=1024', sizes: [784, 4096, 4096, 10], batch: 1024, lr: 0.1 },
    ];
}
export const gemmSize = (quick: boolean): number => (quick ? 256 : 4096);
export const lenetBatch = (quick: boolean): number => (quick ? 16 : 256);
export const LENET_LR = 0.1;

export interface GpuMlpEntry {
  name: string;
  batch: number;
  fwdMs: number;
  stepMs: number;
  samplesPerSec: number;
  /** step / forward */
  stepOverFwd: number;
  /** the first two training losses from the shared init (they agree across libraries) */
  losses: number[];
  dispatchesPerStep?: number;
  submissionsPerStep?: number;
}

export interface GpuGemmEntry { n: number; trans: Trans; ms: number; tflops: number }

export interface GpuLenetEntry {
  batch: number;
  stepMs: number;
  samplesPerSec: number;
  losses: number[];
  dispatchesPerStep?: number;
  submissionsPerStep?: number;
}

export interface GpuResult {
  lib: string;
  what: GpuWhat;
  /** the library and its settings */
  config: string;
  /** the adapter as the library's WebGPU reports it */
  adapter: string;
  mlp?: GpuMlpEntry[];
  gemm?: GpuGemmEntry[];
  lenet?: GpuLenetEntry;
  error?: string;
}

export function parseGpuArgs(argv: readonly string[] = process.argv.slice(2)): { what: GpuWhat; quick: boolean } {
  const i = argv.indexOf('--what');
  const what = (i >= 0 ? argv[i + 1] : '') as GpuWhat;
  if (!GPU_WHATS.includes(what)) throw new Error(`--what must be one of ${GPU_WHATS.join(', ')} (got "${what}")`);
  return { what, quick: argv.includes('--quick') || process.env['BENCH_QUICK'] === '1' };
}

/** Prints the result line and exits (GPU libraries keep handles open). */
export function emitGpu(r: GpuResult): never {
  process.stdout.write('\n' + JSON.stringify(r) + '\n', () => process.exit(0));
  return undefined as never;
}

/** Runs a child's body; an exception becomes a result line with `error`. */
export function runGpuChild(lib: string, what: GpuWhat, body: () => Promise<GpuResult>): void {
  body().then(emitGpu, (e: unknown) => emitGpu({ lib, what, config: '', adapter: '', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
}

/**
 * Milliseconds per step: `steps` steps queued, then `wait` for the last; after a warm-up run,
 * the median of `runs` runs. `step` returns what `wait` needs (e.g. the loss).
 */
export async function timePipelined<T>(step: () => T, wait: (last: T) => Promise<unknown>, opts: { steps: number; runs: number }): Promise<number> {
  const run = async (): Promise<number> => {
    const t0 = performance.now();
    let last: T | undefined;
    for (let i = 0; i < opts.steps; i++) last = step();
    await wait(last!);
    return (performance.now() - t0) / opts.steps;
  };
  await run();
  const samples: number[] = [];
  for (let i = 0; i < opts.runs; i++) samples.push(await run());
  return median(samples);
}

export const tflops = (n: number, ms: number): number => round((2 * n * n * n) / (ms / 1000) / 1e12, 3);

/** Dawn's navigator.gpu (and the GPU* constants) as a browser has them, for libraries that look there. */
export async function installNavigatorGpu(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return;
  const name = 'webgpu';
  const dawn = await import(name) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  // Node 20 has no navigator; libraries also read its userAgent (jax-js) and hardwareConcurrency
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js/${process.version}`, hardwareConcurrency: availableParallelism() }, configurable: true });
}
