import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DTypeError, ShapeError, ValueError, tensor, zeros, ones, arange, scatter, scatterAdd, indexAdd, takeAlongDim, tril, triu, maskedFill,
} from '../../src/index.js';

const is = (cls: Function, re: RegExp) => (e: unknown): boolean => e instanceof cls && re.test((e as Error).message);
const i32 = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' });

test('scatter writes src or a number at index along dim; gradients: x loses the overwritten entries, src gets gather', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const src = tensor([[10, 20], [30, 40]], { requiresGrad: true });
  const y = scatter(x, 1, i32([[2, 0], [1, 2]]), src);
  assert.deepEqual(y.toArray(), [[20, 2, 10], [4, 30, 40]]);
  y.mul(tensor([[1, 2, 3], [4, 5, 6]])).sum().backward();
  assert.deepEqual(x.grad?.toArray(), [[0, 2, 0], [4, 0, 0]]);
  assert.deepEqual(src.grad?.toArray(), [[3, 1], [5, 6]]);
  assert.deepEqual(x.scatter(0, i32([[1, 0, 1]]), -1).toArray(), [[1, -1, 3], [-1, 5, -1]]);
  // a larger src contributes its leading corner, as in PyTorch
  assert.deepEqual(scatter(zeros([2, 2]), 1, i32([[1], [0]]), tensor([[7, 8], [9, 10]])).toArray(), [[0, 7], [9, 0]]);
});

test('scatterAdd and indexAdd sum repeated positions; indexAdd scales by alpha', () => {
  assert.deepEqual(scatterAdd(ones([2, 3]), 1, i32([[0, 0], [2, 2]]), tensor([[1, 2], [3, 4]])).toArray(), [[4, 1, 1], [1, 1, 8]]);
  assert.deepEqual(indexAdd(zeros([3, 2]), 0, i32([2, 0, 2]), tensor([[1, 1], [2, 2], [3, 3]]), { alpha: 10 }).toArray(), [[20, 20], [0, 0], [40, 40]]);
  assert.deepEqual(zeros([2, 3]).indexAdd(1, i32([1]), ones([2, 1])).toArray(), [[0, 1, 0], [0, 1, 0]]);
});

test('scatter-family errors: dtype, rank, sizes and range are typed and name the op', () => {
  const x = zeros([2, 3]);
  assert.throws(() => scatter(x, 1, tensor([[0]]), 1), is(DTypeError, /scatter: index must be an int32 tensor, got float32/));
  assert.throws(() => scatter(x, 1, i32([0]), 1), is(ShapeError, /scatter: index must have the input's rank \(2\)/));
  assert.throws(() => scatter(x, 1, i32([[0, 1]]), zeros([1, 1])), is(ShapeError, /scatter: index shape \[1,2\] exceeds src shape \[1,1\] at dim 1/));
  assert.throws(() => scatterAdd(x, 1, i32([[0], [1], [2]]), zeros([3, 1])), is(ShapeError, /scatterAdd: index shape \[3,1\] exceeds input shape \[2,3\] at dim 0/));
  assert.throws(() => scatter(x, 1, i32([[3]]), 1), is(ValueError, /scatter: index 3 is out of range for dim 1 of size 3/));
  assert.throws(() => indexAdd(x, 0, i32([0, 1]), zeros([2, 2])), is(ShapeError, /indexAdd: source must have shape \[2,3\]/));
  assert.throws(() => indexAdd(x, 0, i32([[0]]), zeros([1, 3])), is(ShapeError, /indexAdd: index must be 1-D/));
  assert.throws(() => takeAlongDim(x, tensor([[0]]), 1), is(DTypeError, /takeAlongDim: indices must be an int32 tensor/));
  assert.throws(() => takeAlongDim(x, i32([0]), 1), is(ShapeError, /takeAlongDim: indices must have the input's rank/));
});

test('takeAlongDim broadcasts the input and the indices off the dim; without dim it works on the flattened tensor', () => {
  const x = tensor([[10, 20, 30]]);
  assert.deepEqual(takeAlongDim(x, i32([[2], [0]]), 1).toArray(), [[30], [10]]);
  assert.deepEqual(takeAlongDim(arange(6).reshape([2, 3]), i32([5, 1])).toArray(), [5, 1]);
});

test('tril / triu keep int32 and batch dims; maskedFill takes a 0-d tensor value and checks its mask', () => {
  const m = ones([2, 2, 3], { dtype: 'int32' });
  assert.equal(tril(m).dtype, 'int32');
  assert.deepEqual(triu(m, 1).toArray(), [[[0, 1, 1], [0, 0, 1]], [[0, 1, 1], [0, 0, 1]]]);
  assert.deepEqual(m.tril(-1).toArray(), [[[0, 0, 0], [1, 0, 0]], [[0, 0, 0], [1, 0, 0]]]);
  assert.throws(() => tril(ones([3])), is(ShapeError, /tril: expected a tensor with at least 2 dims/));
  const v = tensor(2.5, { requiresGrad: true });
  const y = maskedFill(zeros([2, 2]), i32([[1, 0], [1, 1]]), v);
  assert.deepEqual(y.toArray(), [[2.5, 0], [2.5, 2.5]]);
  y.sum().backward();
  assert.equal(v.grad?.item(), 3);
  assert.throws(() => maskedFill(zeros([2]), tensor([1, 0]), 1), is(DTypeError, /maskedFill: mask must be an int32/));
  assert.throws(() => maskedFill(zeros([2]), i32([1, 0]), zeros([2])), is(ShapeError, /maskedFill: a tensor value must be 0-d/));
  assert.throws(() => maskedFill(zeros([2]), i32([[1, 0]]), 0), is(ShapeError, /maskedFill: mask \[1,2\] must broadcast to the input's shape \[2\]/));
});
