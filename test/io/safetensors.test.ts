import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSafetensors, parseSafetensors, saveSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { tensor } from '../../src/tensor/creation.js';
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
    [build('{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}', new Array(8).fill(0)), /F16 is not supported/],
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
