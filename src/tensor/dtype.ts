import type { DType, Storage, TypedArray } from '../backend/backend.js';
import { DTypeError, ValueError } from '../errors.js';

export type { DType, TypedArray };

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64' || x === 'int32';
}

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function arrayFor(dtype: DType, size: number): TypedArray {
  try {
    switch (dtype) {
      case 'float32': return new Float32Array(size);
      case 'float64': return new Float64Array(size);
      case 'int32': return new Int32Array(size);
    }
  } catch (e) {
    // an invalid length or a failed allocation: say what was asked for
    if (e instanceof RangeError) throw new ValueError(`cannot allocate ${size} ${dtype} values (${size * (dtype === 'float64' ? 8 : 4)} bytes): ${e.message}`);
    throw e;
  }
}

export function arrayFrom(dtype: DType, values: ArrayLike<number>): TypedArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values, (v) => Math.trunc(v));
  }
}

export function isTypedArray(s: Storage): s is TypedArray {
  return ArrayBuffer.isView(s);
}

/** The dtype of a storage: from the array class on the CPU, from the buffer elsewhere. */
export function storageDType(s: Storage): DType {
  return isTypedArray(s) ? dtypeOfArray(s) : s.dtype;
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

/** Type promotion between two tensors: float64 > float32 > int32, as in PyTorch. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}

export function assertFloat(op: string, dtype: DType): void {
  if (!isFloat(dtype)) {
    throw new DTypeError(`${op}: expected a floating dtype (float32 or float64), got ${dtype}; convert with .to('float32')`);
  }
}
