import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, ValueError, data } from '../../src/index.js';

test('CharVocab: sorted distinct characters, encode/decode round trip, one token per code point', () => {
  const v = data.CharVocab.fromText('hello, world 🙂\n');
  assert.deepEqual(v.chars, ['\n', ' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w', '🙂']);
  const ids = v.encode('world 🙂');
  assert.deepEqual(Array.from(ids), [9, 7, 8, 6, 3, 1, 10]);
  assert.equal(v.decode(ids), 'world 🙂');
  assert.equal(v.size, 11);
  assert.ok(v.has('h') && !v.has('H'));
});

test('CharVocab: a character outside the vocabulary is a ValueError naming it and its position', () => {
  const v = data.CharVocab.fromText('abc');
  assert.throws(() => v.encode('abXc', '--prompt'), (e: unknown) => e instanceof ValueError && /--prompt: character 'X' \(U\+0058\) at position 2 is not in the vocabulary of 3 characters \(abc\)/.test(e.message));
  assert.throws(() => v.encode('a\tb'), (e: unknown) => e instanceof ValueError && /character U\+0009 at position 1/.test(e.message));
  assert.throws(() => v.decode([3]), ValueError);
  assert.throws(() => new data.CharVocab(['a', 'a']), /appears twice/);
  assert.throws(() => new data.CharVocab(['ab']), /single character/);
  assert.throws(() => data.CharVocab.fromText(''), /empty/);
});

test('randomTextBatch: windows of T ids and their targets shifted by one, reproducible for a generator', () => {
  const ids = Int32Array.from({ length: 50 }, (_, i) => i);
  const [x, y] = data.randomTextBatch(ids, { batchSize: 4, blockSize: 6, generator: new Generator(3) });
  assert.deepEqual(x.shape, [4, 6]);
  assert.equal(x.dtype, 'int32');
  const xd = x.data, yd = y.data;
  for (let b = 0; b < 4; b++) {
    for (let t = 0; t < 6; t++) {
      assert.equal(yd[b * 6 + t], xd[b * 6 + t]! + 1);
      if (t > 0) assert.equal(xd[b * 6 + t], xd[b * 6 + t - 1]! + 1);
    }
  }
  const [x2] = data.randomTextBatch(ids, { batchSize: 4, blockSize: 6, generator: new Generator(3) });
  assert.deepEqual(Array.from(x2.data), Array.from(xd));
  assert.throws(() => data.randomTextBatch(ids.subarray(0, 6), { batchSize: 1, blockSize: 6 }), (e: unknown) => e instanceof ValueError && /needs at least 7/.test(e.message));
});

test('sequentialTextBatches: consecutive windows covering the text once, targets shifted by one, a smaller last batch', () => {
  const ids = Int32Array.from({ length: 50 }, (_, i) => 100 + i);
  // windows of 6 start at 0, 6, ..., 42 (the last needs ids up to 48): 8 windows, batches 3 + 3 + 2
  assert.equal(data.sequentialWindowCount(50, 6), 8);
  const batches = [...data.sequentialTextBatches(ids, { batchSize: 3, blockSize: 6 })];
  assert.deepEqual(batches.map(([x]) => x.shape), [[3, 6], [3, 6], [2, 6]]);
  const xs = batches.flatMap(([x]) => Array.from(x.data)), ys = batches.flatMap(([, y]) => Array.from(y.data));
  assert.deepEqual(xs, Array.from({ length: 48 }, (_, i) => 100 + i));
  assert.deepEqual(ys, Array.from({ length: 48 }, (_, i) => 101 + i));
  assert.equal(data.sequentialWindowCount(48, 6), 7);
  assert.equal(data.sequentialWindowCount(49, 6), 8);
  assert.equal(data.sequentialWindowCount(6, 6), 0);
  assert.equal([...data.sequentialTextBatches(ids.subarray(0, 7), { batchSize: 4, blockSize: 6 })].length, 1);
  assert.throws(() => [...data.sequentialTextBatches(ids.subarray(0, 6), { batchSize: 1, blockSize: 6 })], (e: unknown) => e instanceof ValueError && /needs at least 7/.test(e.message));
  assert.throws(() => [...data.sequentialTextBatches(ids, { batchSize: 0, blockSize: 6 })], (e: unknown) => e instanceof ValueError && /positive integers, got 0 and 6/.test(e.message));
});
