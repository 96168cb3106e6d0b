import { gunzipSync } from 'node:zlib';

/**
 * Independent decoders for the fuzz tests, written from the formats' descriptions and sharing
 * no code with src/io. Each returns what the bytes hold, or a string saying why they are not a
 * valid file. Where the library adds a rule of its own (a size limit, unique CSV columns), the
 * rule is restated here, so "valid" means the same on both sides.
 */

export type RefDType = 'float32' | 'float64' | 'int32';

export interface RefTensor {
  dtype: RefDType;
  shape: number[];
  values: number[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// ---------------------------------------------------------------- safetensors

export interface RefSafetensors {
  tensors: Map<string, RefTensor>;
  metadata: Map<string, string>;
}

/** safetensors: u64 LE header size, a JSON object header, then the tensors tiling the data. */
export function refSafetensors(bytes: Uint8Array): RefSafetensors | string {
  if (bytes.length < 8) return 'shorter than the 8-byte header size';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dv.getUint32(0, true) + dv.getUint32(4, true) * 4294967296;
  if (size > bytes.length - 8) return 'header size beyond the end';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + size));
  } catch {
    return 'header is not UTF-8';
  }
  if (text.charAt(0) !== '{') return 'header does not start with {';
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    return 'header is not JSON';
  }
  if (!isPlainObject(header)) return 'header is not an object';
  const dataStart = 8 + size;
  const dataLen = bytes.length - dataStart;
  const metadata = new Map<string, string>();
  const spans: { name: string; st: string; dtype: RefDType; width: number; shape: number[]; begin: number; end: number }[] = [];
  for (const name of Object.keys(header)) {
    const entry = header[name];
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) return '__metadata__ is not an object';
      for (const k of Object.keys(entry)) {
        const v = entry[k];
        if (typeof v !== 'string') return `metadata ${k} is not a string`;
        metadata.set(k, v);
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null) return `${name} is not an object`;
    const e = entry as Record<string, unknown>;
    const st = e['dtype'];
    const kind = typeof st === 'string' ? ST_KINDS.get(st) : undefined;
    if (kind === undefined) return `${name} has an unsupported dtype`;
    const { dtype, width } = kind;
    const shape = e['shape'];
    const offsets = e['data_offsets'];
    if (!Array.isArray(shape) || !shape.every(isCount)) return `${name} has a bad shape`;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) return `${name} has bad offsets`;
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLen) return `${name} offsets out of range`;
    let count = 1;
    for (const d of shape as number[]) count *= d;
    if (count * width !== end - begin) return `${name} shape and offsets disagree`;
    spans.push({ name, st: st as string, dtype, width, shape: shape as number[], begin, end });
  }
  spans.sort((a, b) => (a.begin !== b.begin ? a.begin - b.begin : a.end - b.end));
  let pos = 0;
  for (const s of spans) {
    if (s.begin !== pos) return 'tensors overlap or leave a gap';
    pos = s.end;
  }
  if (pos !== dataLen) return 'tensors do not cover the data';
  const tensors = new Map<string, RefTensor>();
  for (const s of spans) {
    const values: number[] = [];
    for (let p = dataStart + s.begin; p < dataStart + s.end; p += s.width) {
      const v = readElement(s.st, dv, p);
      if (v === null) return `${s.name}: a value the library cannot hold`;
      values.push(v);
    }
    tensors.set(s.name, { dtype: s.dtype, shape: s.shape, values });
  }
  return { tensors, metadata };
}

/** Each safetensors dtype the library reads: its width, and the dtype it becomes. */
const ST_KINDS = new Map<string, { dtype: RefDType; width: number }>([
  ['F16', { dtype: 'float32', width: 2 }], ['BF16', { dtype: 'float32', width: 2 }], ['F32', { dtype: 'float32', width: 4 }],
  ['F64', { dtype: 'float64', width: 8 }], ['I8', { dtype: 'int32', width: 1 }], ['U8', { dtype: 'int32', width: 1 }],
  ['I16', { dtype: 'int32', width: 2 }], ['U16', { dtype: 'int32', width: 2 }], ['I32', { dtype: 'int32', width: 4 }],
  ['U32', { dtype: 'int32', width: 4 }], ['I64', { dtype: 'int32', width: 8 }], ['U64', { dtype: 'int32', width: 8 }],
  ['BOOL', { dtype: 'int32', width: 1 }],
]);

/** IEEE binary16 from its bits, by the formula: subnormal, normal, or infinity/NaN. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** One little-endian element at p, or null when it is outside int32 (or a BOOL byte above 1). */
function readElement(st: string, dv: DataView, p: number): number | null {
  const int32 = (x: bigint | number): number | null => (x >= -2147483648 && x <= 2147483647 ? Number(x) : null);
  switch (st) {
    case 'F16': return Math.fround(half(dv.getUint16(p, true)));
    case 'BF16': {
      const f = new DataView(new ArrayBuffer(4));
      f.setUint32(0, dv.getUint16(p, true) * 65536);
      return f.getFloat32(0);
    }
    case 'F32': return dv.getFloat32(p, true);
    case 'F64': return dv.getFloat64(p, true);
    case 'I8': return dv.getInt8(p);
    case 'U8': return dv.getUint8(p);
    case 'I16': return dv.getInt16(p, true);
    case 'U16': return dv.getUint16(p, true);
    case 'I32': return dv.getInt32(p, true);
    case 'U32': return int32(dv.getUint32(p, true));
    case 'I64': return int32(dv.getBigInt64(p, true));
    case 'U64': return int32(dv.getBigUint64(p, true));
    default: { // BOOL
      const b = dv.getUint8(p);
      return b <= 1 ? b : null;
    }
  }
}

/** Builds safetensors bytes from a header text and a data section (the header padded to 8). */
export function assembleSafetensors(headerText: Uint8Array, data: Uint8Array): Uint8Array {
  const padded = Math.ceil(headerText.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setUint32(0, padded, true);
  out.set(headerText, 8);
  out.set(data, 8 + padded);
  return out;
}

/** The header text and data section of safetensors bytes whose header size is valid. */
export function splitSafetensors(bytes: Uint8Array): { header: Uint8Array; data: Uint8Array } {
  const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: bytes.subarray(8, 8 + size), data: bytes.subarray(8 + size) };
}

// ---------------------------------------------------------------- IDX

const IDX_TYPES: Record<number, { bytes: number; read: (dv: DataView, p: number) => number; integer: boolean; float64?: boolean }> = {
  8: { bytes: 1, read: (dv, p) => dv.getUint8(p), integer: true },
  9: { bytes: 1, read: (dv, p) => dv.getInt8(p), integer: true },
  11: { bytes: 2, read: (dv, p) => dv.getInt16(p), integer: true },
  12: { bytes: 4, read: (dv, p) => dv.getInt32(p), integer: true },
  13: { bytes: 4, read: (dv, p) => dv.getFloat32(p), integer: false },
  14: { bytes: 8, read: (dv, p) => dv.getFloat64(p), integer: false, float64: true },
};

/** The library's limit on what a reader allocates for a declared size (src/limits.ts says 2 GiB). */
const DECODED_LIMIT = 2 ** 31;

/** IDX (big-endian), gzipped or not: 0, 0, type, ndim, ndim u32 dims, exactly the data. */
export function refIdx(file: Uint8Array): RefTensor | string {
  let bytes = file;
  if (file.length >= 2 && file[0] === 0x1f && file[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(file));
    } catch {
      return 'bad gzip';
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) return 'bad magic';
  const type = IDX_TYPES[bytes[2]!];
  const ndim = bytes[3]!;
  if (type === undefined || ndim === 0) return 'bad type or no dims';
  if (bytes.length < 4 + 4 * ndim) return 'header cut short';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    shape.push(dv.getUint32(4 + 4 * d));
    count *= shape[d]!;
  }
  if (count * Math.max(4, type.bytes) > DECODED_LIMIT) return 'declares more than the limit';
  const start = 4 + 4 * ndim;
  if (bytes.length - start !== count * type.bytes) return 'data length differs from the dims';
  const dtype: RefDType = type.float64 ? 'float64' : type.integer && ndim === 1 ? 'int32' : 'float32';
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = type.read(dv, start + i * type.bytes);
    values.push(dtype === 'float32' ? Math.fround(v) : v);
  }
  return { dtype, shape, values };
}

// ---------------------------------------------------------------- CSV

export interface RefCsv {
  featureNames: string[];
  labelName: string;
  x: number[];
  rows: number;
  y: RefTensor;
  classes: string[] | null;
}

/** A decimal: sign, digits with an optional point (or a point and digits), optional exponent. */
const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const F32_MAX = 3.4028234663852886e38;

/**
 * The library's CSV: lines split on \n (a trailing \r dropped), blank lines skipped, cells split
 * on commas and trimmed, a header of unique names, equal widths, the last column the label.
 * Features are decimals within float32 range; labels are all decimals (integers within int32,
 * or float32) or else class names, numbered in sorted order.
 */
export function refCsv(text: string): RefCsv | string {
  const table: string[][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim().length === 0) continue;
    table.push(line.split(',').map((c) => c.trim()));
  }
  if (table.length === 0) return 'empty';
  const header = table[0]!;
  if (new Set(header).size !== header.length) return 'duplicate column names';
  const rows = table.slice(1);
  if (rows.some((r) => r.length !== header.length)) return 'ragged rows';
  const label = header.length - 1;
  const x: number[] = [];
  for (const r of rows) {
    for (let c = 0; c < header.length; c++) {
      if (c === label) continue;
      if (!DECIMAL.test(r[c]!)) return `cell ${r[c]} is not a number`;
      const v = Number(r[c]);
      if (Math.abs(v) > F32_MAX) return 'beyond float32';
      x.push(Math.fround(v));
    }
  }
  const labels = rows.map((r) => r[label]!);
  if (labels.some((l) => l === '')) return 'empty label';
  let y: RefTensor;
  let classes: string[] | null = null;
  if (labels.every((l) => DECIMAL.test(l))) {
    const v = labels.map(Number);
    if (v.every((n) => Number.isInteger(n))) {
      if (v.some((n) => n < -2147483648 || n > 2147483647)) return 'label beyond int32';
      y = { dtype: 'int32', shape: [v.length], values: v };
    } else {
      if (v.some((n) => Math.abs(n) > F32_MAX)) return 'label beyond float32';
      y = { dtype: 'float32', shape: [v.length], values: v.map(Math.fround) };
    }
  } else {
    classes = [...new Set(labels)].sort();
    y = { dtype: 'int32', shape: [labels.length], values: labels.map((l) => classes!.indexOf(l)) };
  }
  return { featureNames: header.slice(0, label), labelName: header[label]!, x, rows: rows.length, y, classes };
}

// ---------------------------------------------------------------- checkpoint

export interface RefCheckpoint {
  epoch: unknown;
  step: unknown;
  rng: unknown;
  extra: unknown;
  model: Map<string, RefTensor>;
  optimizer: null | { paramGroups: unknown; state: Map<string, Map<string, number | number[]>> };
}

/**
 * A backprop checkpoint: safetensors whose metadata has format 'backprop-checkpoint', version
 * '1' and a JSON document (non-finite numbers written as {"$number": "NaN"}), model tensors
 * under 'model.' and optimizer buffers referenced as {"$tensor": name}. Only decodes: what
 * the fields must satisfy is the library's to check, and the fuzz test's to assert.
 */
export function refCheckpoint(bytes: Uint8Array): RefCheckpoint | string {
  const st = refSafetensors(bytes);
  if (typeof st === 'string') return st;
  if (st.metadata.get('format') !== 'backprop-checkpoint' || st.metadata.get('backprop.version') !== '1') return 'not a checkpoint';
  const text = st.metadata.get('backprop.checkpoint');
  if (text === undefined) return 'no checkpoint document';
  let doc: unknown;
  try {
    doc = JSON.parse(text, (_k, v: unknown) => {
      if (isPlainObject(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === '$number' && typeof v['$number'] === 'string') return Number(v['$number']);
      }
      return v;
    });
  } catch {
    return 'bad document';
  }
  if (!isPlainObject(doc)) return 'document is not an object';
  const model = new Map<string, RefTensor>();
  for (const [name, t] of st.tensors) if (name.startsWith('model.')) model.set(name.slice(6), t);
  let optimizer: RefCheckpoint['optimizer'] = null;
  const opt = doc['optimizer'];
  if (isPlainObject(opt) && isPlainObject(opt['state'])) {
    const state = new Map<string, Map<string, number | number[]>>();
    for (const idx of Object.keys(opt['state'])) {
      const entry = (opt['state'] as Record<string, unknown>)[idx];
      if (!isPlainObject(entry)) return 'bad state entry';
      const values = new Map<string, number | number[]>();
      for (const key of Object.keys(entry)) {
        const v = entry[key];
        if (typeof v === 'number') values.set(key, v);
        else if (isPlainObject(v) && typeof v['$tensor'] === 'string' && st.tensors.has(v['$tensor'])) values.set(key, st.tensors.get(v['$tensor'])!.values);
        else return 'bad state value';
      }
      state.set(idx, values);
    }
    optimizer = { paramGroups: opt['paramGroups'], state };
  }
  return { epoch: doc['epoch'], step: doc['step'] ?? undefined, rng: doc['rng'] ?? undefined, extra: doc['extra'] ?? undefined, model, optimizer };
}
