/**
 * The WebAssembly backend: the JS reference backend with the hot kernels (float32 GEMM, the
 * transcendental maps, fused bias + activation) replaced by SIMD wasm generated at runtime (no
 * build step, no deps), the GEMM multi-threaded.
 *
 *   new WasmBackend()        Backend; it names the kernels it overrides, delegates the rest
 *   setNumThreads(n)         threads for large matmuls (default: BACKPROP_THREADS env var, else
 *                            os.availableParallelism() / navigator.hardwareConcurrency)
 *   getNumThreads()          effective thread count (1 when shared memory is unavailable)
 *   wasmAvailable()          WebAssembly SIMD usable here (compiles the module on first call)
 *   wasmInfo()               { available, simd, relaxedSimd, shared, threads }
 *   sgemm(a, b, out, args)   the float32 kernel itself, same contract as Backend.matmul
 *   GemmError, WasmMemoryError   typed errors (bad arguments; operands beyond 2 GiB of wasm memory)
 *
 * Results are bitwise deterministic across runs and across thread counts. Set
 * BACKPROP_WASM_RELAXED=1 on Node 20 to enable relaxed SIMD (fused multiply-add, ~4% faster,
 * different rounding); engines that ship relaxed SIMD use it automatically.
 */
import type { AdamHyper, AttentionArgs, Backend, BiasActivation, BinaryOp, DType, MatmulArgs, Shape, TypedArray, UnaryOp } from '../backend.js';
import { attentionGradWasm, attentionWasm } from './attention.js';
import { allF32, layerNormGradWasm, layerNormWasm } from './rows.js';
import { JsBackend } from '../js/index.js';
import { registerBackend } from '../registry.js';
import type { ElementwiseKernels, WasmMapOp } from './elementwise.js';
import { sgemm } from './gemm.js';
import { HostPool } from './host-pool.js';
import { OPERANDS_BASE, runParallel, runtimeKernels, threadsFor, WasmMemoryError, wasmAvailable } from './runtime.js';
import { mapArgs, TaskKind, type MapName } from './parallel.js';

export { sgemm } from './gemm.js';
export { GemmError, getNumThreads, setNumThreads, WasmMemoryError, wasmAvailable, wasmInfo } from './runtime.js';

/** Below this many multiply-adds the copy-in/out costs more than the JS loop. */
const WASM_MIN_MACS = 512;

/**
 * Below this many elements a wasm map is not assumed to pay for its copy in and out (a guess,
 * not tuned). At 200K elements on the loaded 2-core dev box (ms per call, JS vs wasm incl.
 * copies): sigmoid 4.6 vs 0.8, log 1.9 vs 0.5, gelu 16 vs 4-6, softplus 6-7 vs 2.2.
 * Memory-bound maps (add, mul, relu, copies) stay in JS: copying in and out is itself two passes.
 */
export const WASM_MIN_ELEMENTS = 256;

const WASM_MAPS: ReadonlySet<string> = new Set<WasmMapOp>(['exp', 'log', 'sigmoid', 'tanh', 'gelu', 'softplus']);

/** The elementwise kernels on the runtime's memory of at least `bytes` (null without wasm). */
function elementwise(bytes: number): { ex: ElementwiseKernels; f32: Float32Array } | null {
  const k = runtimeKernels(bytes);
  return k && { ex: k.elementwise, f32: k.f32 };
}

/**
 * Runs a map over nVec vectors at the given addresses: split across the runtime's threads when
 * it is long enough (the compute-bound maps cost several ns per element), else in one call.
 */
function runMap(ex: ElementwiseKernels, map: MapName, inputs: readonly number[], dst: number, nVec: number): void {
  const threads = threadsFor(nVec, nVec * 4 * MAP_COST);
  if (threads > 1) {
    const tasks = 4 * threads;
    runParallel(TaskKind.Map, mapArgs(map, inputs, dst, nVec, Math.ceil(nVec / tasks)), tasks, threads);
  } else if (map === 'map3_geluGrad') {
    ex.map3_geluGrad(inputs[0]!, inputs[1]!, inputs[2]!, dst, nVec);
  } else {
    ex[map](inputs[0]!, dst, nVec);
  }
}

/** The work of one element of a transcendental map, relative to a multiply-add (for threadsFor). */
const MAP_COST = 16;

const vecBytes = (n: number): number => Math.ceil(n / 4) * 16;

/**
 * The WebAssembly backend, the default where WebAssembly SIMD exists: the js reference with the
 * float32 GEMM (multi-threaded), the transcendental maps and fused bias + activation in SIMD
 * wasm. Choose it with `setBackend('wasm')`; construct one directly only to test or benchmark it.
 * @example
 * if (wasmAvailable()) setBackend('wasm');
 * const wasm = new WasmBackend(); // e.g. to compare its kernels with new JsBackend()
 */
export class WasmBackend implements Backend<TypedArray> {
  readonly name: string = 'wasm';
  readonly device = 'cpu' as const;
  /** resolved on first use, so constructing the backend compiles nothing */
  private useWasm: boolean | null = null;
  /** the reference backend, which runs every kernel not overridden below */
  private readonly js = new JsBackend();

  // ---- memory: plain typed arrays, and a pool of backward's temporaries ----
  // Recycling dead storages through a FinalizationRegistry (tried) kept their memory alive until the
  // next task boundary and made MLP steps 40% and GPT steps 15% slower. Autograd instead gives back
  // what backward allocated as soon as the walk is past it (release): reusing those arrays spares
  // fresh zeroed pages and the collections they trigger.
  private readonly pool = new HostPool();
  private allocSink: ((x: TypedArray) => void) | null = null;

  alloc(dtype: DType, size: number): TypedArray {
    const x = this.pool.take(dtype, size) ?? this.js.alloc(dtype, size);
    this.allocSink?.(x);
    return x;
  }

  release(x: TypedArray): void {
    this.pool.give(x);
  }

  recordAllocations(sink: ((x: TypedArray) => void) | null): () => void {
    const outer = this.allocSink;
    this.allocSink = sink;
    return () => { this.allocSink = outer; };
  }

  // ---- delegated to the reference backend ----
  readonly upload = this.js.upload;
  readonly read = this.js.read;
  readonly readSync = this.js.readSync;
  readonly cast = this.js.cast;
  readonly where = this.js.where;
  readonly reduce = this.js.reduce;
  readonly argReduce = this.js.argReduce;
  readonly scan = this.js.scan;
  readonly argsort = this.js.argsort;
  readonly strided = this.js.strided;
  readonly stridedAdd = this.js.stridedAdd;
  readonly indexSelect = this.js.indexSelect;
  readonly indexAdd = this.js.indexAdd;
  readonly gather = this.js.gather;
  readonly scatterAdd = this.js.scatterAdd;
  readonly scatter = this.js.scatter;
  readonly im2col = this.js.im2col;
  readonly col2im = this.js.col2im;
  readonly poolArgmax = this.js.poolArgmax;
  readonly actGrad = this.js.actGrad;
  readonly logSoftmax = this.js.logSoftmax;
  readonly crossEntropy = this.js.crossEntropy;
  readonly crossEntropyGrad = this.js.crossEntropyGrad;
  readonly sgdStep = this.js.sgdStep;

  // ---- overridden: wasm SIMD where it pays, the reference below the size thresholds ----
  unary(op: UnaryOp, x: TypedArray, out: TypedArray, p0 = 0, p1 = 0): void {
    const n = x.length;
    if (n >= WASM_MIN_ELEMENTS && WASM_MAPS.has(op) && x instanceof Float32Array && out instanceof Float32Array && this.mapWasm(op as WasmMapOp, x, out)) return;
    this.js.unary(op, x, out, p0, p1);
  }

  biasAct(act: BiasActivation, z: TypedArray, bias: TypedArray, out: TypedArray): void {
    // same size rule as unary, so fused and unfused paths pick the same kernel and agree bitwise
    if (z.length >= WASM_MIN_ELEMENTS && act !== 'none' && act !== 'relu' && z instanceof Float32Array && bias instanceof Float32Array
      && out instanceof Float32Array && this.biasActWasm(act, z, bias, out)) return;
    this.js.biasAct(act, z, bias, out);
  }

  geluGrad(g: TypedArray, x: TypedArray, y: TypedArray, out: TypedArray): void {
    if (x.length >= WASM_MIN_ELEMENTS && g instanceof Float32Array && x instanceof Float32Array && y instanceof Float32Array
      && out instanceof Float32Array && this.geluGradWasm(g, x, y, out)) return;
    this.js.geluGrad(g, x, y, out);
  }

  binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void {
    // the arithmetic of same-shape float32 operands (residual adds, gradient sums and scalings):
    // monomorphic loops without the reference's stride arithmetic, same results
    if (out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array && a.length === out.length
      && (b.length === out.length || b.length === 1) && arithmeticF32(op, a, b, out)) return;
    this.js.binary(op, a, aShape, b, bShape, out, outShape);
  }

  adamStep(x: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, vmax: TypedArray | null, h: AdamHyper): void {
    if (vmax === null && !h.maximize && x instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array) {
      adamStepF32(x, g, m, v, h);
      return;
    }
    this.js.adamStep(x, g, m, v, vmax, h);
  }

  layerNorm(x: TypedArray, w: TypedArray | null, b: TypedArray | null, rows: number, cols: number, eps: number, out: TypedArray): void {
    if ((this.useWasm ??= wasmAvailable()) && x.length >= WASM_MIN_ELEMENTS && allF32(x, w, b, out)
      && layerNormWasm(x as Float32Array, w as Float32Array | null, b as Float32Array | null, rows, cols, eps, out as Float32Array)) return;
    this.js.layerNorm(x, w, b, rows, cols, eps, out);
  }

  layerNormGrad(g: TypedArray, x: TypedArray, w: TypedArray | null, rows: number, cols: number, eps: number, dx: TypedArray, dw: TypedArray | null, db: TypedArray | null): void {
    if ((this.useWasm ??= wasmAvailable()) && x.length >= WASM_MIN_ELEMENTS && allF32(g, x, w, dx, dw, db)
      && layerNormGradWasm(g as Float32Array, x as Float32Array, w as Float32Array | null, rows, cols, eps, dx as Float32Array, dw as Float32Array | null, db as Float32Array | null)) return;
    this.js.layerNormGrad(g, x, w, rows, cols, eps, dx, dw, db);
  }

  attention(q: TypedArray, k: TypedArray, v: TypedArray, args: AttentionArgs, out: TypedArray): void {
    if ((this.useWasm ??= wasmAvailable()) && q instanceof Float32Array && k instanceof Float32Array && v instanceof Float32Array
      && out instanceof Float32Array && attentionWasm(q, k, v, args, out)) return;
    this.js.attention(q, k, v, args, out);
  }

  attentionGrad(q: TypedArray, k: TypedArray, v: TypedArray, g: TypedArray, args: AttentionArgs, dq: TypedArray, dk: TypedArray, dv: TypedArray): void {
    if ((this.useWasm ??= wasmAvailable()) && q instanceof Float32Array && k instanceof Float32Array && v instanceof Float32Array && g instanceof Float32Array
      && dq instanceof Float32Array && dk instanceof Float32Array && dv instanceof Float32Array && attentionGradWasm(q, k, v, g, args, dq, dk, dv)) return;
    this.js.attentionGrad(q, k, v, g, args, dq, dk, dv);
  }

  matmul(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void {
    if (
      (this.useWasm ??= wasmAvailable()) && a instanceof Float32Array && b instanceof Float32Array
      && out instanceof Float32Array && args.batch * args.m * args.n * args.k >= WASM_MIN_MACS
    ) {
      try {
        sgemm(a, b, out, args);
        return;
      } catch (e) {
        if (!(e instanceof WasmMemoryError)) throw e;
        // too big for wasm memory: the JS kernel still works on the original arrays
      }
    }
    this.js.matmul(a, b, out, args);
  }

  private mapWasm(op: WasmMapOp, x: Float32Array, out: Float32Array): boolean {
    const n = x.length, bytes = vecBytes(n);
    const src = OPERANDS_BASE, dst = src + bytes;
    const k = this.kernels(dst + bytes);
    if (!k) return false;
    k.f32.set(x, src >> 2);
    runMap(k.ex, `map_${op}`, [src], dst, bytes >> 4);
    out.set(k.f32.subarray(dst >> 2, (dst >> 2) + n));
    return true;
  }

  private geluGradWasm(g: Float32Array, x: Float32Array, y: Float32Array, out: Float32Array): boolean {
    const n = x.length, bytes = vecBytes(n);
    const gp = OPERANDS_BASE, xp = gp + bytes, yp = xp + bytes, dst = yp + bytes;
    const k = this.kernels(dst + bytes);
    if (!k) return false;
    k.f32.set(g, gp >> 2);
    k.f32.set(x, xp >> 2);
    k.f32.set(y, yp >> 2);
    runMap(k.ex, 'map3_geluGrad', [gp, xp, yp], dst, bytes >> 4);
    out.set(k.f32.subarray(dst >> 2, (dst >> 2) + n));
    return true;
  }

  private biasActWasm(act: WasmMapOp, z: Float32Array, bias: Float32Array, out: Float32Array): boolean {
    const cols = bias.length, rows = z.length / cols;
    // rows spill up to one vector past their end, hence the padding after each operand
    const zp = OPERANDS_BASE, bp = zp + vecBytes(z.length) + 16, dp = bp + vecBytes(cols) + 16;
    const k = this.kernels(dp + vecBytes(z.length) + 16);
    if (!k) return false;
    k.f32.set(z, zp >> 2);
    k.f32.set(bias, bp >> 2);
    k.ex[`bias_${act}`]!(zp, bp, dp, rows, cols);
    out.set(k.f32.subarray(dp >> 2, (dp >> 2) + z.length));
    return true;
  }

  private kernels(bytes: number): { ex: ElementwiseKernels; f32: Float32Array } | null {
    if (!(this.useWasm ??= wasmAvailable())) return null;
    try {
      return elementwise(bytes);
    } catch (e) {
      if (e instanceof WasmMemoryError) return null; // too big: the JS loop handles it
      throw e;
    }
  }
}

/** out = a op b for float32 a and out of one length and b of that length or a scalar; false for other ops. */
function arithmeticF32(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): boolean {
  const n = out.length;
  if (b.length === 1 && n !== 1) {
    const s = b[0]!;
    switch (op) {
      case 'add': for (let i = 0; i < n; i++) out[i] = a[i]! + s; return true;
      case 'sub': for (let i = 0; i < n; i++) out[i] = a[i]! - s; return true;
      case 'mul': for (let i = 0; i < n; i++) out[i] = a[i]! * s; return true;
      case 'div': for (let i = 0; i < n; i++) out[i] = a[i]! / s; return true;
      default: return false;
    }
  }
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!; return true;
    case 'sub': for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!; return true;
    case 'mul': for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!; return true;
    case 'div': for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!; return true;
    default: return false;
  }
}

/** The per-step constants of an Adam/AdamW update (shared with the native backend's kernel). */
export function adamScalars(h: AdamHyper): { b1: number; b2: number; c1: number; c2: number; eps: number; stepSize: number; bc2Sqrt: number; decay: number; l2: number } {
  const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled, step: t } = h;
  // AdamW scales θ by 1 − lr·wd; Adam adds wd·θ to the gradient
  return {
    b1, b2, c1: 1 - b1, c2: 1 - b2, eps, stepSize: lr / (1 - b1 ** t), bc2Sqrt: Math.sqrt(1 - b2 ** t),
    decay: decoupled ? 1 - lr * wd : 1, l2: decoupled ? 0 : wd,
  };
}

/**
 * The common Adam/AdamW step (no AMSGrad, no maximize) on float32 arrays: one branch-free,
 * monomorphic loop, about twice as fast as the reference's general one. Same formula and the
 * same float64 arithmetic per element, so results match the reference to float32 rounding.
 */
function adamStepF32(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void {
  const { b1, b2, c1, c2, eps, stepSize, bc2Sqrt, decay, l2 } = adamScalars(h);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const gi = g[i]! + l2 * xi;
    const mi = b1 * m[i]! + c1 * gi;
    const vi = b2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    x[i] = xi * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

// Selectable as 'wasm' as soon as this module is loaded, and the default unless BACKPROP_BACKEND
// says otherwise (it falls back to JS kernels by itself where wasm SIMD is missing).
registerBackend('wasm', () => new WasmBackend(), { preferred: true });
