import test from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor, arange, matmul, concat, stack, split, where, softmax, logSoftmax, logSumExp, max, min, argmax, argmin,
  indexSelect, gather, ShapeError, DTypeError, ValueError, sum, mean, variance, clamp, maximum, minimum, pow,
  sigmoid, tanh, relu, leakyRelu, elu, gelu, softplus, conv2d, ones, eq, ne, lt, le, gt, ge, zeros,
} from '../../src/index.js';

const close = (a: number[] | number, b: number[] | number, tol = 1e-5): void => {
  const x = ([] as number[]).concat(a), y = ([] as number[]).concat(b);
  assert.equal(x.length, y.length);
  x.forEach((v, i) => assert.ok(Math.abs(v - y[i]!) <= tol, `${v} vs ${y[i]} at ${i}`));
};
const flat = (t: { data: ArrayLike<number> }): number[] => Array.from(t.data);

test('broadcasting arithmetic, method and function forms', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(a.add(tensor([10, 20, 30])).toArray(), [[11, 22, 33], [14, 25, 36]]);
  assert.deepEqual(a.mul(tensor([[2], [3]])).toArray(), [[2, 4, 6], [12, 15, 18]]);
  assert.deepEqual(tensor([[1], [2]]).sub(tensor([1, 2, 3])).toArray(), [[0, -1, -2], [1, 0, -1]]);
  assert.deepEqual(a.div(2).toArray(), [[0.5, 1, 1.5], [2, 2.5, 3]]);
  assert.deepEqual(pow(tensor([2, 3]), tensor([3, 2])).toArray(), [8, 9]);
  assert.deepEqual(tensor([2, 3]).pow(2).toArray(), [4, 9]);
  assert.deepEqual(clamp(tensor([-2, 0.5, 3]), -1, 1).toArray(), [-1, 0.5, 1]);
  assert.deepEqual(maximum(tensor([1, 5]), tensor([3, 2])).toArray(), [3, 5]);
  assert.deepEqual(minimum(tensor([1, 5]), 2).toArray(), [1, 2]);
  assert.deepEqual(where(tensor([1, 0, 1]).gt(0), tensor([1, 2, 3]), -1).toArray(), [1, -1, 3]);
  // dtype promotion
  assert.equal(tensor([1], { dtype: 'int32' }).add(tensor([0.5])).dtype, 'float32');
  assert.equal(tensor([1], { dtype: 'float64' }).add(tensor([0.5])).dtype, 'float64');
  assert.equal(tensor([1], { dtype: 'int32' }).mul(2).dtype, 'int32');
  assert.equal(tensor([1], { dtype: 'int32' }).mul(2.5).dtype, 'float32');
  assert.deepEqual(tensor([3], { dtype: 'int32' }).div(2).toArray(), [1.5]);
  // from plain JS, a string operand is an error, not a silent NaN
  assert.throws(() => a.add('x' as unknown as number), (e: unknown) => e instanceof DTypeError && /add: expected Tensors or numbers, got string/.test((e as Error).message));
  assert.throws(() => a.add(tensor([1, 2])), (e: unknown) => e instanceof ShapeError && /add: shapes \[2,3\] and \[2\] cannot be broadcast/.test((e as Error).message));
});

test('activations match their definitions', () => {
  const z = tensor([4, -2], { dtype: 'float64' });
  close(flat(sigmoid(z)), [0.9820137900379085, 0.11920292202211755], 1e-12);
  close(flat(tanh(z)), [Math.tanh(4), Math.tanh(-2)], 1e-12);
  assert.deepEqual(relu(tensor([-1, 2])).toArray(), [0, 2]);
  close(flat(leakyRelu(tensor([-1, 2]))), [-0.01, 2]);
  close(flat(elu(tensor([-1, 2]))), [Math.expm1(-1), 2]);
  close(flat(gelu(tensor([1, -1], { dtype: 'float64' }))), [0.8413447460685429, -0.15865525393145707], 1e-12);
  close(flat(softplus(tensor([0, 100, -100], { dtype: 'float64' }))), [Math.log(2), 100, Math.exp(-100)], 1e-12);
  assert.throws(() => sigmoid(tensor([1], { dtype: 'int32' })), (e: unknown) => e instanceof DTypeError && /sigmoid: expected a floating dtype.*got int32/.test((e as Error).message));
});

test('matmul: 1-D, 2-D, batched with broadcast batch dims', () => {
  const a = tensor([[1, 2], [3, 4]]);
  const b = tensor([[5, 6], [7, 8]]);
  assert.deepEqual(matmul(a, b).toArray(), [[19, 22], [43, 50]]);
  assert.deepEqual(matmul(tensor([1, 2]), b).toArray(), [19, 22]);
  assert.deepEqual(matmul(a, tensor([1, 1])).toArray(), [3, 7]);
  assert.equal(matmul(tensor([1, 2]), tensor([3, 4])).item(), 11);
  const batched = matmul(arange(12).reshape([3, 1, 2, 2]), ones([2, 2, 1]));
  assert.deepEqual(batched.shape, [3, 2, 2, 1]);
  assert.deepEqual(flat(batched), [1, 5, 1, 5, 9, 13, 9, 13, 17, 21, 17, 21]);
  assert.deepEqual(matmul(a, b, { transA: true }).toArray(), [[26, 30], [38, 44]]);
  assert.deepEqual(matmul(a, b, { transB: true }).toArray(), [[17, 23], [39, 53]]);
  assert.throws(() => matmul(zeros([2, 3]), zeros([4, 5])), (e: unknown) =>
    e instanceof ShapeError && (e as Error).message === 'matmul: cannot multiply [2,3] by [4,5]: inner dimensions 3 and 4 differ');
  assert.throws(() => matmul(tensor([[1]], { dtype: 'int32' }), tensor([[1]], { dtype: 'int32' })), DTypeError);
});

test('shape ops', () => {
  const x = arange(24).reshape([2, 3, 4]);
  assert.deepEqual(x.permute([2, 0, 1]).shape, [4, 2, 3]);
  assert.equal(x.permute([2, 0, 1]).toArray().toString(), x.transpose(0, 2).transpose(1, 2).toArray().toString());
  assert.deepEqual(x.flatten(1).shape, [2, 12]);
  assert.deepEqual(x.reshape([4, -1]).shape, [4, 6]);
  assert.deepEqual(tensor([[1], [2]]).squeeze().shape, [2]);
  assert.deepEqual(tensor([1, 2]).unsqueeze(1).shape, [2, 1]);
  assert.deepEqual(tensor([[1], [2]]).expand([2, 3]).toArray(), [[1, 1, 1], [2, 2, 2]]);
  assert.deepEqual(concat([tensor([[1, 2]]), tensor([[3, 4], [5, 6]])], 0).toArray(), [[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(), [[1, 3], [2, 4]]);
  assert.deepEqual(split(arange(5), 2).map((t) => t.toArray()), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(x.slice([null, { start: 1, stop: 3 }, { step: 2 }]).toArray(), [[[4, 6], [8, 10]], [[16, 18], [20, 22]]]);
  assert.deepEqual(arange(10).slice([{ start: -3 }]).toArray(), [7, 8, 9]);
  assert.deepEqual(arange(10).sliceDim(0, 1, 8, 3).toArray(), [1, 4, 7]);
  assert.deepEqual(arange(6).reshape([2, 3]).T.toArray(), [[0, 3], [1, 4], [2, 5]]);
  assert.throws(() => x.reshape([5, 5]), (e: unknown) => e instanceof ShapeError && /reshape: cannot reshape a tensor of shape \[2,3,4\]/.test((e as Error).message));
  assert.throws(() => concat([zeros([2, 2]), zeros([3, 3])], 0), ShapeError);
  assert.throws(() => x.permute([0, 0, 1]), ValueError);
  assert.throws(() => x.sum(3), ValueError);
});

test('indexSelect and gather', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(indexSelect(x, 1, tensor([2, 0], { dtype: 'int32' })).toArray(), [[3, 1], [6, 4]]);
  assert.deepEqual(gather(x, 1, tensor([[0, 0], [2, 1]], { dtype: 'int32' })).toArray(), [[1, 1], [6, 5]]);
  assert.throws(() => indexSelect(x, 0, tensor([0.0])), DTypeError);
  assert.throws(() => indexSelect(x, 0, tensor([5], { dtype: 'int32' })), /index 5 is out of range for dim 0 of size 2/);
});

test('reductions', () => {
  const x = tensor([[1, 5, 3], [7, 2, 9]]);
  assert.equal(sum(x).item(), 27);
  assert.deepEqual(x.sum(0).toArray(), [8, 7, 12]);
  assert.deepEqual(x.sum(1, true).toArray(), [[9], [18]]);
  assert.deepEqual(x.sum([0, 1]).toArray(), 27);
  assert.deepEqual(mean(x, 1).toArray(), [3, 6]);
  close(variance(x, 1).toArray() as number[], [4, 13]);
  close(variance(x, 1, { correction: 0 }).toArray() as number[], [8 / 3, 26 / 3]);
  assert.deepEqual(max(x, 1).toArray(), [5, 9]);
  assert.deepEqual(min(x, 0).toArray(), [1, 2, 3]);
  assert.equal(max(x).item(), 9);
  assert.deepEqual(max(x, 1, true).shape, [2, 1]);
  assert.deepEqual(argmax(x, 1).toArray(), [1, 2]);
  assert.deepEqual(argmin(x, 0).toArray(), [0, 1, 0]);
  assert.equal(argmax(x).item(), 5);
  assert.equal(argmax(x).dtype, 'int32');
  close(logSumExp(tensor([[1000, 1000]]), 1).toArray() as number[], [1000 + Math.log(2)], 1e-4);
  // the gradient of max flows to the arg-max only
  const t = tensor([[1, 5, 5]], { requiresGrad: true });
  t.max(1).sum().backward();
  assert.deepEqual(t.grad!.toArray(), [[0, 1, 0]]);
  assert.equal(tensor([1, 2, 3, 4], { dtype: 'int32' }).mean().item(), 2.5);
});

test('softmax and logSoftmax are stable for large logits', () => {
  const s = softmax(tensor([[1000, 1000, -1000]]));
  close(flat(s), [0.5, 0.5, 0]);
  const ls = logSoftmax(tensor([[1e4, 0]]));
  close(flat(ls), [0, -1e4]);
  close(flat(softmax(tensor([[1, 2], [3, 5]]), 0)), [1 / (1 + Math.E ** 2), 1 / (1 + Math.E ** 3), 1 / (1 + Math.E ** -2), 1 / (1 + Math.E ** -3)]);
});

test('comparisons give int32 0/1 and no gradient', () => {
  const a = tensor([1, 2, 3], { requiresGrad: true });
  const b = tensor([3, 2, 1]);
  assert.deepEqual(eq(a, b).toArray(), [0, 1, 0]);
  assert.deepEqual(ne(a, b).toArray(), [1, 0, 1]);
  assert.deepEqual(lt(a, b).toArray(), [1, 0, 0]);
  assert.deepEqual(le(a, b).toArray(), [1, 1, 0]);
  assert.deepEqual(gt(a, 2).toArray(), [0, 0, 1]);
  assert.deepEqual(ge(a, 2).toArray(), [0, 1, 1]);
  assert.equal(eq(a, b).dtype, 'int32');
  assert.equal(eq(a, b).requiresGrad, false);
});

test('conv2d matches a hand-computed convolution', () => {
  // 1x1x3x3 input, 1x1x2x2 kernel of ones: each output sums a 2x2 window
  const x = arange(9).reshape([1, 1, 3, 3]);
  const w = ones([1, 1, 2, 2]);
  assert.deepEqual(conv2d(x, w).toArray(), [[[[8, 12], [20, 24]]]]);
  assert.deepEqual(conv2d(x, w, tensor([1]), { padding: 1, stride: 2 }).toArray(), [[[[1, 4], [10, 25]]]]);
  assert.throws(() => conv2d(zeros([1, 2, 3, 3]), ones([1, 1, 2, 2])), ShapeError);
});
