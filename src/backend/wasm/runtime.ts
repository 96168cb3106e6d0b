/**
 * The WebAssembly runtime every wasm kernel runs on: feature probes (SIMD, relaxed SIMD, shared
 * memory), one WebAssembly.Memory shared by the calling thread and the workers, the modules
 * instantiated on it (GEMM, elementwise maps, row kernels), and the job protocol that splits a
 * kernel's tasks across threads (tasks.ts). Workers start lazily on first threaded use and are
 * unref'd so they never keep a Node process alive.
 */
import { BackpropError } from '../../errors.js';
import { genGemmModule, MEMORY_MAX_PAGES, relaxedSimdSupported, simdSupported } from './kernels.js';
import { genElementwiseModule, type ElementwiseKernels } from './elementwise.js';
import { genRowsModule, type RowKernels } from './rows-kernels.js';
import { taskRunner, type ThreadKernels } from './parallel.js';
import { claimTasks, CLOSED, Ctl, CTL_BYTES, type GemmKernels, KC, MAX_ARGS, MC, MR, NR, SCRATCH_BYTES } from './tasks.js';

/** Thrown for invalid GEMM arguments or an unusable wasm runtime. */
export class GemmError extends BackpropError {}

/** The operands do not fit in wasm memory (2 GiB, or the engine refused to grow it). */
export class WasmMemoryError extends GemmError {}

// ---- environment -------------------------------------------------------------------------

interface NodeProcessLike {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
}
const proc = (globalThis as { process?: NodeProcessLike }).process;
const isNode = !!proc?.versions?.node;

// Node builtins are loaded once at module load (top-level await keeps matmul synchronous later).
const nodeWT = isNode ? await import('node:worker_threads') : null;
const nodeOS = isNode ? await import('node:os') : null;

function envInt(name: string): number | null {
  const s = proc?.env?.[name];
  if (s === undefined || s === '') return null;
  const v = Number(s);
  return Number.isInteger(v) && v >= 1 ? v : null;
}

function hardwareThreads(): number {
  if (nodeOS) return typeof nodeOS.availableParallelism === 'function' ? nodeOS.availableParallelism() : nodeOS.cpus().length;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

const MAX_THREADS = 64;
let requestedThreads = Math.min(MAX_THREADS, envInt('BACKPROP_THREADS') ?? hardwareThreads());

/** @internal Threads asked for (setNumThreads, BACKPROP_THREADS, else every core). */
export const requestedThreadCount = (): number => requestedThreads;

// ---- runtime (lazy) ----------------------------------------------------------------------

interface WorkerHandle { terminate(): unknown }

/** @internal */
export interface Runtime {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /**
   * every module the threads instantiate on the shared memory; the elementwise and row kernels
   * are compiled on first use (see extras), as a browser main thread cannot compile them
   */
  modules: { gemm: WebAssembly.Module; elementwise: WebAssembly.Module | null; rows: WebAssembly.Module | null };
  ex: GemmKernels;
  ew: ElementwiseKernels | null;
  rows: RowKernels | null;
  /** why the extra modules could not be compiled here, once tried */
  extrasFailed: boolean;
  shared: boolean;
  relaxed: boolean;
  ctl: Int32Array;
  f32: Float32Array;
  workers: WorkerHandle[];
  gen: number;
  canWait: boolean;
}

let rt: Runtime | null = null;
let rtFailed: string | null = null;

/** @internal Why the runtime could not be created, once tried. */
export const runtimeError = (): string | null => rtFailed;

const PAGE = 65536;
const INITIAL_PAGES = 64;

function enableRelaxedFlag(): void {
  // Opt-in for Node 20, where relaxed SIMD (fused multiply-add) is still behind a V8 flag.
  if (!isNode || proc?.env?.BACKPROP_WASM_RELAXED !== '1') return;
  try {
    const g = (proc as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    const v8 = g?.('node:v8') as { setFlagsFromString(f: string): void } | undefined;
    v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // keep plain SIMD
  }
}

function makeMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MEMORY_MAX_PAGES, shared });
}

/** @internal The runtime, created on first use; null where wasm SIMD is unavailable (see runtimeError). */
export function init(): Runtime | null {
  if (rt || rtFailed) return rt;
  try {
    rt = create();
  } catch (e) {
    rtFailed = e instanceof Error ? e.message : String(e);
  }
  return rt;
}

function create(): Runtime {
  if (typeof WebAssembly !== 'object' || !simdSupported()) throw new GemmError('WebAssembly SIMD is not available');
  enableRelaxedFlag();
  const relaxed = relaxedSimdSupported();
  let shared = typeof SharedArrayBuffer === 'function';
  let memory: WebAssembly.Memory;
  try {
    memory = makeMemory(shared);
  } catch {
    shared = false;
    memory = makeMemory(false);
  }
  if (!shared && requestedThreads > 1) {
    console.warn('backprop: shared WebAssembly memory unavailable (needs cross-origin isolation); wasm matmul runs single-threaded');
  }
  // unroll 2 runs as fast as 4 and keeps the module under 4 KB, the size browsers still allow
  // to compile synchronously on a main thread
  const bytes = genGemmModule({ mr: MR, nv: NR / 4, unroll: 2, relaxed }, shared, INITIAL_PAGES);
  const module = new WebAssembly.Module(bytes);
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  const r: Runtime = {
    memory, module, modules: { gemm: module, elementwise: null, rows: null }, ex: inst.exports as unknown as GemmKernels,
    ew: null, rows: null, extrasFailed: false, shared, relaxed,
    ctl: new Int32Array(memory.buffer, 0, Ctl.Count), f32: new Float32Array(memory.buffer),
    workers: [], gen: 0, canWait: true,
  };
  Atomics.store(r.ctl, Ctl.Claim, CLOSED);
  warmUp(r.ex);
  return r;
}

/** A few ms of small calls so V8 tiers the kernels up to optimized code before real work. */
function warmUp(ex: GemmKernels): void {
  const pa = CTL_BYTES, pb = pa + MC * KC * 4, src = CTL_BYTES + SCRATCH_BYTES, c = src + KC * 1024;
  for (let i = 0; i < 10; i++) {
    ex.packA(pa, src, KC, MR, 4, 1024);
    ex.packA(pa, src, KC, MR, 1024, 4);
    ex.packA(pa, src, KC, MR - 1, 4, 1024);
    ex.packB(pb, src, KC, NR, 4, 1024);
    ex.packB(pb, src, KC, NR, 1024, 4);
    ex.packB(pb, src, KC, NR - 1, 4, 1024);
    ex.packARows(pa, src, KC, 4, 1024);
    ex.packBRows(pb, src, KC, 4, 1024);
    ex.macro(pa, pb, c, 4 * MR, 4 * NR, KC, 16 * NR, i & 1);
    ex.compact(c, 2, 3, 4, 12, 16);
  }
}

/** @internal Grows the runtime's memory to at least `bytes` and refreshes its views. */
export function ensureBytes(r: Runtime, bytes: number): void {
  const have = r.memory.buffer.byteLength;
  if (bytes > have) {
    const maxBytes = MEMORY_MAX_PAGES * PAGE;
    if (bytes > maxBytes) throw new WasmMemoryError(`matmul: needs ${bytes} bytes of wasm memory, limit is ${maxBytes}`);
    try {
      r.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch (e) {
      throw new WasmMemoryError(`matmul: could not grow wasm memory from ${have} to ${bytes} bytes (${String(e)})`);
    }
  }
  if (r.f32.buffer.byteLength !== r.memory.buffer.byteLength) {
    // a non-shared memory detaches its old buffer on grow, so refresh every view
    r.f32 = new Float32Array(r.memory.buffer);
    r.ctl = new Int32Array(r.memory.buffer, 0, Ctl.Count);
  }
}

function spawnWorker(r: Runtime, slot: number): WorkerHandle {
  const url = new URL('./worker.js', import.meta.url);
  const initMsg = { memory: r.memory, modules: r.modules, slot };
  if (nodeWT) {
    const w = new nodeWT.Worker(url, { workerData: initMsg });
    w.unref(); // never keep the process alive
    // tiles are claimed from a shared counter, so a dead worker costs speed, never results;
    // record it so getNumThreads()/wasmInfo() tell the truth
    w.on('error', (e: unknown) => {
      failedWorkers++;
      console.warn(`backprop: wasm worker ${slot} failed, continuing with fewer threads: ${String(e)}`);
    });
    return w;
  }
  const w = new Worker(url, { type: 'module' });
  w.addEventListener('error', (e) => {
    failedWorkers++;
    console.warn(`backprop: wasm worker ${slot} failed, continuing with fewer threads: ${e.message}`);
  });
  w.postMessage(initMsg);
  return w;
}

/**
 * Compiles and instantiates the elementwise and row kernels on the runtime's memory (once), so
 * they can run here and on the workers; false where that is impossible (a browser main thread
 * compiles only modules under 4 KB synchronously). Workers get whatever exists when they start.
 */
function extras(r: Runtime): boolean {
  if (r.ew && r.rows) return true;
  if (r.extrasFailed) return false;
  try {
    const elementwise = new WebAssembly.Module(genElementwiseModule(r.shared, 1));
    const rows = new WebAssembly.Module(genRowsModule(r.shared, 1));
    const instantiate = <T>(m: WebAssembly.Module): T => new WebAssembly.Instance(m, { env: { memory: r.memory } }).exports as unknown as T;
    r.ew = instantiate<ElementwiseKernels>(elementwise);
    r.rows = instantiate<RowKernels>(rows);
    r.modules = { gemm: r.modules.gemm, elementwise, rows };
    return true;
  } catch {
    r.extrasFailed = true;
    return false;
  }
}

/** @internal Starts workers until `count` run (each instantiates every compiled module). */
export function ensureWorkers(r: Runtime, count: number): void {
  // workers instantiate every module they are given, so compile the others first
  if (r.workers.length === 0) extras(r);
  while (r.workers.length < count) r.workers.push(spawnWorker(r, r.workers.length + 1));
}

// ---- public knobs ------------------------------------------------------------------------

/**
 * True if the wasm GEMM can run here (WebAssembly with SIMD); compiles the module on first call.
 * @example setBackend(wasmAvailable() ? 'wasm' : 'js');
 */
export function wasmAvailable(): boolean {
  return init() !== null;
}

/**
 * Threads used by large float32 matmuls (the calling thread counts as one); 1 where shared
 * memory is unavailable, e.g. a page that is not cross-origin isolated.
 * @example console.log(`matmul on ${getNumThreads()} threads`);
 */
export function getNumThreads(): number {
  const r = init();
  return r && !r.shared ? 1 : Math.max(1, requestedThreads - failedWorkers);
}

/** workers that failed to start or crashed (their tiles fall to the others) */
let failedWorkers = 0;

/**
 * Sets the threads for large float32 matmuls (default: BACKPROP_THREADS, else every core), e.g.
 * to leave cores to other work. Results are bitwise the same for every thread count.
 * @example setNumThreads(4);
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new GemmError(`setNumThreads: expected an integer in [1, ${MAX_THREADS}], got ${n}`);
  }
  requestedThreads = n;
}

/**
 * Diagnostics: which code path the kernels use (SIMD, relaxed SIMD, shared memory, threads),
 * for a bug report or a benchmark's header.
 * @example console.log(wasmInfo()); // { available: true, simd: true, relaxedSimd: false, shared: true, threads: 8 }
 */
export function wasmInfo(): { available: boolean; simd: boolean; relaxedSimd: boolean; shared: boolean; threads: number } {
  const r = init();
  return { available: !!r, simd: !!r, relaxedSimd: !!r?.relaxed, shared: !!r?.shared, threads: getNumThreads() };
}

/**
 * @internal
 * The runtime's kernels (GEMM packing and macro-kernel, elementwise maps, row kernels) with its
 * memory grown to at least `bytes`, for kernels that drive them on the calling thread or split
 * them across threads with runParallel; null when wasm is unavailable.
 */
export function runtimeKernels(bytes: number): (ThreadKernels & { f32: Float32Array; shared: boolean }) | null {
  const r = init();
  if (!r || !extras(r)) return null;
  ensureBytes(r, bytes);
  return { gemm: r.ex, elementwise: r.ew!, rows: r.rows!, memory: r.memory, f32: r.f32, shared: r.shared };
}

/**
 * Threads a job of `nTasks` tasks doing about `work` element operations in all may use: 1 for
 * small jobs, where waking a worker costs more than it saves, and where the workers lack the
 * kernels (they started before those could be compiled).
 */
export function threadsFor(nTasks: number, work: number): number {
  const r = init();
  if (!r || !r.shared || nTasks < 2 || work < PARALLEL_MIN_WORK || !extras(r)) return 1;
  return Math.min(Math.max(1, requestedThreads - failedWorkers), nTasks);
}

/** Below this much work in all, a job runs on the calling thread alone (waking a worker costs ~10 µs). */
const PARALLEL_MIN_WORK = 1 << 20;

/**
 * Runs task 0..nTasks-1 of a parallel.ts job kind with `args` on up to `threads` threads (the
 * calling one included), like the GEMM's tiles: tasks are claimed from a shared counter.
 */
export function runParallel(kind: number, args: readonly number[], nTasks: number, threads: number): void {
  const r = init();
  if (!r) throw new GemmError('runParallel: the wasm runtime is unavailable');
  if (args.length > MAX_ARGS) throw new GemmError(`runParallel: ${args.length} arguments, at most ${MAX_ARGS}`);
  if (!extras(r)) throw new GemmError('runParallel: the elementwise and row kernels cannot be compiled here');
  const a = Int32Array.from(args);
  const kernels: ThreadKernels = { gemm: r.ex, elementwise: r.ew!, rows: r.rows!, memory: r.memory };
  if (threads <= 1 || !r.shared) {
    const run = taskRunner(kind, a, kernels, 0);
    for (let t = 0; t < nTasks; t++) run(t);
    return;
  }
  ensureWorkers(r, threads - 1);
  const ctl = r.ctl;
  Atomics.store(ctl, Ctl.Claim, CLOSED);
  Atomics.store(ctl, Ctl.Kind, kind);
  for (let i = 0; i < a.length; i++) Atomics.store(ctl, Ctl.Args + i, a[i]!);
  Atomics.store(ctl, Ctl.NThreads, threads);
  Atomics.store(ctl, Ctl.NTasks, nTasks);
  startAndWait(r, nTasks, taskRunner(kind, a, kernels, 0));
}

/** @internal Opens claiming for a written job, works on it, and waits until every task is done. */
export function startAndWait(r: Runtime, nTasks: number, run: (idx: number) => void): void {
  const ctl = r.ctl;
  Atomics.store(ctl, Ctl.Done, 0);
  Atomics.store(ctl, Ctl.Error, 0);
  r.gen = (r.gen + 1) & 0x3fffffff || 1; // never 0: workers start with seen = 0
  Atomics.store(ctl, Ctl.Claim, (r.gen & 0x7fff) << 16);
  Atomics.store(ctl, Ctl.Gen, r.gen);
  Atomics.notify(ctl, Ctl.Gen);

  // the calling thread works too; tasks of workers that are still starting are simply taken here
  claimTasks(ctl, nTasks, r.gen, run);

  for (let i = 0; i < 20000 && Atomics.load(ctl, Ctl.Done) < nTasks; i++);
  for (let d = Atomics.load(ctl, Ctl.Done); d < nTasks; d = Atomics.load(ctl, Ctl.Done)) {
    if (r.canWait) {
      try {
        Atomics.wait(ctl, Ctl.Done, d, 1000);
      } catch {
        r.canWait = false; // browser main thread: Atomics.wait is not allowed, keep spinning
      }
    }
  }
  if (Atomics.load(ctl, Ctl.Error) !== 0) throw new GemmError('a wasm task failed');
}

/** First byte free for other kernels' operands (after the GEMM control block). */
export const OPERANDS_BASE = CTL_BYTES;
