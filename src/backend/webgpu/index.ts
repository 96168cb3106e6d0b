/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: tensors' storage is GPU memory (GpuBuffer), and every kernel of the seam
 * is a WGSL compute shader recorded into batched command buffers. Results come back only when
 * asked for (`read`), which is asynchronous as WebGPU readback is.
 *
 *   await WebGpuBackend.create()   finds an adapter (navigator.gpu, or Dawn in Node) or throws a DeviceError
 *   backend.memoryStats()          live and pooled GPU bytes
 *   backend.dispatchStats()        dispatches, submissions, pipelines compiled, uploads, readbacks
 *
 * float64 does not exist in WGSL: asking for it is a DTypeError.
 */
import type {
  ActGradActivation, AdamHyper, ArgReduceOp, AttentionArgs, Backend, BiasActivation, BinaryOp, Conv2dArgs, CrossEntropyArgs, DType, MatmulArgs,
  ReduceOp, ScanOp, SgdHyper, Shape, TypedArray, UnaryOp,
} from '../backend.js';
import { DTypeError } from '../../errors.js';
import type { DeviceInfo } from '../registry.js';
import { GpuBuffer } from './buffer.js';
import { acquireDevice, type WebGpuAdapterInfo } from './gpu.js';
import { GpuRuntime, f2u, type DispatchStats, type MemoryStats } from './runtime.js';
import { groupsFor, sizeOf, wgslType } from './kernels/common.js';
import { actGradKernel, biasActKernel, binaryCall, castKernel, unaryKernel, whereCall } from './kernels/elementwise.js';
import { argReduce, reduce, scan } from './kernels/reduce.js';
import { argsort } from './kernels/sort.js';
import { matmul } from './kernels/matmul.js';
import { strided, stridedAdd } from './kernels/layout.js';
import { gather, indexAdd, indexSelect, scatter, scatterAdd } from './kernels/indexing.js';
import { col2im, im2col, poolArgmax } from './kernels/conv.js';
import { adamStep, crossEntropy, crossEntropyGrad, geluGrad, layerNorm, layerNormGrad, logSoftmax, sgdStep } from './kernels/fused.js';
import { attention, attentionGrad } from './kernels/attention.js';

export { GpuBuffer } from './buffer.js';
export type { WebGpuAdapterInfo } from './gpu.js';
export type { DispatchStats, MemoryStats } from './runtime.js';

export interface WebGpuOptions {
  /** dispatches recorded before a submission is forced (default 256) */
  batchLimit?: number;
  /** bytes of free buffers kept for reuse (default 256 MiB) */
  poolLimit?: number;
  powerPreference?: 'low-power' | 'high-performance';
}

function dtypeOfArray(a: TypedArray): DType {
  return a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : 'float64';
}

/**
 * The webgpu device's backend: GPU buffers as storages, WGSL kernels batched into few submissions.
 * Ops reach it through `backendFor('webgpu')` after `await initDevice('webgpu')`.
 * @example const gpu = await WebGpuBackend.create(); const x = gpu.upload(new Float32Array([1, 2])); await gpu.read(x);
 */
export class WebGpuBackend implements Backend<GpuBuffer> {
  readonly name = 'webgpu';
  readonly device = 'webgpu' as const;
  private readonly constants = new Map<string, GpuBuffer>();

  /** @internal use WebGpuBackend.create() */
  constructor(/** @internal */ readonly runtime: GpuRuntime) {}

  /**
   * A backend on the best adapter available, or a DeviceError saying why there is none.
   * @example const gpu = await WebGpuBackend.create(); gpu.info.vendor
   */
  static async create(opts: WebGpuOptions = {}): Promise<WebGpuBackend> {
    const acquired = await acquireDevice(opts.powerPreference);
    const rtOpts: { batchLimit?: number; poolLimit?: number } = {};
    if (opts.batchLimit !== undefined) rtOpts.batchLimit = opts.batchLimit;
    if (opts.poolLimit !== undefined) rtOpts.poolLimit = opts.poolLimit;
    return new WebGpuBackend(new GpuRuntime(acquired, rtOpts));
  }

  get info(): WebGpuAdapterInfo {
    return this.runtime.info;
  }

  // ---- memory -------------------------------------------------------------------------------

  alloc(dtype: DType, size: number): GpuBuffer {
    wgslType(dtype, 'alloc');
    return this.runtime.alloc(dtype, size);
  }

  upload(data: TypedArray): GpuBuffer {
    const dtype = dtypeOfArray(data);
    wgslType(dtype, 'upload');
    return this.runtime.upload(data as Float32Array | Int32Array, dtype);
  }

  read(x: GpuBuffer): Promise<TypedArray> {
    return this.runtime.read(x);
  }

  release(x: GpuBuffer): void {
    this.runtime.release(x);
  }

  recordAllocations(sink: ((x: GpuBuffer) => void) | null): () => void {
    return this.runtime.recordAllocations(sink);
  }

  /** A shared, never-released scalar (the JS numbers in `x.mul(2)`): uploaded once per value. */
  constant(value: number, dtype: DType): GpuBuffer {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : String(value)}`;
    let c = this.constants.get(key);
    if (!c) {
      const data = dtype === 'int32' ? Int32Array.of(value) : dtype === 'float32' ? Float32Array.of(value) : Float64Array.of(value);
      // shared from now on: never one of the temporaries an allocation recording hands back
      const resume = this.runtime.recordAllocations(null);
      try {
        c = this.upload(data);
      } finally {
        resume();
      }
      if (this.constants.size < 4096) this.constants.set(key, c);
    }
    return c;
  }

  /** Submits the recorded kernels now (reads do this themselves). */
  flush(): void {
    this.runtime.flush();
  }

  /** Waits for the GPU to finish everything submitted; throws a DeviceError on validation errors. */
  sync(): Promise<void> {
    return this.runtime.sync();
  }

  /** Live and pooled GPU bytes of this backend. @example gpu.memoryStats().liveBytes */
  memoryStats(): MemoryStats {
    return this.runtime.memoryStats();
  }

  /** Dispatches, submissions, compiled pipelines, uploads and readbacks so far. @example gpu.dispatchStats().submissions */
  dispatchStats(): DispatchStats {
    return this.runtime.dispatchStats();
  }

  // ---- core kernels -------------------------------------------------------------------------

  cast(x: GpuBuffer, out: GpuBuffer): void {
    if (x.dtype === out.dtype) { this.runtime.copy(x, out, x.length); return; }
    this.runtime.run(castKernel(x.dtype, out.dtype), [x, out], [out.length], groupsFor(out.length));
  }

  unary(op: UnaryOp, x: GpuBuffer, out: GpuBuffer, p0 = 0, p1 = 0): void {
    const n = out.length;
    if (n === 0) return;
    if (op === 'copy' && x.dtype === out.dtype) { this.runtime.copy(x, out, n); return; }
    this.runtime.run(unaryKernel(op, x.dtype, out.dtype), [x, out], [n, f2u(p0), f2u(p1)], groupsFor(n));
  }

  binary(op: BinaryOp, a: GpuBuffer, aShape: Shape, b: GpuBuffer, bShape: Shape, out: GpuBuffer, outShape: Shape): void {
    const n = sizeOf(outShape);
    if (n === 0) return;
    const c = binaryCall(op, a.dtype, aShape, b.dtype, bShape, out.dtype, outShape, n);
    this.runtime.run(c.kernel, [a, b, out], c.params, groupsFor(n));
  }

  where(cond: GpuBuffer, condShape: Shape, a: GpuBuffer, aShape: Shape, b: GpuBuffer, bShape: Shape, out: GpuBuffer, outShape: Shape): void {
    const n = sizeOf(outShape);
    if (n === 0) return;
    if (a.dtype !== b.dtype || a.dtype !== out.dtype) throw new DTypeError(`where: a, b and out must share a dtype, got ${a.dtype}, ${b.dtype}, ${out.dtype}`);
    const c = whereCall(cond.dtype, condShape, a.dtype, aShape, bShape, outShape, n);
    this.runtime.run(c.kernel, [cond, a, b, out], c.params, groupsFor(n));
  }

  reduce(op: ReduceOp, x: GpuBuffer, shape: Shape, axes: readonly number[], out: GpuBuffer): void {
    reduce(this.runtime, op, x, shape, axes, out);
  }

  argReduce(op: ArgReduceOp, x: GpuBuffer, shape: Shape, axis: number, out: GpuBuffer): void {
    argReduce(this.runtime, op, x, shape, axis, out);
  }

  scan(op: ScanOp, x: GpuBuffer, shape: Shape, axis: number, reverse: boolean, out: GpuBuffer): void {
    scan(this.runtime, op, x, shape, axis, reverse, out);
  }

  argsort(x: GpuBuffer, shape: Shape, axis: number, descending: boolean, out: GpuBuffer): void {
    argsort(this.runtime, x, shape, axis, descending, out);
  }

  matmul(a: GpuBuffer, b: GpuBuffer, out: GpuBuffer, args: MatmulArgs): void {
    matmul(this.runtime, a, b, out, args);
  }

  strided(x: GpuBuffer, offset: number, strides: readonly number[], out: GpuBuffer, outShape: Shape): void {
    strided(this.runtime, x, offset, strides, out, outShape);
  }

  stridedAdd(x: GpuBuffer, xShape: Shape, out: GpuBuffer, offset: number, strides: readonly number[]): void {
    stridedAdd(this.runtime, x, xShape, out, offset, strides);
  }

  indexSelect(x: GpuBuffer, shape: Shape, axis: number, index: GpuBuffer, out: GpuBuffer): void {
    indexSelect(this.runtime, x, shape, axis, index, out);
  }

  indexAdd(g: GpuBuffer, axis: number, index: GpuBuffer, out: GpuBuffer, shape: Shape): void {
    indexAdd(this.runtime, g, axis, index, out, shape);
  }

  gather(x: GpuBuffer, shape: Shape, axis: number, index: GpuBuffer, indexShape: Shape, out: GpuBuffer): void {
    gather(this.runtime, x, shape, axis, index, indexShape, out);
  }

  scatterAdd(g: GpuBuffer, indexShape: Shape, axis: number, index: GpuBuffer, out: GpuBuffer, shape: Shape): void {
    scatterAdd(this.runtime, g, indexShape, axis, index, out, shape);
  }

  scatter(src: GpuBuffer, indexShape: Shape, axis: number, index: GpuBuffer, out: GpuBuffer, shape: Shape): void {
    scatter(this.runtime, src, indexShape, axis, index, out, shape);
  }

  im2col(x: GpuBuffer, cols: GpuBuffer, args: Conv2dArgs): void {
    im2col(this.runtime, x, cols, args);
  }

  col2im(cols: GpuBuffer, out: GpuBuffer, args: Conv2dArgs): void {
    col2im(this.runtime, cols, out, args);
  }

  poolArgmax(x: GpuBuffer, args: Conv2dArgs, out: GpuBuffer): void {
    poolArgmax(this.runtime, x, args, out);
  }

  // ---- fused kernels ------------------------------------------------------------------------

  biasAct(act: BiasActivation, z: GpuBuffer, bias: GpuBuffer, out: GpuBuffer): void {
    if (out.length === 0) return;
    this.runtime.run(biasActKernel(act, z.dtype), [z, bias, out], [out.length, bias.length], groupsFor(out.length));
  }

  actGrad(act: ActGradActivation, g: GpuBuffer, y: GpuBuffer, out: GpuBuffer): void {
    if (out.length === 0) return;
    this.runtime.run(actGradKernel(act, out.dtype), [g, y, out], [out.length], groupsFor(out.length));
  }

  logSoftmax(x: GpuBuffer, rows: number, cols: number, out: GpuBuffer): void {
    logSoftmax(this.runtime, x, rows, cols, out);
  }

  crossEntropy(z: GpuBuffer, targets: GpuBuffer, weight: GpuBuffer | null, args: CrossEntropyArgs, out: GpuBuffer): void {
    crossEntropy(this.runtime, z, targets, weight, args, out);
  }

  crossEntropyGrad(z: GpuBuffer, targets: GpuBuffer, weight: GpuBuffer | null, g: GpuBuffer, args: CrossEntropyArgs, out: GpuBuffer): void {
    crossEntropyGrad(this.runtime, z, targets, weight, g, args, out);
  }

  layerNorm(x: GpuBuffer, weight: GpuBuffer | null, bias: GpuBuffer | null, rows: number, cols: number, eps: number, out: GpuBuffer): void {
    layerNorm(this.runtime, x, weight, bias, rows, cols, eps, out);
  }

  layerNormGrad(g: GpuBuffer, x: GpuBuffer, weight: GpuBuffer | null, rows: number, cols: number, eps: number, dx: GpuBuffer, dw: GpuBuffer | null, db: GpuBuffer | null): void {
    layerNormGrad(this.runtime, g, x, weight, rows, cols, eps, dx, dw, db);
  }

  // Φ(x) is computed from erf rather than read from y = gelu(x), which loses it where x is tiny
  geluGrad(g: GpuBuffer, x: GpuBuffer, _y: GpuBuffer, out: GpuBuffer): void {
    geluGrad(this.runtime, g, x, out);
  }

  attention(q: GpuBuffer, k: GpuBuffer, v: GpuBuffer, args: AttentionArgs, out: GpuBuffer): void {
    attention(this.runtime, q, k, v, args, out);
  }

  attentionGrad(q: GpuBuffer, k: GpuBuffer, v: GpuBuffer, g: GpuBuffer, args: AttentionArgs, dq: GpuBuffer, dk: GpuBuffer, dv: GpuBuffer): void {
    attentionGrad(this.runtime, q, k, v, g, args, dq, dk, dv);
  }

  sgdStep(x: GpuBuffer, g: GpuBuffer, buf: GpuBuffer | null, h: SgdHyper): void {
    sgdStep(this.runtime, x, g, buf, h);
  }

  adamStep(x: GpuBuffer, g: GpuBuffer, m: GpuBuffer, v: GpuBuffer, vmax: GpuBuffer | null, h: AdamHyper): void {
    adamStep(this.runtime, x, g, m, v, vmax, h);
  }
}

let shared: Promise<WebGpuBackend> | null = null;

/**
 * The process's one WebGPU backend, created on first use (a failed attempt is not cached).
 * @example const gpu = await webgpuBackend(); gpu.memoryStats().liveBytes
 */
export function webgpuBackend(opts: WebGpuOptions = {}): Promise<WebGpuBackend> {
  if (!shared) {
    shared = WebGpuBackend.create(opts);
    shared.catch(() => { shared = null; });
  }
  return shared;
}

/** @internal what initDevice('webgpu') needs: the backend and a description of its adapter */
export async function startWebGpu(): Promise<{ backend: WebGpuBackend; info: DeviceInfo }> {
  const backend = await webgpuBackend();
  const i = backend.info;
  return {
    backend,
    info: {
      device: 'webgpu',
      backend: backend.name,
      description: [i.vendor, i.architecture, i.device, i.description].filter((s) => s !== '').join(' ') || 'unknown adapter',
      details: {
        source: i.source,
        maxStorageBufferBindingSize: i.maxStorageBufferBindingSize,
        maxBufferSize: i.maxBufferSize,
        maxComputeWorkgroupStorageSize: i.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: i.maxComputeInvocationsPerWorkgroup,
        subgroups: i.features.includes('subgroups'),
        shaderF16: i.features.includes('shader-f16'),
      },
    },
  };
}
