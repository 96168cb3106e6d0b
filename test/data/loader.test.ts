import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataLoader, TensorDataset, type Dataset } from '../../src/data/index.js';
import { arange, tensor } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ValueError } from '../../src/errors.js';

const ds = new TensorDataset(arange(0, 20).reshape([10, 2]), arange(0, 10, 1, { dtype: 'int32' }));
const labels = (loader: DataLoader): number[][] => [...loader].map(([, yb]) => Array.from(yb.data));

test('batches in order, with and without dropLast', () => {
  const loader = new DataLoader(ds, { batchSize: 4 });
  assert.equal(loader.length, 3);
  const batches = [...loader];
  assert.deepEqual(batches.map(([xb]) => xb.shape), [[4, 2], [4, 2], [2, 2]]);
  assert.deepEqual(labels(loader), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  const dropping = new DataLoader(ds, { batchSize: 4, dropLast: true });
  assert.equal(dropping.length, 2);
  assert.deepEqual(labels(dropping), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  assert.equal(new DataLoader(ds, { batchSize: 5, dropLast: true }).length, 2);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), ValueError);
});

test('shuffling covers every item, changes each pass and is reproducible by seed', () => {
  const a = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(7) });
  const b = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(7) });
  const e1 = labels(a);
  const e2 = labels(a);
  assert.deepEqual(e1.flat().sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(e1, e2);
  assert.deepEqual(labels(b), e1);
  assert.deepEqual(labels(b), e2);
  // x rows stay paired with their labels
  for (const [xb, yb] of a) assert.deepEqual(Array.from(xb.data), Array.from(yb.data).flatMap((v) => [2 * v, 2 * v + 1]));
});

test('restoring the generator state resumes the same order', () => {
  const a = new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator(3) });
  labels(a);
  const saved = a.generator.getState();
  const next = labels(a);
  const b = new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator(99) });
  b.generator.setState(saved);
  assert.deepEqual(labels(b), next);
});

test('datasets without getBatch are stacked item by item', () => {
  const items: Dataset<[Tensor, Tensor]> = {
    length: 5,
    get: (i: number): [Tensor, Tensor] => [tensor([i, -i]), tensor(i % 2, { dtype: 'int32' })],
  };
  const batches = [...new DataLoader(items, { batchSize: 2 })];
  assert.equal(batches.length, 3);
  assert.deepEqual(batches[1]![0].toArray(), [[2, -2], [3, -3]]);
  assert.deepEqual(batches[2]![1].toArray(), [0]);
});
