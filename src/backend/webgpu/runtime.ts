/// <reference types="@webgpu/types" />
/**
 * The WebGPU runtime under the backend: one device, its buffer pool, the pipeline cache, and the
 * command batching that puts many kernels into one submission.
 *
 * Kernels are recorded into one compute pass of one command encoder; the encoder is submitted
 * when a result is read back or after `batchLimit` dispatches, never per kernel. Each dispatch's
 * small parameters (sizes, strides, scalars) go into a 256-byte slot of one uniform arena that is
 * written once per submission, bound with a dynamic offset, so a batch costs one writeBuffer.
 */
import type { DType } from '../backend.js';
import { BufferPool, GpuBuffer, MapMode, sizeClass, Usage, type PooledBuffer } from './buffer.js';
import type { AcquiredDevice, WebGpuAdapterInfo } from './gpu.js';
import { DeviceError } from '../../errors.js';

/** A WGSL storage binding of a kernel: `read` inputs, outputs it fully `write`s, or `rw` (read-modify-write). */
export interface Decl {
  readonly name: string;
  /** WGSL element type of the array */
  readonly type: 'f32' | 'i32' | 'u32' | 'vec2<u32>';
  readonly access: 'read' | 'write' | 'rw';
}

/** A compute kernel: its cache key (kernel and shape class), storage bindings and WGSL body. */
export interface Kernel {
  readonly key: string;
  readonly decls: readonly Decl[];
  /** WGSL after the bindings and the parameter accessors pu(i)/pf(i)/pi(i); defines `main` */
  readonly body: () => string;
}

/**
 * GPU memory of the webgpu device, in bytes of the buffers' size classes.
 * @example const { liveBytes, pooledBytes } = memoryStats();
 */
export interface MemoryStats {
  /** bytes of GPU buffers held by tensors (and kernels' scratch), by size class */
  liveBytes: number;
  liveBuffers: number;
  /** bytes of free buffers kept for reuse */
  pooledBytes: number;
  pooledBuffers: number;
  /** the most live bytes seen */
  peakLiveBytes: number;
  /** bytes of every storage handed out so far (what memory would hold if nothing came back) */
  allocatedBytes: number;
}

/**
 * Work counters of the webgpu device since it started; subtract two readings for a step's share.
 * @example const { dispatches, submissions } = dispatchStats();
 */
export interface DispatchStats {
  /** compute dispatches recorded */
  dispatches: number;
  /** command buffers submitted to the queue */
  submissions: number;
  /** pipelines compiled (cache misses) */
  pipelines: number;
  uploads: number;
  readbacks: number;
}

const PARAM_SLOT = 256;
const PARAM_WORDS = PARAM_SLOT / 4;
export const WORKGROUP = 256;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The bits of a float32, for a u32 parameter slot. */
export const f2u = (v: number): number => { f32[0] = v; return u32[0]!; };
/** A signed int as u32 parameter bits. */
export const i2u = (v: number): number => v >>> 0;

const PRELUDE = `struct Params { v: array<vec4<u32>, ${PARAM_WORDS / 4}> }
fn pu(i: u32) -> u32 { return P.v[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(pu(i)); }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
fn is_nan(v: f32) -> bool { let b = bitcast<u32>(v); return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu) != 0u; }
fn is_finite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }
// read from private variables: WGSL rejects NaN and infinity in constant expressions
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f32() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f32() -> f32 { return bitcast<f32>(INF_BITS); }
// exp that keeps NaN (drivers may return +inf for exp(NaN))
fn exp_(v: f32) -> f32 { if (is_nan(v)) { return v; } return exp(v); }
`;

interface Pipeline { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout; layoutKey: string }

/** @internal the device, its pool, pipelines and command batching (see the file comment) */
export class GpuRuntime {
  readonly device: GPUDevice;
  readonly info: WebGpuAdapterInfo;
  private readonly keepAlive: unknown;
  private readonly pool: BufferPool;
  private readonly pipelines = new Map<string, Pipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pipelineLayouts = new Map<string, GPUPipelineLayout>();
  private bindGroups = new Map<string, GPUBindGroup>();
  private readonly stagingPool = new Map<number, GPUBuffer[]>();
  private readonly toDestroy: GPUBuffer[] = [];
  private readonly registry: FinalizationRegistry<PooledBuffer>;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batched = 0;
  private readonly arena: GPUBuffer;
  private readonly arenaWords: Uint32Array;
  private arenaSlots = 0;
  private readonly arenaIndex = new Map<string, number>();
  /** dispatches per submission before the batch is submitted anyway */
  batchLimit: number;

  private readonly counters: DispatchStats = { dispatches: 0, submissions: 0, pipelines: 0, uploads: 0, readbacks: 0 };
  private live = 0;
  private liveCount = 0;
  private peak = 0;
  private allocated = 0;
  private error: string | null = null;
  private lostMessage: string | null = null;
  private allocSink: ((b: GpuBuffer) => void) | null = null;

  constructor(acquired: AcquiredDevice, opts: { batchLimit?: number; poolLimit?: number } = {}) {
    this.device = acquired.device;
    this.info = acquired.info;
    this.keepAlive = acquired.gpu;
    this.batchLimit = opts.batchLimit ?? 256;
    this.pool = new BufferPool(this.device, opts.poolLimit ?? 256 * 2 ** 20, (b) => this.toDestroy.push(b));
    this.arena = this.device.createBuffer({ size: PARAM_SLOT * this.batchLimit, usage: Usage.UNIFORM | Usage.COPY_DST });
    this.arenaWords = new Uint32Array(PARAM_WORDS * this.batchLimit);
    this.registry = new FinalizationRegistry((block) => this.reclaim(block));
    this.device.addEventListener('uncapturederror', (e) => {
      const msg = (e as GPUUncapturedErrorEvent).error?.message ?? String(e);
      if (this.error === null) this.error = msg;
    });
    void this.device.lost.then((l) => { this.lostMessage = `${l.reason}: ${l.message}`; });
  }

  // ---- memory -------------------------------------------------------------------------------

  /** A zero-filled buffer (cleared lazily, only if something reads it before writing it). */
  alloc(dtype: DType, length: number): GpuBuffer {
    return this.track(new GpuBuffer(dtype, length, this.pool.acquire(sizeClass(length * 4), null), true));
  }

  /** A buffer holding a copy of `data` (float32 or int32). */
  upload(data: Float32Array | Int32Array, dtype: DType): GpuBuffer {
    this.counters.uploads++;
    // queue.writeBuffer runs before commands not yet submitted, so it may only fill a buffer
    // that no unsubmitted command can still read: a new one, or one freed before the last submit
    const block = this.pool.acquire(sizeClass(data.length * 4), this.counters.submissions);
    if (data.length > 0) {
      // a view of shared memory (the wasm backend's) is copied: writeBuffer may refuse it
      const src = data.buffer instanceof ArrayBuffer ? data : data.slice();
      this.device.queue.writeBuffer(block.gpu, 0, src.buffer, src.byteOffset, src.byteLength);
    }
    return this.track(new GpuBuffer(dtype, data.length, block, data.length === 0));
  }

  /** Returns a buffer to the pool now; the caller guarantees nothing uses it again. */
  release(b: GpuBuffer): void {
    if (b.released) return;
    b.released = true;
    this.registry.unregister(b);
    this.reclaim(b.block);
  }

  /** Calls `sink` with each buffer alloc and upload create until the returned function is called. */
  recordAllocations(sink: ((b: GpuBuffer) => void) | null): () => void {
    const outer = this.allocSink;
    this.allocSink = sink;
    return () => { this.allocSink = outer; };
  }

  private track(b: GpuBuffer): GpuBuffer {
    this.allocSink?.(b);
    this.live += b.block.capacity;
    this.allocated += b.block.capacity;
    this.liveCount++;
    if (this.live > this.peak) this.peak = this.live;
    this.registry.register(b, b.block, b);
    return b;
  }

  private reclaim(block: PooledBuffer): void {
    this.live -= block.capacity;
    this.liveCount--;
    this.pool.release(block, this.counters.submissions);
  }

  memoryStats(): MemoryStats {
    const p = this.pool.stats();
    return {
      liveBytes: this.live, liveBuffers: this.liveCount, pooledBytes: p.pooledBytes, pooledBuffers: p.pooledBuffers,
      peakLiveBytes: this.peak, allocatedBytes: this.allocated,
    };
  }

  /** Bounds the bytes of free buffers kept for reuse (default 256 MiB); trims now if over. */
  setPoolLimit(bytes: number): void {
    this.pool.limit = bytes;
    this.pool.trim(bytes);
  }

  dispatchStats(): DispatchStats {
    return { ...this.counters };
  }

  // ---- kernels ------------------------------------------------------------------------------

  private pipelineFor(k: Kernel): Pipeline {
    const hit = this.pipelines.get(k.key);
    if (hit) return hit;
    const layoutKey = k.decls.map((d) => (d.access === 'read' ? 'r' : 'w')).join('');
    let layout = this.layouts.get(layoutKey);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = k.decls.map((d, i) => ({
        binding: i, visibility: 4 /* COMPUTE */, buffer: { type: d.access === 'read' ? 'read-only-storage' : 'storage' },
      }));
      entries.push({ binding: k.decls.length, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAM_SLOT } });
      layout = this.device.createBindGroupLayout({ entries, label: layoutKey });
      this.layouts.set(layoutKey, layout);
      this.pipelineLayouts.set(layoutKey, this.device.createPipelineLayout({ bindGroupLayouts: [layout] }));
    }
    const decls = k.decls.map((d, i) =>
      `@group(0) @binding(${i}) var<storage, ${d.access === 'read' ? 'read' : 'read_write'}> ${d.name}: array<${d.type}>;`).join('\n');
    const code = `${decls}\n@group(0) @binding(${k.decls.length}) var<uniform> P: Params;\n${PRELUDE}\n${k.body()}`;
    const module = this.device.createShaderModule({ code, label: k.key });
    const pipeline = this.device.createComputePipeline({ layout: this.pipelineLayouts.get(layoutKey)!, compute: { module, entryPoint: 'main' }, label: k.key });
    this.counters.pipelines++;
    const p = { pipeline, layout, layoutKey };
    this.pipelines.set(k.key, p);
    return p;
  }

  /**
   * Records one dispatch of `k` over `groups` workgroups (a count is spread over x and y when it
   * exceeds the per-dimension limit; kernels rebuild the linear id from num_workgroups).
   */
  run(k: Kernel, buffers: readonly GpuBuffer[], params: ArrayLike<number>, groups: number | readonly [number, number, number]): void {
    const [gx, gy, gz] = typeof groups === 'number' ? this.spread(groups) : groups;
    if (gx * gy * gz === 0) return;
    if (buffers.length !== k.decls.length) throw new DeviceError(`webgpu kernel ${k.key}: ${k.decls.length} buffers expected, got ${buffers.length}`);
    if (params.length > PARAM_WORDS) throw new DeviceError(`webgpu kernel ${k.key}: ${params.length} parameters exceed ${PARAM_WORDS}`);
    const p = this.pipelineFor(k);
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i]!;
      if (b.released) throw new DeviceError(`webgpu kernel ${k.key}: binding '${k.decls[i]!.name}' uses a buffer after it was released`);
      // a never-written buffer reads as zeros: clear it before anything reads or accumulates into it
      if (b.zero && k.decls[i]!.access !== 'write') this.clear(b);
    }
    const slot = this.paramSlot(params);
    const pass = this.computePass();
    pass.setPipeline(p.pipeline);
    pass.setBindGroup(0, this.bindGroup(p, buffers), [slot * PARAM_SLOT]);
    pass.dispatchWorkgroups(gx, gy, gz);
    for (let i = 0; i < buffers.length; i++) if (k.decls[i]!.access !== 'read') buffers[i]!.zero = false;
    this.counters.dispatches++;
    if (++this.batched >= this.batchLimit) this.flush();
  }

  /** Workgroup counts for `n` groups: x up to the limit, the rest in y. */
  spread(n: number): [number, number, number] {
    if (n === 0) return [0, 1, 1];
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (n <= max) return [n, 1, 1];
    const y = Math.ceil(n / max);
    return [Math.ceil(n / y), y, 1];
  }

  private paramSlot(params: ArrayLike<number>): number {
    let key = '';
    for (let i = 0; i < params.length; i++) key += `${params[i]! >>> 0},`;
    const hit = this.arenaIndex.get(key);
    if (hit !== undefined) return hit;
    const slot = this.arenaSlots++;
    const base = slot * PARAM_WORDS;
    for (let i = 0; i < params.length; i++) this.arenaWords[base + i] = params[i]! >>> 0;
    this.arenaIndex.set(key, slot);
    return slot;
  }

  private bindGroup(p: Pipeline, buffers: readonly GpuBuffer[]): GPUBindGroup {
    let key = p.layoutKey;
    for (const b of buffers) key += `:${b.block.id}/${b.length}`;
    const hit = this.bindGroups.get(key);
    if (hit) return hit;
    const entries: GPUBindGroupEntry[] = buffers.map((b, i) => ({ binding: i, resource: { buffer: b.block.gpu, offset: 0, size: Math.max(4, b.byteLength) } }));
    entries.push({ binding: buffers.length, resource: { buffer: this.arena, offset: 0, size: PARAM_SLOT } });
    const bg = this.device.createBindGroup({ layout: p.layout, entries });
    if (this.bindGroups.size >= 8192) this.bindGroups = new Map();
    this.bindGroups.set(key, bg);
    return bg;
  }

  private computePass(): GPUComputePassEncoder {
    if (this.pass) return this.pass;
    this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /** An encoder with no compute pass open, for copies and clears. */
  private copyEncoder(): GPUCommandEncoder {
    if (this.pass) { this.pass.end(); this.pass = null; }
    return this.commandEncoder();
  }

  /** Zero-fills a buffer in order with the recorded kernels. */
  clear(b: GpuBuffer): void {
    if (b.length > 0) this.copyEncoder().clearBuffer(b.block.gpu, 0, Math.ceil(b.byteLength / 4) * 4);
    b.zero = false;
  }

  /** Copies `length` elements of src into dst (both from element 0), in order with the kernels. */
  copy(src: GpuBuffer, dst: GpuBuffer, length: number): void {
    if (src.zero) { this.clear(dst); return; }
    if (length > 0) this.copyEncoder().copyBufferToBuffer(src.block.gpu, 0, dst.block.gpu, 0, length * 4);
    dst.zero = false;
  }

  /** Submits everything recorded so far (one command buffer). */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) { this.pass.end(); this.pass = null; }
    if (this.arenaSlots > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaWords.buffer, 0, this.arenaSlots * PARAM_SLOT);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.batched = 0;
    this.arenaSlots = 0;
    this.arenaIndex.clear();
    this.counters.submissions++;
    if (this.toDestroy.length > 0) {
      for (const b of this.toDestroy.splice(0)) b.destroy();
      // bind groups may name destroyed buffers
      this.bindGroups = new Map();
    }
  }

  /** Reads a buffer back (submits pending work first). */
  async read(b: GpuBuffer): Promise<Float32Array | Int32Array> {
    if (b.released) throw new DeviceError('webgpu read: the buffer was released');
    if (b.dtype === 'float64') throw new DeviceError('webgpu read: float64 buffers cannot exist on webgpu');
    const out = b.dtype === 'int32' ? new Int32Array(b.length) : new Float32Array(b.length);
    this.counters.readbacks++;
    if (b.zero || b.length === 0) { this.flush(); await this.check(); return out; }
    const cap = sizeClass(b.byteLength);
    const staging = this.stagingPool.get(cap)?.pop() ?? this.device.createBuffer({ size: cap, usage: Usage.MAP_READ | Usage.COPY_DST });
    this.copyEncoder().copyBufferToBuffer(b.block.gpu, 0, staging, 0, b.byteLength);
    this.flush();
    try {
      await staging.mapAsync(MapMode.READ, 0, b.byteLength);
    } catch (e) {
      await this.check();
      throw new DeviceError(`webgpu read: mapping the result failed: ${(e as Error).message}`);
    }
    const bytes = new Uint8Array(staging.getMappedRange(0, b.byteLength));
    new Uint8Array(out.buffer).set(bytes);
    staging.unmap();
    let list = this.stagingPool.get(cap);
    if (!list) { list = []; this.stagingPool.set(cap, list); }
    if (list.length < 4) list.push(staging); else staging.destroy();
    await this.check();
    return out;
  }

  /** Waits until the GPU has finished everything submitted (and submits what is pending). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.check();
  }

  /** Throws the first validation error or device loss seen, once. */
  private async check(): Promise<void> {
    if (this.lostMessage !== null) throw new DeviceError(`webgpu: the device was lost (${this.lostMessage})`);
    if (this.error !== null) {
      const msg = this.error;
      this.error = null;
      throw new DeviceError(`webgpu: a kernel failed validation: ${msg}`);
    }
  }

  /** Frees every buffer and the device. */
  destroy(): void {
    this.flush();
    this.pool.trim(0);
    for (const b of this.toDestroy.splice(0)) b.destroy();
    this.device.destroy();
    void this.keepAlive;
  }
}
