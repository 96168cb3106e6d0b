import { readFileSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync, type ZlibOptions } from 'node:zlib';
import type { DType } from '../backend/backend.js';
import { FormatError, ValueError, fmtShape } from '../errors.js';
import { arrayFor } from '../tensor/dtype.js';
import { MAX_DECODED_BYTES } from '../limits.js';
import { Tensor } from '../tensor/tensor.js';

/** Element types of the IDX format, by the third byte of the magic number. */
const IDX_TYPES: Record<number, { name: string; size: number; float: boolean }> = {
  0x08: { name: 'uint8', size: 1, float: false },
  0x09: { name: 'int8', size: 1, float: false },
  0x0b: { name: 'int16', size: 2, float: false },
  0x0c: { name: 'int32', size: 4, float: false },
  0x0d: { name: 'float32', size: 4, float: true },
  0x0e: { name: 'float64', size: 8, float: true },
};

/**
 * The parsed header of an IDX file: element type, dims, and where the data starts.
 * @example const { dims } = parseIdxHeader(bytes, 'train-images-idx3-ubyte'); // [60000, 28, 28]
 */
export interface IdxHeader {
  /** the IDX element type: 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64 */
  typeCode: number;
  /** the size of each dimension */
  dims: number[];
  /** byte offset of the first element */
  offset: number;
  /** bytes per element */
  elemSize: number;
}

/** The magic number, type and dims of an IDX header, without looking at the data after it. */
function readIdxHead(bytes: Uint8Array, name: string): IdxHeader & { typeName: string; dataBytes: number } {
  if (bytes.length < 4) throw new FormatError(`${name}: truncated: an IDX file starts with a 4-byte magic number, got ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const typeCode = bytes[2]!;
  const ndim = bytes[3]!;
  const type = IDX_TYPES[typeCode];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    throw new FormatError(
      `${name}: bad magic number 0x${magic.toString(16).padStart(8, '0')}; an IDX file starts with 0x0000, a type byte ` +
        '(08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64) and the number of dims (e.g. 0x00000803 for images, 0x00000801 for labels)',
    );
  }
  const offset = 4 + 4 * ndim;
  if (bytes.length < offset) throw new FormatError(`${name}: truncated: the header of ${ndim} dims needs ${offset} bytes, got ${bytes.length}`);
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const elements = dims.reduce((a, b) => a * b, 1);
  // the result is float32/int32 (or float64 for float64 data): check what decoding would allocate
  if (elements * Math.max(4, type.size) > MAX_DECODED_BYTES) {
    throw new FormatError(`${name}: its header declares dims ${fmtShape(dims)} of ${type.name}, ${elements} values: more than the ${MAX_DECODED_BYTES / 2 ** 30} GiB a reader will allocate`);
  }
  return { typeCode, dims, offset, elemSize: type.size, typeName: type.name, dataBytes: elements * type.size };
}

/**
 * Reads and checks an IDX header, including that the data has exactly the declared length.
 * @example const header = parseIdxHeader(readIdxBytes(path), path);
 */
export function parseIdxHeader(bytes: Uint8Array, name: string): IdxHeader {
  const { typeName, dataBytes, ...h } = readIdxHead(bytes, name);
  const got = bytes.length - h.offset;
  if (got < dataBytes) throw new FormatError(`${name}: truncated: dims ${fmtShape(h.dims)} of ${typeName} need ${dataBytes} bytes of data, got ${got}`);
  if (got > dataBytes) throw new FormatError(`${name}: dims ${fmtShape(h.dims)} of ${typeName} need ${dataBytes} bytes of data, but the file has ${got - dataBytes} bytes more`);
  return h;
}

/**
 * Options of readIdx and parseIdx.
 * @example readIdx('train-labels-idx1-ubyte.gz', { limit: 1000 })
 */
export interface IdxOptions {
  /** dtype of the result; default int32 for 1-D integer data (labels), else float32 (float64 data stays float64) */
  dtype?: DType;
  /** read only the first `limit` items along the first dim */
  limit?: number;
}

/**
 * Decodes an (uncompressed) IDX file held in memory; `name` is used in error messages.
 * @example const labels = parseIdx(bytes, 'train-labels-idx1-ubyte'); // int32 [60000]
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data', opts: IdxOptions = {}): Tensor {
  const h = parseIdxHeader(bytes, name);
  const type = IDX_TYPES[h.typeCode]!;
  const dtype: DType = opts.dtype ?? (type.name === 'float64' ? 'float64' : !type.float && h.dims.length === 1 ? 'int32' : 'float32');
  const dims = [...h.dims];
  if (opts.limit !== undefined) {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) throw new ValueError(`parseIdx: limit must be a non-negative integer, got ${opts.limit}`);
    dims[0] = Math.min(dims[0]!, opts.limit);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  const out = arrayFor(dtype, n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const o = h.offset;
  switch (h.typeCode) {
    case 0x08: for (let i = 0; i < n; i++) out[i] = bytes[o + i]!; break;
    case 0x09: for (let i = 0; i < n; i++) out[i] = view.getInt8(o + i); break;
    case 0x0b: for (let i = 0; i < n; i++) out[i] = view.getInt16(o + 2 * i, false); break;
    case 0x0c: for (let i = 0; i < n; i++) out[i] = view.getInt32(o + 4 * i, false); break;
    case 0x0d: for (let i = 0; i < n; i++) out[i] = view.getFloat32(o + 4 * i, false); break;
    default: for (let i = 0; i < n; i++) out[i] = view.getFloat64(o + 8 * i, false);
  }
  return Tensor.fromRaw(out, dims);
}

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Inflates gzip data, failing with `tooLarge(cap)` instead of producing more than `cap` bytes. */
function gunzipCapped(bytes: Uint8Array, name: string, cap: number, tooLarge: () => string, opts: ZlibOptions = {}): Uint8Array | null {
  try {
    const out = gunzipSync(bytes, { ...opts, maxOutputLength: Math.max(1, cap) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      if (opts.finishFlush !== undefined) return null;
      throw new FormatError(`${name}: ${tooLarge()}`);
    }
    throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
}

/** The most a header probe may inflate; one compressed byte expands to at most ~1 KB. */
const PROBE_CAP = 2 ** 20;

/**
 * The first `need` or more inflated bytes of a gzip stream, inflating only a prefix of it: first
 * 64 compressed bytes, doubling while that gives too little, and bisecting should a prefix
 * inflate past PROBE_CAP. Fewer bytes only when the whole stream is shorter.
 */
function gunzipHead(bytes: Uint8Array, name: string, need: number): Uint8Array {
  const probe = (len: number): Uint8Array | null =>
    // a sync flush of a cut-off stream returns what it holds so far instead of failing
    gunzipCapped(bytes.subarray(0, len), name, PROBE_CAP, () => '', { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  let lo = 0;
  for (let len = Math.min(64, bytes.length); ; len = Math.min(2 * len, bytes.length)) {
    const out = probe(len);
    if (out === null) {
      // prefix lo inflates to < need, prefix len to > PROBE_CAP: one byte in between cannot add 1 MB
      let hi = len;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        const o = probe(mid);
        if (o === null) hi = mid;
        else if (o.length >= need) return o;
        else lo = mid;
      }
      throw new FormatError(`${name}: corrupt gzip data (its start inflates to more than ${PROBE_CAP} bytes)`);
    }
    if (out.length >= need || len === bytes.length) return out;
    lo = len;
  }
}

/**
 * The raw IDX bytes of a file's contents, inflated first if they start with the gzip magic
 * bytes 1f 8b. The IDX header is read from a small inflated prefix, and its declared size is
 * checked against MAX_DECODED_BYTES before the rest is inflated, which then stops at that
 * size: a 1 MB gzip bomb costs a FormatError, not gigabytes. `name` appears in errors.
 * @example parseIdx(unpackIdx(readFileSync(p), p), p)
 */
export function unpackIdx(bytes: Uint8Array, name = 'IDX data'): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  let head = gunzipHead(bytes, name, 4);
  const need = head.length >= 4 ? 4 + 4 * head[3]! : 4;
  if (head.length < need) head = gunzipHead(bytes, name, need);
  const h = readIdxHead(head, name);
  const total = h.offset + h.dataBytes;
  return gunzipCapped(bytes, name, total, () => `inflates to more than the ${total} bytes its IDX header declares (dims ${fmtShape(h.dims)} of ${h.typeName}): a damaged file or a gzip bomb`)!;
}

/**
 * Reads a file, inflating it if it starts with the gzip magic bytes 1f 8b (at most
 * MAX_DECODED_BYTES). A damaged gzip stream is a FormatError naming the file.
 * @example const bytes = readMaybeGzip('data/mnist/t10k-labels-idx1-ubyte.gz');
 */
export function readMaybeGzip(path: string): Uint8Array {
  const raw = readFileSync(path);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (!isGzip(bytes)) return bytes;
  return gunzipCapped(bytes, path, MAX_DECODED_BYTES, () => `inflates to more than ${MAX_DECODED_BYTES} bytes, the most a reader will allocate`)!;
}

/**
 * Reads an IDX file's raw bytes, inflating gzip with the header's size checked first (see unpackIdx).
 * @example const header = parseIdxHeader(readIdxBytes(path), path);
 */
export function readIdxBytes(path: string): Uint8Array {
  const raw = readFileSync(path);
  return unpackIdx(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), path);
}

/**
 * Reads an IDX file (MNIST's format), gzipped or not.
 * @example const images = readIdx('data/mnist/t10k-images-idx3-ubyte.gz'); // float32 [10000,28,28], values 0..255
 */
export function readIdx(path: string, opts: IdxOptions = {}): Tensor {
  return parseIdx(readIdxBytes(path), path, opts);
}
