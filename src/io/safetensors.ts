import type { DType, TypedArray } from '../backend/backend.js';
import { FormatError, ValueError } from '../errors.js';
import { arrayFor } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { preview } from '../validate.js';
import { setOwn } from './records.js';

// This file has no Node imports, so it also runs in browsers.

const TO_ST: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const FROM_ST: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32' };
const ELEM: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };
/** dtypes of the spec we recognise but cannot hold */
const OTHER_ST = new Set(['BOOL', 'U8', 'I8', 'U16', 'I16', 'F16', 'BF16', 'U32', 'I64', 'U64', 'F8_E4M3', 'F8_E5M2']);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function bytesOf(a: TypedArray): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) v.setFloat32(4 * i, a[i]!, true);
    else if (a instanceof Float64Array) v.setFloat64(8 * i, a[i]!, true);
    else v.setInt32(4 * i, a[i]!, true);
  }
  return out;
}

/**
 * Encodes tensors in the safetensors format (Hugging Face): an 8-byte little-endian header
 * length, a JSON header padded with spaces to a multiple of 8, then the tensors' bytes in the
 * order given. @example const bytes = serializeSafetensors({w: model.weight}, {epoch: '3'});
 */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
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
    const bytes = bytesOf(t.data);
    setOwn(header, name, { dtype: TO_ST[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] });
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

function isIntArray(v: unknown, len?: number): v is number[] {
  return Array.isArray(v) && (len === undefined || v.length === len) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * Decodes safetensors bytes, checking the header length, the JSON, every dtype, shape and
 * offset, and that the tensors tile the data section exactly. `name` appears in errors.
 * @example const {tensors, metadata} = parseSafetensors(bytes, 'model.safetensors');
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
  const entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
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
    const dt = Object.prototype.hasOwnProperty.call(FROM_ST, dtype) ? FROM_ST[dtype] : undefined;
    if (dt === undefined) {
      return fail(OTHER_ST.has(dtype)
        ? `tensor '${key}': dtype ${dtype} is not supported (backprop reads F32, F64 and I32)`
        : `tensor '${key}': unknown dtype '${dtype.slice(0, 40)}' (backprop reads F32, F64 and I32)`);
    }
    if (!isIntArray(shape)) return fail(`tensor '${key}': shape must be an array of non-negative integers, got ${preview(shape)}`);
    if (!isIntArray(offs, 2)) return fail(`tensor '${key}': data_offsets must be [begin, end], got ${preview(offs)}`);
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen) {
      fail(`tensor '${key}': data_offsets [${begin},${end}] are out of range of the ${dataLen}-byte data section${end > dataLen ? ' (truncated file?)' : ''}`);
    }
    const need = shape.reduce((a, b) => a * b, 1) * ELEM[dt];
    if (end - begin !== need) fail(`tensor '${key}': shape ${preview(shape)} of ${dtype} needs ${need} bytes but data_offsets [${begin},${end}] hold ${end - begin}`);
    entries.push({ name: key, dtype: dt, shape, begin, end });
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
    const n = (e.end - e.begin) / ELEM[e.dtype];
    const out = arrayFor(e.dtype, n);
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    if (LITTLE_ENDIAN) {
      new Uint8Array(out.buffer).set(src); // copying also realigns data the file left unaligned
    } else {
      const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < n; i++) out[i] = e.dtype === 'float32' ? v.getFloat32(4 * i, true) : e.dtype === 'float64' ? v.getFloat64(8 * i, true) : v.getInt32(4 * i, true);
    }
    setOwn(tensors, e.name, Tensor.fromRaw(out, e.shape));
  }
  return { tensors, metadata };
}
