/**
 * Typed arrays given back early (Backend.release), reused by alloc of the same dtype and length.
 *
 * A fresh typed array costs more than its zeroing: new pages fault in on first write, and the
 * external memory drives extra garbage collections. Backward gives its temporaries back as soon as
 * the walk is past them, so a training step reuses the last step's arrays.
 */
import type { DType, TypedArray } from '../backend.js';

/** Below this many elements a fresh array is as cheap as a lookup. */
const MIN_ELEMENTS = 1024;
/** Beyond this many pooled bytes, given-back arrays are left to the collector. */
const MAX_POOLED_BYTES = 256 << 20;

export class HostPool {
  private readonly free = new Map<string, TypedArray[]>();
  private readonly pooled = new Set<TypedArray>();
  private bytes = 0;

  /** A zeroed array from the pool, or null. */
  take(dtype: DType, size: number): TypedArray | null {
    if (size < MIN_ELEMENTS) return null;
    const x = this.free.get(`${dtype}:${size}`)?.pop();
    if (x === undefined) return null;
    this.pooled.delete(x);
    this.bytes -= x.byteLength;
    return x.fill(0);
  }

  /** Takes `x` back; the caller guarantees nothing reads or writes it again. */
  give(x: TypedArray): void {
    // only arrays that own a whole plain buffer: not views of wasm memory or of a file, not twice
    if (x.length < MIN_ELEMENTS || !(x.buffer instanceof ArrayBuffer) || x.byteOffset !== 0 || x.byteLength !== x.buffer.byteLength
      || this.pooled.has(x)) return;
    if (this.bytes + x.byteLength > MAX_POOLED_BYTES) return;
    const key = `${dtypeOf(x)}:${x.length}`;
    let list = this.free.get(key);
    if (list === undefined) this.free.set(key, list = []);
    list.push(x);
    this.pooled.add(x);
    this.bytes += x.byteLength;
  }

  /** Bytes held for reuse. */
  get pooledBytes(): number {
    return this.bytes;
  }
}

function dtypeOf(x: TypedArray): DType {
  return x instanceof Float32Array ? 'float32' : x instanceof Float64Array ? 'float64' : 'int32';
}
