/// <reference types="@webgpu/types" />
/**
 * GPU memory: the storage class that webgpu tensors hold, and the pool their buffers return to.
 *
 * A GPUBuffer is created in a size class (256 B, then quarter steps between powers of two, so at
 * most 25% is wasted) and, once no tensor holds it, goes back to the pool for the next tensor of
 * that class. The pool is bounded: past its limit the oldest free buffers are destroyed.
 */
import type { DeviceBuffer, DType } from '../backend.js';

/** GPUBufferUsage bits, spelled out so nothing depends on the implementation's globals. */
export const Usage = { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
export const MapMode = { READ: 1, WRITE: 2 } as const;

const MIN_BYTES = 256;

/** The capacity, in bytes, of the size class that holds `bytes`. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const p = 2 ** Math.floor(Math.log2(bytes));
  if (bytes === p) return p;
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

/** @internal One GPUBuffer of one size class, live (held by a GpuBuffer) or free (in the pool). */
export interface PooledBuffer {
  readonly gpu: GPUBuffer;
  readonly capacity: number;
  /** a stable number for bind-group keys */
  readonly id: number;
  /** the submission count when it was freed: commands still unsubmitted then may read it */
  freedAt: number;
  /** order of freeing, for evicting the oldest */
  freedSeq: number;
}

/**
 * A webgpu tensor's storage: `length` elements of `dtype` at the start of a pooled GPUBuffer.
 * Its contents are zero until a kernel or an upload writes it (`zero` is true until then), so
 * `alloc` costs no clear unless a kernel reads or accumulates into the buffer first.
 */
export class GpuBuffer implements DeviceBuffer {
  readonly device = 'webgpu' as const;
  /** @internal still reads as zeros: no kernel or upload has written it */
  zero: boolean;
  /** @internal returned to the pool by release(); any later use is a bug */
  released = false;

  /** @internal created by the runtime (alloc, upload) */
  constructor(readonly dtype: DType, readonly length: number, /** @internal */ readonly block: PooledBuffer, zero: boolean) {
    this.zero = zero;
  }

  /** The bytes the elements occupy (a binding never covers the slack of the size class). */
  get byteLength(): number {
    return this.length * 4;
  }
}

export interface PoolStats {
  pooledBytes: number;
  pooledBuffers: number;
}

/** @internal Free GPUBuffers by size class, bounded in bytes. */
export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  private bytes = 0;
  private count = 0;
  private seq = 0;
  private nextId = 1;
  /** the most free bytes kept; past it the oldest free buffers are destroyed */
  limit: number;

  constructor(private readonly device: GPUDevice, limit: number, private readonly destroyLater: (b: GPUBuffer) => void) {
    this.limit = limit;
  }

  /**
   * A buffer of `capacity` bytes: a free one of that class if any (only one freed before the
   * last submission when `settled`, since queue.writeBuffer overtakes unsubmitted commands),
   * else a new one.
   */
  acquire(capacity: number, settledBefore: number | null): PooledBuffer {
    const list = this.free.get(capacity);
    if (list && list.length > 0) {
      let i = list.length - 1;
      if (settledBefore !== null) while (i >= 0 && list[i]!.freedAt >= settledBefore) i--;
      if (i >= 0) {
        const b = list.splice(i, 1)[0]!;
        this.bytes -= capacity;
        this.count--;
        return b;
      }
    }
    const gpu = this.device.createBuffer({ size: capacity, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST });
    return { gpu, capacity, id: this.nextId++, freedAt: 0, freedSeq: 0 };
  }

  /** Takes a buffer back; `submissions` is the submission count now. */
  release(b: PooledBuffer, submissions: number): void {
    b.freedAt = submissions;
    b.freedSeq = this.seq++;
    let list = this.free.get(b.capacity);
    if (!list) { list = []; this.free.set(b.capacity, list); }
    list.push(b);
    this.bytes += b.capacity;
    this.count++;
    if (this.bytes > this.limit) this.trim(this.limit);
  }

  /** Destroys the oldest free buffers until at most `target` bytes are pooled. */
  trim(target: number): void {
    while (this.bytes > target) {
      let oldest: PooledBuffer[] | null = null;
      for (const list of this.free.values()) {
        if (list.length > 0 && (oldest === null || list[0]!.freedSeq < oldest[0]!.freedSeq)) oldest = list;
      }
      if (oldest === null) return;
      const b = oldest.shift()!;
      this.bytes -= b.capacity;
      this.count--;
      this.destroyLater(b.gpu);
    }
  }

  stats(): PoolStats {
    return { pooledBytes: this.bytes, pooledBuffers: this.count };
  }
}
