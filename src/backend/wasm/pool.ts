import type { DType, TypedArray } from '../backend.js';

/**
 * Recycles the memory of large CPU storages. A training step allocates tens of megabytes of
 * activations and gradients that die at the end of the step; fresh typed arrays of that size
 * are backed by memory outside the JS heap, and V8 answers their churn with frequent full
 * garbage collections (over a millisecond each, several per step). Here the buffer of a storage
 * that the garbage collector found unreachable goes back to a pool, and an allocation of the
 * same byte length takes it from there, zero-filled, as alloc promises.
 *
 * The one way to observe a recycled buffer is a view made from a storage (`t.data.subarray(…)`,
 * `new Float32Array(t.data.buffer)`) kept after the storage itself is unreachable and used after
 * the current task: copy (`slice`) instead when a view must outlive its tensor.
 */

/** Below this many bytes V8's own allocation is cheap (and small typed arrays live on the heap). */
const MIN_BYTES = 64 * 1024;
/**
 * Above this many bytes a storage is left to the collector: such tensors are few and their
 * kernels long, and pooling them would keep a lot of memory idle.
 */
const MAX_BYTES = 2 * 1024 * 1024;
/** The pool holds at most this many idle bytes; beyond it, buffers are left to the collector. */
const MAX_IDLE_BYTES = 128 * 1024 * 1024;
/**
 * At most this many bytes of registered storages whose return is pending. The collector's
 * callbacks run only between tasks, so a loop that never yields to the event loop would
 * otherwise keep every buffer it allocated; past this, storages are plain unregistered arrays.
 */
const MAX_PENDING_BYTES = 128 * 1024 * 1024;

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;
const CTORS: Record<DType, Ctor> = { float32: Float32Array, float64: Float64Array, int32: Int32Array };

export class StoragePool {
  private readonly idle = new Map<number, ArrayBuffer[]>();
  private idleBytes = 0;
  /** bytes of registered storages not yet returned by the collector */
  private pendingBytes = 0;
  /** allocations served from the pool, and fresh ones (for diagnostics) */
  hits = 0;
  misses = 0;
  private readonly registry = typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ buffer: ArrayBuffer; bytes: number }>((held) => this.give(held.buffer, held.bytes))
    : null;

  /** A zero-filled storage of `size` elements, recycled when one of its byte length is idle. */
  alloc(dtype: DType, size: number): TypedArray {
    const Ctor = CTORS[dtype];
    const bytes = size * Ctor.BYTES_PER_ELEMENT;
    if (this.registry === null || bytes < MIN_BYTES || bytes > MAX_BYTES || this.pendingBytes + bytes > MAX_PENDING_BYTES) return new Ctor(size);
    const list = this.idle.get(bytes);
    let out: TypedArray | null = null;
    while (list && list.length > 0 && out === null) {
      const buf = list.pop()!;
      this.idleBytes -= bytes;
      // a buffer transferred away (postMessage) comes back detached, with length 0
      if (buf.byteLength === bytes) out = new Ctor(buf).fill(0);
    }
    if (out === null) {
      out = new Ctor(size);
      this.misses++;
    } else {
      this.hits++;
    }
    this.registry.register(out, { buffer: out.buffer as ArrayBuffer, bytes });
    this.pendingBytes += bytes;
    return out;
  }

  private give(buf: ArrayBuffer, bytes: number): void {
    this.pendingBytes -= bytes;
    // a buffer transferred away (postMessage) is detached, with no bytes left to reuse
    if (buf.byteLength !== bytes || this.idleBytes + bytes > MAX_IDLE_BYTES) return;
    let list = this.idle.get(bytes);
    if (!list) this.idle.set(bytes, (list = []));
    list.push(buf);
    this.idleBytes += bytes;
  }
}
