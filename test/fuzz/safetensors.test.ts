import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSafetensors, serializeSafetensors, type SafetensorsContent } from '../../src/io/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { assertSameValues, mutate, mutateJson, runFuzz, type Dictionary, type Rng } from './mutate.js';
import { assembleSafetensors, refSafetensors, splitSafetensors, type RefSafetensors } from './reference.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const SEEDS: Uint8Array[] = [
  serializeSafetensors({
    w: tensor([[1.5, -2, 3], [0.25, 1e-30, -7]]),
    b: tensor([Math.PI, -1, 2], { dtype: 'float64' }),
    i: tensor([1, -2, 2147483647, 5], { dtype: 'int32' }),
    s: tensor(4),
    e: tensor(new Float32Array(0), { shape: [0, 2] }),
  }, { 'backprop.model': 'mlp:2-3-2', note: 'hi' }),
  serializeSafetensors({ only: tensor([1, 2, 3, 4]) }),
  serializeSafetensors({}, { a: 'b' }),
  serializeSafetensors({ h: tensor([1, -0.5, 65504, 1e-7]), n: tensor([3], { dtype: 'int32' }) }, {}, { dtype: 'float16' }),
  serializeSafetensors({ h: tensor([[1, -0.5], [3e38, 1e-40]]) }, {}, { dtype: 'bfloat16' }),
  // the integer dtypes other writers use, each a few bytes
  assembleSafetensors(enc.encode(JSON.stringify({
    i64: { dtype: 'I64', shape: [2], data_offsets: [0, 16] }, u8: { dtype: 'U8', shape: [2], data_offsets: [16, 18] },
    b: { dtype: 'BOOL', shape: [2], data_offsets: [18, 20] }, u16: { dtype: 'U16', shape: [1], data_offsets: [20, 22] },
    i8: { dtype: 'I8', shape: [2], data_offsets: [22, 24] }, u32: { dtype: 'U32', shape: [1], data_offsets: [24, 28] },
    u64: { dtype: 'U64', shape: [1], data_offsets: [28, 36] },
  })), Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 7, 255, 0, 1, 0xff, 0xff, 0x80, 0x7f, 1, 2, 3, 4, 9, 0, 0, 0, 0, 0, 0, 0)),
  // offsets listed out of order, as other writers may
  assembleSafetensors(enc.encode('{"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'), Uint8Array.of(0, 0, 0x80, 0x3f, 7, 0, 0, 0)),
];

const DICT: Dictionary = [
  '{', '}', '[', ']', ',', ':', '"', 'null', 'true', '0', '-1', '1.5', '1e400', '4294967296', '9007199254740993', '[[[[[[[[',
  '"__proto__"', '"constructor"', '"toString"', '"__metadata__"', '"dtype"', '"shape"', '"data_offsets"',
  '"F32"', '"F64"', '"I32"', '"F16"', '"BF16"', '"U8"', '"I8"', '"U16"', '"I16"', '"U32"', '"I64"', '"U64"', '"BOOL"', '"F8_E4M3"',
  '[0,4]', '[4,8]', '[0,0]', '[]', '[2,2]', '\u00ff', '\\u0000',
];

/**
 * A third of the mutants edit the bytes; a third edit the header text and re-frame it; a third
 * edit the header's JSON tree (valid JSON with deep nesting, hostile keys, odd values) or only
 * the tensor bytes, which must then decode exactly.
 */
function generate(rng: Rng): Uint8Array {
  const seed = rng.pick(SEEDS);
  const { header, data } = splitSafetensors(seed);
  switch (rng.int(3)) {
    case 0: return mutate(seed, rng, DICT);
    case 1: return assembleSafetensors(mutate(header, rng, DICT), rng.int(4) === 0 ? mutate(data, rng, DICT) : data);
    default: {
      if (rng.int(3) === 0) {
        const d = data.slice();
        for (let k = 0; k < 4 && d.length > 0; k++) d[rng.int(d.length)] = rng.int(256);
        return assembleSafetensors(header, d);
      }
      const text = mutateJson(dec.decode(header), rng);
      return assembleSafetensors(enc.encode(text ?? ''), data);
    }
  }
}

export function compareSafetensors(got: SafetensorsContent, want: RefSafetensors): void {
  assert.deepEqual(Object.keys(got.tensors).sort(), [...want.tensors.keys()].sort());
  for (const [name, r] of want.tensors) {
    const t = Object.getOwnPropertyDescriptor(got.tensors, name)!.value as SafetensorsContent['tensors'][string];
    assert.equal(t.dtype, r.dtype, name);
    assert.deepEqual(t.shape, r.shape, name);
    assertSameValues(t.data, r.values, name);
  }
  assert.deepEqual(Object.entries(got.metadata).sort(), [...want.metadata.entries()].sort());
}

test('fuzz: safetensors', (t) => {
  runFuzz(t, {
    name: 'safetensors', count: 5000, seed: 11, strict: true,
    generate,
    read: (bytes) => parseSafetensors(bytes, 'fuzz.safetensors'),
    reference: refSafetensors,
    compare: compareSafetensors,
  });
});
