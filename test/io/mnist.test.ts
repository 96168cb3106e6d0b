import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadMnist } from '../../src/io/index.js';
import { FormatError, ValueError } from '../../src/errors.js';
import { tempDir } from './tmp.js';
import { requireData, sharedData } from '../helpers/shared-data.js';

const mnist = sharedData('mnist');
const fashion = sharedData('fashion-mnist');

test('real MNIST: 60000 training images of 28×28, first label 5', { skip: mnist.skip }, () => {
  requireData(mnist);
  const { x, y } = loadMnist(mnist.path);
  assert.deepEqual(x.shape, [60000, 1, 28, 28]);
  assert.deepEqual(y.shape, [60000]);
  assert.equal(x.dtype, 'float32');
  assert.equal(y.dtype, 'int32');
  assert.equal(y.data[0], 5);
  assert.deepEqual(Array.from(y.data.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  let lo = Infinity, hi = -Infinity;
  for (const v of x.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
  // the first image is a 5: ink in the middle rows, blank corners
  const img = x.data.subarray(0, 784);
  assert.equal(img[0], 0);
  assert.ok(Array.from(img).reduce((a, b) => a + b, 0) > 50);
  const counts = new Array<number>(10).fill(0);
  for (const v of y.data) counts[v]! += 1;
  assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
});

test('MNIST test split with a limit; Fashion-MNIST reads the same way', { skip: mnist.skip || fashion.skip }, () => {
  requireData(mnist);
  requireData(fashion);
  const { x, y } = loadMnist(mnist.path, { split: 'test', limit: 100 });
  assert.deepEqual(x.shape, [100, 1, 28, 28]);
  assert.deepEqual(Array.from(y.data.subarray(0, 5)), [7, 2, 1, 0, 4]);
  const f = loadMnist(fashion.path, { split: 'test', limit: 10 });
  assert.deepEqual(f.x.shape, [10, 1, 28, 28]);
  assert.deepEqual(Array.from(f.y.data), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
});

function idx(typeAndDims: number[], dims: number[], body: number[]): Uint8Array {
  const head = [0, 0, ...typeAndDims];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...head, ...body]);
}

test('a hand-made MNIST directory (uncompressed), bad labels and mismatched counts', () => {
  const dir = tempDir();
  const pixels = Array.from({ length: 2 * 784 }, (_, i) => i % 256);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([8, 3], [2, 28, 28], pixels));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([8, 1], [2], [3, 10])));
  assert.throws(() => loadMnist(dir), (e: Error) => e instanceof ValueError && /label 10 of example 1 is outside 0\.\.9/.test(e.message));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([8, 1], [3], [3, 1, 2])));
  assert.throws(() => loadMnist(dir), FormatError);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([8, 1], [2], [3, 1])));
  const { x, y } = loadMnist(dir);
  assert.deepEqual(Array.from(y.data), [3, 1]);
  assert.equal(x.data[255], 1);
  assert.equal(x.data[1], Math.fround(1 / 255));
  assert.throws(() => loadMnist(dir, { split: 'test' }), ValueError);
});
