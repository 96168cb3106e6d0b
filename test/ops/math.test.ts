import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DTypeError, ShapeError, tensor, zeros, sin, atan2, fmod, remainder, lerp, addcmul, nanToNum, isnan, isfinite, square, sign, floor,
  round, trunc, ceil, reciprocal, rsqrt, log2,
} from '../../src/index.js';

const is = (cls: Function, re: RegExp) => (e: unknown): boolean => e instanceof cls && re.test((e as Error).message);

test('math maps: int32 inputs promote to float32 where the result is fractional, as in PyTorch', () => {
  const n = tensor([1, 4], { dtype: 'int32' });
  assert.equal(sin(n).dtype, 'float32');
  assert.equal(reciprocal(n).dtype, 'float32');
  assert.deepEqual(Array.from(rsqrt(n).data), [1, 0.5]);
  assert.deepEqual(Array.from(log2(n).data), [0, 2]);
  assert.equal(atan2(n, n).dtype, 'float32');
  // rounding and squares keep integers integral
  for (const f of [floor, ceil, round, trunc, sign, square]) assert.equal(f(n).dtype, 'int32');
  assert.deepEqual(Array.from(square(n).data), [1, 16]);
  assert.deepEqual(Array.from(fmod(tensor([7, -7], { dtype: 'int32' }), 3).data), [1, -1]);
  assert.deepEqual(Array.from(remainder(tensor([7, -7], { dtype: 'int32' }), -3).data), [-2, -1]);
});

test('rounding: half to even, toward zero, and a zero gradient that still reaches the leaf', () => {
  assert.deepEqual(round(tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999], { dtype: 'float64' })).toArray(), [0, 2, 2, -0, -2, 2]);
  assert.deepEqual(trunc(tensor([-1.7, 1.7])).toArray(), [-1, 1]);
  const x = tensor([1.3, -2.6], { requiresGrad: true });
  floor(x).add(round(x)).add(sign(x)).sum().backward();
  assert.deepEqual(x.grad?.toArray(), [0, 0]);
});

test('fmod takes the dividend\'s sign, remainder the divisor\'s, with broadcasting and number operands', () => {
  assert.deepEqual(fmod(tensor([[5], [-5]]), tensor([3, -3])).toArray(), [[2, 2], [-2, -2]]);
  assert.deepEqual(remainder(tensor([[5], [-5]]), tensor([3, -3])).toArray(), [[2, -1], [1, -2]]);
  assert.deepEqual(remainder(7.5, tensor([2])).toArray(), [1.5]);
  assert.throws(() => fmod(tensor([1, 2]), tensor([1, 2, 3])), is(ShapeError, /fmod: shapes \[2\] and \[3\] cannot be broadcast/));
});

test('lerp, addcmul: broadcasting, weight 1 gives end exactly, and shape errors name the op', () => {
  const a = tensor([0.1, 1e8], { dtype: 'float64' }), b = tensor([0.3, -1e-8], { dtype: 'float64' });
  assert.deepEqual(lerp(a, b, 1).toArray(), b.toArray());
  assert.deepEqual(lerp(a, b, 0).toArray(), a.toArray());
  assert.deepEqual(lerp(tensor([[0], [10]]), tensor([10, 20]), tensor([0.5, 0.25])).toArray(), [[5, 5], [10, 12.5]]);
  assert.deepEqual(addcmul(zeros([2, 2]), tensor([1, 2]), tensor([[3], [4]]), { value: 2 }).toArray(), [[6, 12], [8, 16]]);
  assert.throws(() => addcmul(zeros([3]), tensor([1, 2]), tensor([1, 2])), is(ShapeError, /addcmul: shapes \[3\] and \[2\]/));
  assert.throws(() => lerp(zeros([3]), zeros([2]), 0.5), is(ShapeError, /lerp/));
});

test('nanToNum: defaults per dtype, given replacements, int32 untouched; isnan / isfinite give int32', () => {
  const x = tensor([NaN, Infinity, -Infinity, 2]);
  assert.deepEqual(nanToNum(x).toArray(), [0, 3.4028234663852886e38, -3.4028234663852886e38, 2]);
  assert.deepEqual(nanToNum(x.double()).toArray(), [0, Number.MAX_VALUE, -Number.MAX_VALUE, 2]);
  assert.deepEqual(nanToNum(x, { nan: -1, posinf: 9, neginf: -9 }).toArray(), [-1, 9, -9, 2]);
  const ints = tensor([1, 2], { dtype: 'int32' });
  assert.equal(nanToNum(ints), ints);
  assert.deepEqual(isnan(x).toArray(), [1, 0, 0, 0]);
  assert.deepEqual(isfinite(x).toArray(), [0, 0, 0, 1]);
  assert.equal(isnan(x).dtype, 'int32');
  assert.deepEqual(x.isnan().toArray(), isnan(x).toArray());
  // the gradient passes at finite entries only
  const y = tensor([1, Infinity, NaN], { requiresGrad: true });
  nanToNum(y).sum().backward();
  assert.deepEqual(y.grad?.toArray(), [1, 0, 0]);
});

test('math maps take tensors only, with a typed error', () => {
  assert.throws(() => sin(3 as unknown as ReturnType<typeof tensor>), is(DTypeError, /sin: expected a Tensor, got number/));
  assert.throws(() => atan2('a' as unknown as number, 1), is(DTypeError, /atan2: expected Tensors or numbers, got string/));
});
