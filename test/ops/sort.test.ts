import test from 'node:test';
import assert from 'node:assert/strict';
import { ValueError, tensor, sort, argsort, topk, takeAlongDim, randn, Generator } from '../../src/index.js';

test('sort is stable both ways, puts NaN above every number, and returns int32 positions', () => {
  const x = tensor([2, 1, NaN, 1, 2, -Infinity]);
  const up = sort(x);
  assert.deepEqual(Array.from(up.indices.data), [5, 1, 3, 0, 4, 2]);
  assert.equal(up.indices.dtype, 'int32');
  const down = x.sort(0, true);
  assert.deepEqual(Array.from(down.indices.data), [2, 0, 4, 1, 3, 5]);
  assert.deepEqual(argsort(x, 0, true).toArray(), Array.from(down.indices.data));
  assert.deepEqual(sort(tensor(3)).values.toArray(), 3);
});

test('sort along a middle dim, and takeAlongDim with the permutation gives the sorted values', () => {
  const x = randn([3, 5, 2], { generator: new Generator(1) });
  const { values, indices } = sort(x, 1);
  assert.deepEqual(takeAlongDim(x, indices, 1).toArray(), values.toArray());
  const v = values.data;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 2; k++) assert.ok(v[i * 10 + j * 2 + k]! <= v[i * 10 + (j + 1) * 2 + k]!);
});

test('topk: largest or smallest, in order, gradient to the picked entries, k checked', () => {
  const x = tensor([[1, 5, 3, 4], [9, 0, 9, 2]], { requiresGrad: true });
  const t = topk(x, 2);
  assert.deepEqual(t.values.toArray(), [[5, 4], [9, 9]]);
  assert.deepEqual(t.indices.toArray(), [[1, 3], [0, 2]]);
  assert.deepEqual(x.topk(1, 1, false).values.toArray(), [[1], [0]]);
  assert.deepEqual(topk(x, 0).values.shape, [2, 0]);
  t.values.sum().backward();
  assert.deepEqual(x.grad?.toArray(), [[0, 1, 0, 1], [1, 0, 1, 0]]);
  assert.throws(() => topk(x, 5), (e: unknown) => e instanceof ValueError && /topk: k must be an integer in 0..4/.test((e as Error).message));
});
