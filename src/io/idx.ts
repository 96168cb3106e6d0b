import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { DType } from '../backend/backend.js';
import { FormatError, ValueError, fmtShape } from '../errors.js';
import { arrayFor } from '../tensor/dtype.js';
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

/**
 * Reads and checks an IDX header, including that the data has exactly the declared length.
 * @example const header = parseIdxHeader(readMaybeGzip(path), path);
 */
export function parseIdxHeader(bytes: Uint8Array, name: string): IdxHeader {
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
  const expected = dims.reduce((a, b) => a * b, 1) * type.size;
  const got = bytes.length - offset;
  if (got < expected) throw new FormatError(`${name}: truncated: dims ${fmtShape(dims)} of ${type.name} need ${expected} bytes of data, got ${got}`);
  if (got > expected) throw new FormatError(`${name}: dims ${fmtShape(dims)} of ${type.name} need ${expected} bytes of data, but the file has ${got - expected} bytes more`);
  return { typeCode, dims, offset, elemSize: type.size };
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

/**
 * Reads a file, inflating it if it starts with the gzip magic bytes 1f 8b.
 * A damaged gzip stream is a FormatError naming the file.
 * @example const bytes = readMaybeGzip('data/mnist/t10k-labels-idx1-ubyte.gz');
 */
export function readMaybeGzip(path: string): Uint8Array {
  const raw = readFileSync(path);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = gunzipSync(bytes);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new FormatError(`${path}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return bytes;
}

/**
 * Reads an IDX file (MNIST's format), gzipped or not.
 * @example const images = readIdx('data/mnist/t10k-images-idx3-ubyte.gz'); // float32 [10000,28,28], values 0..255
 */
export function readIdx(path: string, opts: IdxOptions = {}): Tensor {
  return parseIdx(readMaybeGzip(path), path, opts);
}
