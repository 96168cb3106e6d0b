import type { DType, TypedArray } from '../backend/backend.js';
import { FormatError, ValueError } from '../errors.js';
import { arrayFor } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { preview } from '../validate.js';
import { setOwn } from './records.js';
import { bfloat16Bits, float16Bits, float16Value } from './half.js';

// This file has no Node imports, so it also runs in browsers.

/** How each safetensors dtype is held: its element size and the dtype backprop reads it as. */
const READ: Record<string, { bytes: number; dtype: DType }> = {
  F16: { bytes: 2, dtype: 'float32' }, BF16: { bytes: 2, dtype: 'float32' },
  F32: { bytes: 4, dtype: 'float32' }, F64: { bytes: 8, dtype: 'float64' },
  I8: { bytes: 1, dtype: 'int32' }, U8: { bytes: 1, dtype: 'int32' },
  I16: { bytes: 2, dtype: 'int32' }, U16: { bytes: 2, dtype: 'int32' },
  I32: { bytes: 4, dtype: 'int32' }, U32: { bytes: 4, dtype: 'int32' },
  I64: { bytes: 8, dtype: 'int32' }, U64: { bytes: 8, dtype: 'int32' },
  BOOL: { bytes: 1, dtype: 'int32' },
};
const READABLE = 'F16, BF16, F32, F64, I8, U8, I16, U16, I32, U32, I64, U64 and BOOL';
/** dtypes of the spec we recognise but cannot hold */
const OTHER_ST = new Set(['F8_E4M3', 'F8_E5M2']);
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The half precision a file can store floating tensors in; int32 tensors are always stored as I32.
 * @example saveSafetensors('model.safetensors', sd, {}, { dtype: 'bfloat16' satisfies SafetensorsFloatDType })
 */
export type SafetensorsFloatDType = 'float16' | 'bfloat16';

/**
 * Options of {@link serializeSafetensors} and `io.saveSafetensors`.
 * @example serializeSafetensors(model.stateDict(), {}, { dtype: 'float16' })
 */
export interface SafetensorsWriteOptions {
  /**
   * Store float32 and float64 tensors in half precision, correctly rounded (to nearest, ties to
   * even; values beyond the range become ±infinity). By default each is stored in its own dtype.
   */
  dtype?: SafetensorsFloatDType;
}

/**
 * A parsed safetensors file: the tensors by name, and the string pairs of `__metadata__`.
 * @example const { tensors, metadata }: SafetensorsContent = loadSafetensors('model.safetensors');
 */
export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** A tensor's bytes as the file stores them, and the file's name for its dtype. */
function encodeTensor(t: Tensor, half: SafetensorsFloatDType | undefined): { st: string; bytes: Uint8Array } {
  const a = t.data;
  if (half !== undefined && t.dtype !== 'int32') {
    const bits = half === 'float16' ? float16Bits : bfloat16Bits;
    const out = new Uint8Array(2 * a.length);
    const v = new DataView(out.buffer);
    for (let i = 0; i < a.length; i++) v.setUint16(2 * i, bits(a[i]!), true);
    return { st: half === 'float16' ? 'F16' : 'BF16', bytes: out };
  }
  const st = t.dtype === 'float32' ? 'F32' : t.dtype === 'float64' ? 'F64' : 'I32';
  if (LITTLE_ENDIAN) return { st, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
  const out = new Uint8Array(a.byteLength);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (st === 'F32') v.setFloat32(4 * i, a[i]!, true);
    else if (st === 'F64') v.setFloat64(8 * i, a[i]!, true);
    else v.setInt32(4 * i, a[i]!, true);
  }
  return { st, bytes: out };
}

/**
 * Encodes tensors in the safetensors format (Hugging Face): an 8-byte little-endian header
 * length, a JSON header padded with spaces to a multiple of 8, then the tensors' bytes in the
 * order given. `{dtype: 'float16' | 'bfloat16'}` stores the floating tensors in half precision.
 * @example
 * const bytes = serializeSafetensors({ w: model.weight }, { epoch: '3' });
 * const half = serializeSafetensors(model.stateDict(), {}, { dtype: 'bfloat16' });
 */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}, options: SafetensorsWriteOptions = {}): Uint8Array {
  const half = options.dtype;
  if (half !== undefined && half !== 'float16' && half !== 'bfloat16') {
    throw new ValueError(`serializeSafetensors: dtype must be 'float16' or 'bfloat16' (or left out to keep each tensor's own), got ${preview(half)}`);
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`serializeSafetensors: metadata values must be strings, '${k}' is a ${typeof v}`);
    }
    header['__metadata__'] = { ...metadata };
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new ValueError("serializeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    if (!(t instanceof Tensor)) throw new ValueError(`serializeSafetensors: '${name}' is not a Tensor`);
    const { st, bytes } = encodeTensor(t, half);
    setOwn(header, name, { dtype: st, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] });
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let p = 8 + headerLen;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/**
 * Decodes n little-endian elements of safetensors dtype st into the dtype backprop holds them in.
 * Integers that do not fit in int32 (I64, U32, U64) and BOOL bytes other than 0 and 1 call
 * `fail` with the value and its flat index.
 */
function decodeTensor(st: string, src: Uint8Array, n: number, fail: (msg: string) => never): TypedArray {
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const int = (i: number, x: number | bigint): number => {
    if (x < INT32_MIN || x > INT32_MAX) {
      fail(`${st} value ${x} at index ${i} does not fit in int32, the integer dtype backprop holds (${INT32_MIN}..${INT32_MAX})`);
    }
    return Number(x);
  };
  switch (st) {
    case 'F32':
    case 'F64':
    case 'I32': {
      const out = arrayFor(READ[st]!.dtype, n);
      if (LITTLE_ENDIAN) {
        new Uint8Array(out.buffer).set(src); // copying also realigns data the file left unaligned
      } else {
        for (let i = 0; i < n; i++) out[i] = st === 'F32' ? v.getFloat32(4 * i, true) : st === 'F64' ? v.getFloat64(8 * i, true) : v.getInt32(4 * i, true);
      }
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16Value(v.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      // a bfloat16 is the top half of a float32: shifting the bits keeps NaN payloads too
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
      return out;
    }
    default: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        switch (st) {
          case 'I8': out[i] = v.getInt8(i); break;
          case 'U8': out[i] = v.getUint8(i); break;
          case 'I16': out[i] = v.getInt16(2 * i, true); break;
          case 'U16': out[i] = v.getUint16(2 * i, true); break;
          case 'U32': out[i] = int(i, v.getUint32(4 * i, true)); break;
          case 'I64': {
            // fits in int32 exactly when the high word is the sign extension of the low one
            const lo = v.getInt32(8 * i, true);
            out[i] = v.getInt32(8 * i + 4, true) === lo >> 31 ? lo : int(i, v.getBigInt64(8 * i, true));
            break;
          }
          case 'U64': {
            const lo = v.getUint32(8 * i, true);
            out[i] = v.getUint32(8 * i + 4, true) === 0 && lo <= INT32_MAX ? lo : int(i, v.getBigUint64(8 * i, true));
            break;
          }
          case 'BOOL': {
            const b = v.getUint8(i);
            if (b > 1) fail(`BOOL byte ${b} at index ${i} is neither 0 nor 1`);
            out[i] = b;
            break;
          }
        }
      }
      return out;
    }
  }
}

function isIntArray(v: unknown, len?: number): v is number[] {
  return Array.isArray(v) && (len === undefined || v.length === len) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * Decodes safetensors bytes, checking the header length, the JSON, every dtype, shape and
 * offset, and that the tensors tile the data section exactly. `name` appears in errors.
 * F32 and F64 keep their dtype; F16 and BF16 become float32 (exactly); I8, U8, I16, U16, I32,
 * U32, I64, U64 and BOOL become int32, and a value outside int32 is a FormatError naming the
 * tensor, as is a BOOL byte other than 0 or 1.
 * @example
 * const { tensors, metadata } = parseSafetensors(bytes, 'model.safetensors');
 */
export function parseSafetensors(bytes: Uint8Array, name = 'safetensors data'): SafetensorsContent {
  const fail = (msg: string): never => {
    throw new FormatError(`${name}: ${msg}`);
  };
  if (bytes.length < 8) fail(`truncated: a safetensors file starts with an 8-byte header length, got ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLen > bytes.length - 8) fail(`truncated or not safetensors: the header length ${headerLen} goes beyond the end of the file (${bytes.length} bytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`the header must be a JSON object starting with '{', got ${preview(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('the header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; st: string; count: number; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, info] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) fail('__metadata__ must be an object of strings');
      for (const [mk, mv] of Object.entries(info as Record<string, unknown>)) {
        if (typeof mv !== 'string') fail(`__metadata__ value '${mk}' must be a string, got ${preview(mv)}`);
        setOwn(metadata, mk, mv as string);
      }
      continue;
    }
    if (info === null || typeof info !== 'object') return fail(`tensor '${key}': expected {dtype, shape, data_offsets}`);
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') return fail(`tensor '${key}': dtype is missing`);
    const kind = Object.prototype.hasOwnProperty.call(READ, dtype) ? READ[dtype] : undefined;
    if (kind === undefined) {
      return fail(OTHER_ST.has(dtype)
        ? `tensor '${key}': dtype ${dtype} is not supported (backprop reads ${READABLE})`
        : `tensor '${key}': unknown dtype '${dtype.slice(0, 40)}' (backprop reads ${READABLE})`);
    }
    if (!isIntArray(shape)) return fail(`tensor '${key}': shape must be an array of non-negative integers, got ${preview(shape)}`);
    if (!isIntArray(offs, 2)) return fail(`tensor '${key}': data_offsets must be [begin, end], got ${preview(offs)}`);
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen) {
      fail(`tensor '${key}': data_offsets [${begin},${end}] are out of range of the ${dataLen}-byte data section${end > dataLen ? ' (truncated file?)' : ''}`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const need = count * kind.bytes;
    if (end - begin !== need) fail(`tensor '${key}': shape ${preview(shape)} of ${dtype} needs ${need} bytes but data_offsets [${begin},${end}] hold ${end - begin}`);
    entries.push({ name: key, st: dtype, count, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let prev = '';
  for (const e of entries) {
    if (e.begin < covered) fail(`tensors '${prev}' and '${e.name}' overlap (data_offsets ${e.begin} < ${covered})`);
    if (e.begin > covered) fail(`bytes ${covered}..${e.begin} of the data section belong to no tensor`);
    covered = e.end;
    prev = e.name;
  }
  if (covered !== dataLen) fail(`the data section has ${dataLen} bytes but the tensors cover ${covered}`);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    setOwn(tensors, e.name, Tensor.fromRaw(decodeTensor(e.st, src, e.count, (msg) => fail(`tensor '${e.name}': ${msg}`)), e.shape));
  }
  return { tensors, metadata };
}
