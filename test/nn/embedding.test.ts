import test from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, gradcheck, randn, tensor, ValueError, Generator } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose, meanStd } from './helpers.js';

const ids = (v: number[] | number[][]): ReturnType<typeof tensor> => tensor(v, { dtype: 'int32' });

test('Embedding looks up rows for indices of any shape', () => {
  const emb = new nn.Embedding(5, 3);
  const w = Array.from(emb.weight.data);
  const y = emb.forward(ids([[4, 0], [2, 4]]));
  assert.deepEqual(y.shape, [2, 2, 3]);
  assertClose(y, [...w.slice(12, 15), ...w.slice(0, 3), ...w.slice(6, 9), ...w.slice(12, 15)], 0);
});

test('Embedding gradients accumulate on repeated indices', () => {
  const emb = new nn.Embedding(4, 2);
  emb.forward(ids([1, 3, 1])).sum().backward();
  assertClose(emb.weight.grad!, [0, 0, 2, 2, 0, 0, 1, 1]);
  assert.equal(gradcheck((w) => { emb.weight = w!; return emb.forward(ids([[0, 2], [2, 3]])); }, [randn([4, 2])]).passed, true);
});

test('Embedding weights start as N(0, 1) from the generator', () => {
  const { mean, std } = meanStd(new nn.Embedding(1000, 20, { generator: new Generator(2) }).weight.data);
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(std - 1) < 0.02, `mean ${mean}, std ${std}`);
});

test('Embedding rejects out-of-range and non-int32 indices', () => {
  const emb = new nn.Embedding(10, 4);
  assert.throws(() => emb.forward(ids([1, 12])), (e: unknown) => e instanceof ValueError && /Embedding\(10, 4\): index 12 .* out of range \[0, 10\)/.test(e.message));
  assert.throws(() => emb.forward(tensor([1, 2])), DTypeError);
});
