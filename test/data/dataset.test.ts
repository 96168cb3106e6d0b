import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TensorDataset, Subset, randomSplit } from '../../src/data/index.js';
import { arange, tensor } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { ShapeError, ValueError } from '../../src/errors.js';

const x = arange(0, 20).reshape([10, 2]);
const y = arange(0, 10, 1, { dtype: 'int32' });

test('TensorDataset get and getBatch', () => {
  const ds = new TensorDataset(x, y);
  assert.equal(ds.length, 10);
  const [xi, yi] = ds.get(3);
  assert.deepEqual(xi.toArray(), [6, 7]);
  assert.equal(yi.item(), 3);
  const [xb, yb] = ds.getBatch(Int32Array.of(9, 0, 4));
  assert.deepEqual(xb.toArray(), [[18, 19], [0, 1], [8, 9]]);
  assert.deepEqual(yb.toArray(), [9, 0, 4]);
  assert.equal(yb.dtype, 'int32');
  assert.throws(() => ds.get(10), ValueError);
  assert.throws(() => new TensorDataset(x, tensor([1, 2, 3])), ShapeError);
});

test('randomSplit by counts and by fractions', () => {
  const ds = new TensorDataset(x, y);
  const [a, b] = randomSplit(ds, [7, 3], { generator: new Generator(1) });
  assert.equal(a!.length, 7);
  assert.equal(b!.length, 3);
  const all = [...a!.indices, ...b!.indices].sort((p, q) => p - q);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // a Subset maps batch indices through its own
  const [, yb] = a!.getBatch!(Int32Array.of(0, 1));
  assert.deepEqual(yb.toArray(), [a!.indices[0], a!.indices[1]]);
  assert.equal(a!.get(2)[1].item(), a!.indices[2]);
  const same = randomSplit(ds, [7, 3], { generator: new Generator(1) });
  assert.deepEqual(Array.from(same[0]!.indices), Array.from(a!.indices));
  const parts = randomSplit(ds, [0.5, 0.3, 0.2], { generator: new Generator(2) });
  assert.deepEqual(parts.map((p) => p.length), [5, 3, 2]);
  const odd = randomSplit(new Subset(ds, [0, 1, 2, 3, 4, 5, 6]), [0.5, 0.5], { generator: new Generator(2) });
  assert.deepEqual(odd.map((p) => p.length), [4, 3]);
  assert.throws(() => randomSplit(ds, [5, 4]), ValueError);
});
