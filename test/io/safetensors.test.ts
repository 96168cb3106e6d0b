import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, parseSafetensors, readSafetensorsMetadata, saveSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { bfloat16Bits, bfloat16Value, float16Bits, float16Value } from '../../src/io/half.js';
import * as nn from '../../src/nn/index.js';
import { tensor } from '../../src/tensor/creation.js';
import type { NestedArray } from '../../src/tensor/tensor.js';
import { FormatError, ValueError } from '../../src/errors.js';
import { tempDir } from './tmp.js';

const enc = new TextEncoder();

/** A safetensors file assembled from its parts: u64 LE header length, header, data. */
function build(header: string, data: number[]): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('byte-exact encoding of a tiny file', () => {
  const bytes = serializeSafetensors({ a: tensor([1, -2]), b: tensor([7], { dtype: 'int32' }) }, { k: 'v' });
  const json = '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}';
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  assert.equal(padded.length % 8, 0);
  const expected = [
    ...[padded.length, 0, 0, 0, 0, 0, 0, 0],
    ...enc.encode(padded),
    ...[0x00, 0x00, 0x80, 0x3f], // 1.0f little-endian
    ...[0x00, 0x00, 0x00, 0xc0], // -2.0f
    ...[0x07, 0x00, 0x00, 0x00], // 7
  ];
  assert.deepEqual(Array.from(bytes), expected);
});

test('round trip of float32, float64 and int32 tensors, scalars and empty tensors', () => {
  const t = {
    w: tensor([[1.5, -2.25, 3], [4, 5, 6]]),
    d: tensor([Math.PI, -1e-300, 1e300], { dtype: 'float64' }),
    i: tensor([[-7, 2147483647]], { dtype: 'int32' }),
    s: tensor(2.5),
    e: tensor(new Float32Array(0), { shape: [0, 3] }),
  };
  const back = parseSafetensors(serializeSafetensors(t, { epoch: '3' }));
  assert.deepEqual(back.metadata, { epoch: '3' });
  assert.deepEqual(Object.keys(back.tensors).sort(), ['d', 'e', 'i', 's', 'w']);
  for (const [k, v] of Object.entries(t)) {
    const r = back.tensors[k]!;
    assert.equal(r.dtype, v.dtype, k);
    assert.deepEqual(r.shape, v.shape, k);
    assert.deepEqual(Array.from(r.data), Array.from(v.data), k);
  }
  assert.throws(() => serializeSafetensors({ __metadata__: tensor([1]) }), ValueError);
});

test('every malformed header is a FormatError naming the source', () => {
  const good = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.of(1, 2, 3), /truncated: .*8-byte header length, got 3 bytes/],
    [(() => { const b = build(good, new Array(8).fill(0)); b[0] = 200; return b; })(), /header length 200 goes beyond the end of the file/],
    [(() => { const b = build(good, new Array(8).fill(0)); b[5] = 1; return b; })(), /goes beyond the end/],
    [build('{"a":', []), /not valid JSON/],
    [build('[1,2]', []), /JSON object/],
    [build(good, [0, 0, 0, 0]), /data_offsets \[0,8\] are out of range of the 4-byte data section/],
    [build('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)), /overlap/],
    [build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)), /belong to no tensor/],
    [build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Array(8).fill(0)), /has 8 bytes but the tensors cover 4/],
    [build('{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}', new Array(8).fill(0)), /unknown dtype 'Q7'/],
    [build('{"a":{"dtype":"F8_E5M2","shape":[8],"data_offsets":[0,8]}}', new Array(8).fill(0)), /F8_E5M2 is not supported/],
    [build('{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}', new Array(8).fill(0)), /shape \[3\] of F16 needs 6 bytes but data_offsets \[0,8\] hold 8/],
    [build('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Array(8).fill(0)), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0,8\] hold 8/],
    [build('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', new Array(8).fill(0)), /shape must be an array of non-negative integers/],
    [build('{"__metadata__":{"n":1}}', []), /__metadata__ value 'n' must be a string/],
    [build('{"a":{"dtype":"F32","shape":[2]}}', new Array(8).fill(0)), /data_offsets must be \[begin, end\]/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => parseSafetensors(bytes, 'm.safetensors'), (e: Error) => e instanceof FormatError && e.message.startsWith('m.safetensors: ') && re.test(e.message), re.source);
  }
  assert.deepEqual(Array.from(parseSafetensors(build(good, [0, 0, 0x80, 0x3f, 0, 0, 0, 0])).tensors['a']!.data), [1, 0]);
});

test('files: save, load, and a truncated file names its path', () => {
  const dir = tempDir();
  const path = join(dir, 'm.safetensors');
  saveSafetensors(path, { w: tensor([[1, 2], [3, 4]]) }, { note: 'hi' });
  const { tensors, metadata } = loadSafetensors(path);
  assert.deepEqual(tensors['w']!.toArray(), [[1, 2], [3, 4]]);
  assert.equal(metadata['note'], 'hi');
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 3));
  assert.throws(() => loadSafetensors(path), (e: Error) => e instanceof FormatError && e.message.startsWith(path) && /out of range/.test(e.message));
  writeFileSync(path, bytes.subarray(0, 20));
  assert.throws(() => loadSafetensors(path), (e: Error) => e instanceof FormatError && /goes beyond the end of the file \(20 bytes\)/.test(e.message));
});

test('a shape nested 5,000 deep is a FormatError, not a stack overflow', () => {
  const deep = `${'['.repeat(5000)}2${']'.repeat(5000)}`;
  const bytes = build(`{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,8]}}`, new Array(8).fill(0));
  assert.throws(() => parseSafetensors(bytes, 'deep.safetensors'),
    (e: Error) => e instanceof FormatError && /^deep\.safetensors: tensor 'a': shape must be an array of non-negative integers, got \[\[\[\[/.test(e.message));
  const deepMeta = build(`{"__metadata__":{"k":${deep}}}`, []);
  assert.throws(() => parseSafetensors(deepMeta, 'meta.safetensors'), (e: Error) => e instanceof FormatError && /value 'k' must be a string/.test(e.message));
  // a dtype that names an Object.prototype member is unknown, not a crash
  assert.throws(() => parseSafetensors(build('{"a":{"dtype":"constructor","shape":[2],"data_offsets":[0,8]}}', new Array(8).fill(0))),
    (e: Error) => e instanceof FormatError && /unknown dtype 'constructor'/.test(e.message));
});

test("a tensor or metadata key named '__proto__' survives save and load", () => {
  const tensors: Record<string, ReturnType<typeof tensor>> = {};
  Object.defineProperty(tensors, '__proto__', { value: tensor([1, 2]), enumerable: true });
  tensors['b'] = tensor([3]);
  const metadata: Record<string, string> = JSON.parse('{"__proto__":"x","k":"v"}') as Record<string, string>;
  const back = parseSafetensors(serializeSafetensors(tensors, metadata));
  assert.deepEqual(Object.keys(back.tensors), ['__proto__', 'b']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(back.tensors, '__proto__')!.value.toArray(), [1, 2]);
  assert.equal(Object.getPrototypeOf(back.tensors), Object.prototype);
  assert.deepEqual(Object.keys(back.metadata), ['__proto__', 'k']);
  assert.equal(Object.getOwnPropertyDescriptor(back.metadata, '__proto__')!.value, 'x');
  // a file written by another tool with that name loads too
  const foreign = build('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0x80, 0x3f]);
  assert.deepEqual(Object.keys(parseSafetensors(foreign).tensors), ['__proto__']);
});

// ---- every dtype --------------------------------------------------------------------------

// build/test/io/safetensors.test.js → repo root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const torchFile = join(root, 'test', 'fixtures', 'torch_cnn.safetensors');

/** The small CNN of test/fixtures/make_safetensors.py, in backprop. */
function torchCnn(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(18, 3),
  );
}

test('a PyTorch CNN state dict (num_batches_tracked as I64) loads and gives PyTorch\'s outputs', () => {
  const { tensors, metadata } = loadSafetensors(torchFile);
  assert.equal(tensors['1.num_batches_tracked']!.dtype, 'int32');
  assert.equal(tensors['1.num_batches_tracked']!.item(), 3);
  const model = torchCnn();
  const stateDict = Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.startsWith('dtypes.')));
  model.loadStateDict(stateDict);
  model.eval();
  const bn = model.at(1) as nn.BatchNorm2d;
  assert.equal(bn.numBatchesTracked, 3);
  const x = tensor(JSON.parse(metadata['input']!) as NestedArray);
  assert.deepEqual(x.shape, JSON.parse(metadata['input_shape']!));
  const want = (JSON.parse(metadata['output']!) as number[][]).flat();
  const got = Array.from(model.forward(x).data);
  assert.equal(got.length, want.length);
  const maxDiff = Math.max(...got.map((g, i) => Math.abs(g - want[i]!)));
  assert.ok(maxDiff < 1e-5, `max |backprop − torch| = ${maxDiff}`);
});

test('every dtype of the PyTorch file reads as the values PyTorch wrote', () => {
  const { tensors, metadata } = loadSafetensors(torchFile);
  const values = JSON.parse(metadata['dtype_values']!) as Record<string, (number | string)[]>;
  const expectDtype: Record<string, string> = {
    F16: 'float32', BF16: 'float32', F32: 'float32', F64: 'float64',
    I8: 'int32', U8: 'int32', I16: 'int32', I32: 'int32', I64: 'int32', BOOL: 'int32',
  };
  assert.deepEqual(Object.keys(values).sort(), Object.keys(expectDtype).sort());
  for (const [st, want] of Object.entries(values)) {
    const t = tensors[`dtypes.${st}`]!;
    assert.equal(t.dtype, expectDtype[st], st);
    // infinities are named in JSON; the rest compare exactly (half values are exact in float32)
    assert.deepEqual(Array.from(t.data), want.map((v) => (typeof v === 'string' ? Number(v.replace('inf', 'Infinity')) : v)), st);
  }
  assert.deepEqual(tensors['dtypes.I64']!.shape, [2, 2]);
});

/** One tensor of safetensors dtype st with the given little-endian element bytes. */
function oneTensor(st: string, shape: number[], data: number[]): Uint8Array {
  let json = JSON.stringify({ t: { dtype: st, shape, data_offsets: [0, data.length] } });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  return build(json, data);
}

/** Little-endian bytes of 64-bit integers. */
function i64Bytes(values: bigint[], signed = true): number[] {
  const v = new DataView(new ArrayBuffer(8 * values.length));
  values.forEach((x, i) => (signed ? v.setBigInt64(8 * i, x, true) : v.setBigUint64(8 * i, x, true)));
  return Array.from(new Uint8Array(v.buffer));
}

test('integers outside int32 are a FormatError naming the file, the tensor and the value', () => {
  const ok = parseSafetensors(oneTensor('I64', [4], i64Bytes([-(2n ** 31n), 2n ** 31n - 1n, -1n, 0n])), 'm.safetensors');
  assert.deepEqual(Array.from(ok.tensors['t']!.data), [-(2 ** 31), 2 ** 31 - 1, -1, 0]);
  const cases: [Uint8Array, RegExp][] = [
    [oneTensor('I64', [3], i64Bytes([0n, 2n ** 31n, 5n])), /tensor 't': I64 value 2147483648 at index 1 does not fit in int32/],
    [oneTensor('I64', [2], i64Bytes([-(2n ** 31n) - 1n, 0n])), /I64 value -2147483649 at index 0/],
    [oneTensor('I64', [1], i64Bytes([2n ** 32n])), /I64 value 4294967296 at index 0/],
    [oneTensor('I64', [1], i64Bytes([-(2n ** 63n)])), /I64 value -9223372036854775808 at index 0/],
    [oneTensor('U64', [1], i64Bytes([2n ** 64n - 1n], false)), /U64 value 18446744073709551615 at index 0/],
    [oneTensor('U32', [2], [1, 0, 0, 0, 0, 0, 0, 0x80]), /U32 value 2147483648 at index 1/],
    [oneTensor('BOOL', [2], [1, 2]), /BOOL byte 2 at index 1 is neither 0 nor 1/],
    [oneTensor('F8_E4M3', [2], [1, 2]), /dtype F8_E4M3 is not supported \(backprop reads F16, BF16, .* I64, U64 and BOOL\)/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => parseSafetensors(bytes, 'm.safetensors'), (e: Error) => e instanceof FormatError && e.message.startsWith('m.safetensors: ') && re.test(e.message), re.source);
  }
  assert.deepEqual(Array.from(parseSafetensors(oneTensor('U64', [1], i64Bytes([2n ** 31n - 1n], false))).tensors['t']!.data), [2 ** 31 - 1]);
  assert.deepEqual(Array.from(parseSafetensors(oneTensor('U16', [2], [0xff, 0xff, 1, 0])).tensors['t']!.data), [65535, 1]);
});

test('half-precision files: float16 and bfloat16 writes round, load as float32, and keep int32 as I32', () => {
  const dir = tempDir();
  // 1 + 2^-11 is a float16 tie (rounds to even: 1); 70000 overflows float16; -1e-7 is 1.68 steps of the smallest float16 subnormal 2^-24
  const w = tensor([1 + 2 ** -11, 70000, -1e-7, 0.1, NaN, -Infinity], { dtype: 'float64' });
  const n = tensor([3], { dtype: 'int32' });
  for (const [dtype, st, bits, value] of [['float16', 'F16', float16Bits, float16Value], ['bfloat16', 'BF16', bfloat16Bits, bfloat16Value]] as const) {
    const path = join(dir, `${dtype}.safetensors`);
    saveSafetensors(path, { w, n, f: tensor([[0.5, 2]]) }, { note: dtype }, { dtype });
    const bytes = readFileSync(path);
    const headerLen = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString()) as Record<string, { dtype: string; data_offsets: number[] }>;
    assert.equal(header['w']!.dtype, st);
    assert.equal(header['f']!.dtype, st);
    assert.equal(header['n']!.dtype, 'I32');
    assert.equal(bytes.length, 8 + headerLen + 2 * 6 + 4 + 2 * 2);
    const { tensors, metadata } = loadSafetensors(path);
    assert.equal(metadata['note'], dtype);
    assert.equal(tensors['w']!.dtype, 'float32');
    const want = Array.from(w.data, (x) => value(bits(x)));
    assert.deepEqual(Array.from(tensors['w']!.data), want);
    assert.deepEqual(tensors['f']!.toArray(), [[0.5, 2]]);
    assert.deepEqual(Array.from(tensors['n']!.data), [3]);
  }
  const f16 = loadSafetensors(join(dir, 'float16.safetensors')).tensors['w']!.data;
  assert.equal(f16[0], 1);
  assert.equal(f16[1], Infinity);
  assert.equal(f16[2], -2 * 2 ** -24);
  assert.ok(Number.isNaN(f16[4]));
  assert.equal(loadSafetensors(join(dir, 'bfloat16.safetensors')).tensors['w']!.data[1], 70144); // 0x4789
  assert.throws(() => serializeSafetensors({ w }, {}, { dtype: 'float8' as 'float16' }), ValueError);
});

test('readSafetensorsMetadata: the metadata from the header alone; null for a damaged or metadata-less file', () => {
  const dir = tempDir();
  const file = join(dir, 'm.safetensors');
  saveSafetensors(file, { w: tensor([1, 2, 3]) }, { 'backprop.model': 'gpt:layers=1', ['__proto__']: 'kept' });
  const md = readSafetensorsMetadata(file);
  assert.equal(md?.['backprop.model'], 'gpt:layers=1');
  assert.equal(Object.getOwnPropertyDescriptor(md, '__proto__')?.value, 'kept');
  // header length and bytes as loadSafetensors would refuse them
  const bytes = readFileSync(file);
  writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, 20));
  assert.equal(readSafetensorsMetadata(join(dir, 'cut.safetensors')), null);
  writeFileSync(join(dir, 'short.safetensors'), bytes.subarray(0, 5));
  assert.equal(readSafetensorsMetadata(join(dir, 'short.safetensors')), null);
  saveSafetensors(join(dir, 'plain.safetensors'), { w: tensor([1]) });
  assert.equal(readSafetensorsMetadata(join(dir, 'plain.safetensors')), null);
});
