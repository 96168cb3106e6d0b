import test from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, ShapeError, ValueError, Generator, einsum, matmul, randn, tensor, transpose, zeros } from '../../src/index.js';

const is = (cls: Function, re: RegExp) => (e: unknown): boolean => e instanceof cls && re.test((e as Error).message);
const g = new Generator(4);
const r = (shape: number[]) => randn(shape, { dtype: 'float64', generator: g });
const close = (a: ReturnType<typeof tensor>, b: ReturnType<typeof tensor>): void => {
  assert.deepEqual(a.shape, b.shape);
  a.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]!) < 1e-12, `${v} vs ${b.data[i]}`));
};

test('einsum agrees with the ops it stands for', () => {
  const a = r([3, 4]), b = r([4, 5]), c = r([2, 3, 4]), d = r([2, 4, 5]);
  close(einsum('ij,jk->ik', a, b), matmul(a, b));
  close(einsum('ij,jk', [a, b]), matmul(a, b));
  close(einsum('bij,bjk->bik', c, d), matmul(c, d));
  close(einsum('ij->ji', a), transpose(a));
  close(einsum('ij->', a), a.sum());
  close(einsum('ij->j', a), a.sum(0));
  close(einsum('i,i->', a.sliceDim(0, 0, 1).squeeze(), b.sliceDim(1, 0, 1).squeeze()), a.sliceDim(0, 0, 1).squeeze().mul(b.sliceDim(1, 0, 1).squeeze()).sum());
  // the implicit output is the letters used once, in ASCII order (upper case first)
  assert.deepEqual(einsum('ba,bA', zeros([2, 3]), zeros([2, 4])).shape, [4, 3]);
  assert.deepEqual(einsum(' b i j , b j k -> b k i ', c, d).shape, [2, 5, 3]);
  assert.deepEqual(einsum('...ij->...ji', zeros([5, 2, 3, 4])).shape, [5, 2, 4, 3]);
  assert.deepEqual(einsum('i...->...', zeros([2, 3, 4])).shape, [3, 4]);
});

test('einsum equation errors are typed and say what is wrong', () => {
  const a = zeros([2, 3]);
  assert.throws(() => einsum('ij,jk', a), is(ValueError, /einsum: 'ij,jk' has 2 input terms but 1 operands were given/));
  assert.throws(() => einsum('ijk', a), is(ShapeError, /term 0 'ijk' has 3 subscripts but operand 0 has 2 dims/));
  assert.throws(() => einsum('i1', a), is(ValueError, /invalid subscript '1'/));
  assert.throws(() => einsum('ij->k', a), is(ValueError, /output subscript 'k' does not appear in the inputs/));
  assert.throws(() => einsum('ij->ii', a), is(ValueError, /output subscript 'i' appears more than once/));
  assert.throws(() => einsum('ij,ij', a, zeros([3, 3])), is(ShapeError, /'i' has size 2 in one place and 3 in operand 1/));
  assert.throws(() => einsum('ii', a), is(ShapeError, /'i' has size 2 in one place and 3 in operand 0/));
  assert.throws(() => einsum('ii', zeros([1, 3])), is(ShapeError, /the repeated subscript 'i' spans dims of different sizes in shape \[1,3\]/));
  assert.throws(() => einsum('.i', a), is(ValueError, /'\.' may only appear as one '\.\.\.'/));
  assert.throws(() => einsum('ij', tensor([[1]], { dtype: 'int32' })), is(DTypeError, /einsum: expected floating tensors/));
  assert.throws(() => einsum('ij'), is(ValueError, /needs at least one operand/));
});
