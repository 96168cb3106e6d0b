import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx, unpackIdx } from '../../src/io/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertSameValues, mutate, runFuzz, type Dictionary } from './mutate.js';
import { refIdx, type RefTensor } from './reference.js';

function idx(type: number, dims: number[], body: number[]): Uint8Array {
  const head = [0, 0, type, dims.length];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...head, ...body]);
}

const RAW: Uint8Array[] = [
  idx(0x08, [10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]),
  idx(0x08, [2, 3, 3], Array.from({ length: 18 }, (_, i) => (i * 37) % 256)),
  idx(0x09, [4], [0xff, 0x80, 0x7f, 1]),
  idx(0x0b, [2, 2], [0xff, 0xfe, 0x01, 0x00, 0x80, 0x00, 0x7f, 0xff]),
  idx(0x0c, [3], [0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 7]),
  idx(0x0d, [2, 2], [0x3f, 0xc0, 0, 0, 0x7f, 0xc0, 0, 0, 0xff, 0x80, 0, 0, 0, 0, 0, 1]),
  idx(0x0e, [2], [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, 0, 0, 0, 0, 0, 0, 0, 0]),
];
const SEEDS = [...RAW, ...RAW.slice(0, 4).map((b) => new Uint8Array(gzipSync(b)))];

const DICT: Dictionary = ['\u0000\u0000\u0008\u0001', '\u0000\u0000\u0008\u0003', '\u0000\u0000\u00ff\u00ff', '\u001f\u008b', '\u0000', '\u00ff\u00ff\u00ff\u00ff'];

export function compareIdx(got: Tensor, want: RefTensor): void {
  assert.equal(got.dtype, want.dtype);
  assert.deepEqual(got.shape, want.shape);
  assertSameValues(got.data, want.values, 'values');
}

test('fuzz: IDX, raw and gzipped', (t) => {
  runFuzz(t, {
    name: 'IDX', count: 5000, seed: 12, strict: true,
    // mostly edits of the stored bytes; sometimes an edit of the raw file, then gzipped
    generate: (rng) => {
      switch (rng.int(4)) {
        case 0: return new Uint8Array(gzipSync(mutate(rng.pick(RAW), rng, DICT)));
        case 1: { // values only: the header stays, so the file stays valid and must decode exactly
          const b = rng.pick(RAW).slice();
          const start = 4 + 4 * b[3]!;
          for (let k = 0; k < 4 && b.length > start; k++) b[start + rng.int(b.length - start)] = rng.int(256);
          return rng.int(2) === 0 ? b : new Uint8Array(gzipSync(b));
        }
        default: return mutate(rng.pick(SEEDS), rng, DICT);
      }
    },
    read: (bytes) => parseIdx(unpackIdx(bytes, 'fuzz.idx'), 'fuzz.idx'),
    reference: refIdx,
    compare: compareIdx,
  });
});
