import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DTypeError, ValueError, tensor, zeros, ones, arange, max, min, amax, amin, prod, cumsum, cumprod, norm, std, any, all, logSumExp,
} from '../../src/index.js';

const is = (cls: Function, re: RegExp) => (e: unknown): boolean => e instanceof cls && re.test((e as Error).message);

test('max/min over all elements split the gradient evenly among ties; over one dim it goes to the first', () => {
  const x = tensor([[1, 3], [3, 0]], { requiresGrad: true });
  max(x).backward();
  assert.deepEqual(x.grad?.toArray(), [[0, 0.5], [0.5, 0]]);
  const y = tensor([[1, 3, 3], [0, 0, 2]], { requiresGrad: true });
  max(y, 1).sum().backward();
  assert.deepEqual(y.grad?.toArray(), [[0, 1, 0], [0, 0, 1]]);
  const z = tensor([[2, 2], [2, 5]], { dtype: 'float64', requiresGrad: true });
  min(z, [0, 1]).backward();
  assert.deepEqual(z.grad?.toArray(), [[1 / 3, 1 / 3], [1 / 3, 0]]);
  // a NaN is the maximum and takes the whole gradient
  const n = tensor([1, NaN, 2], { requiresGrad: true });
  assert.ok(Number.isNaN(max(n).item()));
  max(n).backward();
  assert.deepEqual(n.grad?.toArray(), [0, 1, 0]);
  assert.deepEqual(amax(tensor([[1, 5], [7, 2]]), 0, true).toArray(), [[7, 5]]);
  assert.deepEqual(amin(tensor([[1, 5], [7, 2]])).toArray(), 1);
  assert.deepEqual(tensor([[1, 5], [7, 2]]).amax(1).toArray(), [5, 7]);
  assert.throws(() => max(zeros([0])), is(ValueError, /max: cannot reduce an empty tensor/));
  assert.throws(() => amax(zeros([2, 0]), 1), is(ValueError, /amax: cannot reduce a dim of size 0/));
  // logSumExp (which shifts by amax) is unchanged
  assert.ok(Math.abs(logSumExp(tensor([0, 0], { dtype: 'float64' })).item() - Math.log(2)) < 1e-15);
});

test('prod: dims, keepdim, empty dims give 1, int32 stays int32', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(prod(x).toArray(), 720);
  assert.deepEqual(prod(x, 0).toArray(), [4, 10, 18]);
  assert.deepEqual(x.prod([0, 1], true).toArray(), [[720]]);
  assert.deepEqual(prod(zeros([2, 0]), 1).toArray(), [1, 1]);
  assert.equal(prod(tensor([2, 3], { dtype: 'int32' })).dtype, 'int32');
});

test('cumsum / cumprod: any dim, negative dims, 0-d and empty inputs', () => {
  const x = arange(6).reshape([2, 3]);
  assert.deepEqual(cumsum(x, -1).toArray(), [[0, 1, 3], [3, 7, 12]]);
  assert.deepEqual(x.cumsum(0).toArray(), [[0, 1, 2], [3, 5, 7]]);
  assert.deepEqual(cumprod(tensor([[1, 2], [3, 4]]), 0).toArray(), [[1, 2], [3, 8]]);
  assert.deepEqual(cumsum(tensor(5), 0).toArray(), 5);
  assert.deepEqual(cumprod(zeros([0, 3]), 1).shape, [0, 3]);
  assert.throws(() => cumsum(x, 2), is(ValueError, /cumsum: dim 2 is out of range for a tensor of rank 2/));
  const w = tensor([2, 0, 3], { dtype: 'float64', requiresGrad: true });
  cumprod(w, 0).sum().backward();
  assert.deepEqual(w.grad?.toArray(), [1, 8, 0]);
});

test('norm: orders, dims, keepdim, a zero 2-norm has a zero gradient; bad orders and int32 are typed errors', () => {
  const x = tensor([[3, -4], [0, 0]], { dtype: 'float64', requiresGrad: true });
  assert.deepEqual(norm(x, 2, 1).toArray(), [5, 0]);
  norm(x, 2, 1).sum().backward();
  const g = Array.from(x.grad!.data);
  [0.6, -0.8, 0, 0].forEach((v, i) => assert.ok(Math.abs(g[i]! - v) < 1e-15, `grad ${i}: ${g[i]}`));
  assert.equal(norm(x).item(), 5);
  assert.equal(norm(x, 1).item(), 7);
  assert.equal(norm(x, Infinity).item(), 4);
  assert.equal(norm(x, -Infinity, 1, true).shape.join(), '2,1');
  assert.equal(norm(x, 0).item(), 2);
  assert.ok(Math.abs(x.norm(3).item() - Math.cbrt(91)) < 1e-12);
  assert.equal(norm(zeros([0, 2]), Infinity, 0).toArray().toString(), '0,0');
  assert.throws(() => norm(x, 'nuc' as 'fro'), is(ValueError, /norm: unknown order nuc/));
  assert.throws(() => norm(ones([2, 2, 2]), 'fro', [0, 1, 2]), is(ValueError, /norm: the Frobenius norm takes at most 2 dims, got 3/));
  assert.throws(() => norm(tensor([1], { dtype: 'int32' })), is(DTypeError, /norm: expected a floating dtype/));
});

test('std: Bessel\'s correction by default, correction 0, keepdim, and a zero spread has a zero gradient', () => {
  const x = tensor([1, 2, 3, 4], { dtype: 'float64' });
  assert.ok(Math.abs(std(x).item() - Math.sqrt(5 / 3)) < 1e-15);
  assert.ok(Math.abs(x.std(0, { correction: 0 }).item() - Math.sqrt(1.25)) < 1e-15);
  assert.deepEqual(std(ones([2, 3]), 1, { keepdim: true }).shape, [2, 1]);
  const c = tensor([2, 2, 2], { requiresGrad: true });
  std(c).backward();
  assert.deepEqual(c.grad?.toArray(), [0, 0, 0]);
});

test('any / all: int32 truth values, NaN is true, empty any is 0 and empty all is 1', () => {
  const x = tensor([[0, 1], [0, 0], [NaN, 0]]);
  assert.deepEqual(any(x, 1).toArray(), [1, 0, 1]);
  assert.deepEqual(all(x.add(1), 1).toArray(), [1, 1, 1]);
  assert.deepEqual(x.all(0, true).toArray(), [[0, 0]]);
  assert.equal(any(x).dtype, 'int32');
  assert.equal(any(zeros([0])).item(), 0);
  assert.equal(all(zeros([0])).item(), 1);
  assert.equal(all(tensor([3, -1], { dtype: 'int32' })).item(), 1);
});
