import test from 'node:test';
import assert from 'node:assert/strict';
import {
  ShapeError, ValueError, tensor, zeros, arange, repeat, tile, repeatInterleave, flip, roll, chunk, unbind, narrow, movedim,
  diag, diagonal, trace, bmm, outer, dot,
} from '../../src/index.js';

const is = (cls: Function, re: RegExp) => (e: unknown): boolean => e instanceof cls && re.test((e as Error).message);
const x = arange(6).reshape([2, 3]);

test('repeat, tile, repeatInterleave: PyTorch layouts, zero counts, a CPU int32 counts tensor', () => {
  assert.deepEqual(repeat(tensor([1, 2]), [2, 2]).toArray(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
  assert.deepEqual(x.repeat([1, 0]).shape, [2, 0]);
  assert.deepEqual(tile(x, [2]).toArray(), [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
  assert.deepEqual(tile(tensor([1, 2]), [2, 1]).toArray(), [[1, 2], [1, 2]]);
  assert.deepEqual(repeatInterleave(x, 2).toArray(), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  assert.deepEqual(x.repeatInterleave(tensor([1, 0, 2], { dtype: 'int32' }), 1).toArray(), [[0, 2, 2], [3, 5, 5]]);
  assert.throws(() => repeat(x, [2]), is(ShapeError, /repeat: got 1 repeat counts for a tensor of rank 2/));
  assert.throws(() => repeat(x, [1, -1]), is(ValueError, /repeat: repeats must be non-negative integers/));
  assert.throws(() => repeatInterleave(x, [1, 2], 1), is(ShapeError, /repeatInterleave: got 2 repeat counts for dim 1 of size 3/));
});

test('flip, roll, chunk, unbind, narrow, movedim', () => {
  assert.deepEqual(flip(x, [0, 1]).toArray(), [[5, 4, 3], [2, 1, 0]]);
  assert.equal(flip(tensor([[1]]), 0).toArray().toString(), '1');
  assert.throws(() => flip(x, [0, -2]), is(ValueError, /flip: dims \[0,-2\] repeat a dimension/));
  assert.deepEqual(roll(x, -1, 1).toArray(), [[1, 2, 0], [4, 5, 3]]);
  assert.deepEqual(roll(x, 7).toArray(), [[5, 0, 1], [2, 3, 4]]);
  assert.throws(() => roll(x, [1, 2]), is(ValueError, /roll: without dims, shifts must be one number/));
  assert.throws(() => roll(x, [1], [0, 1]), is(ValueError, /roll: shifts \[1\] and dims \[0,1\] must have the same length/));
  assert.deepEqual(chunk(arange(6), 4).map((t) => t.toArray()), [[0, 1], [2, 3], [4, 5]]);
  assert.equal(chunk(zeros([0]), 3).length, 3);
  assert.throws(() => chunk(x, 0), is(ValueError, /chunk: chunks must be a positive integer/));
  assert.deepEqual(unbind(x, 1).map((t) => t.toArray()), [[0, 3], [1, 4], [2, 5]]);
  assert.throws(() => unbind(tensor(1)), is(ShapeError, /unbind: a 0-d tensor has no dim/));
  assert.deepEqual(narrow(x, 1, -2, 2).toArray(), [[1, 2], [4, 5]]);
  assert.throws(() => narrow(x, 1, 2, 2), is(ValueError, /narrow: start 2 \+ length 2 exceeds dim 1 of size 3/));
  assert.throws(() => narrow(x, 1, 4, 0), is(ValueError, /narrow: start 4 is out of range for dim 1 of size 3/));
  assert.deepEqual(movedim(zeros([2, 3, 4]), [0, 1], [2, 0]).shape, [3, 4, 2]);
  assert.deepEqual(x.movedim(0, 1).toArray(), x.transpose().toArray());
  assert.throws(() => movedim(x, [0, 1], [1]), is(ValueError, /movedim: source \[0,1\] and destination \[1\]/));
  assert.throws(() => movedim(x, [0, 0], [0, 1]), is(ValueError, /movedim: source \[0,0\] repeats a dim/));
});

test('diag, diagonal, trace, bmm, outer, dot: shapes and typed errors', () => {
  assert.deepEqual(diag(tensor([1, 2]), -1).toArray(), [[0, 0, 0], [1, 0, 0], [0, 2, 0]]);
  assert.deepEqual(diag(x, 1).toArray(), [1, 5]);
  assert.deepEqual(diag(x, 5).shape, [0]);
  assert.deepEqual(diagonal(arange(8).reshape([2, 2, 2]), 0, 1, 2).toArray(), [[0, 3], [4, 7]]);
  assert.throws(() => diagonal(x, 0, 1, -1), is(ValueError, /diagonal: dim1 and dim2 must differ/));
  assert.throws(() => diag(zeros([2, 2, 2])), is(ShapeError, /diag: expected a 1-D or 2-D tensor/));
  assert.equal(trace(x).item(), 4);
  assert.throws(() => trace(zeros([2])), is(ShapeError, /trace: expected a 2-D tensor/));
  assert.throws(() => bmm(zeros([2, 2]), zeros([2, 2])), is(ShapeError, /bmm: expected two 3-D tensors/));
  assert.throws(() => bmm(zeros([2, 2, 2]), zeros([3, 2, 2])), is(ShapeError, /bmm: batch sizes differ/));
  assert.deepEqual(outer(tensor([1, 2]), tensor([1, 10])).toArray(), [[1, 10], [2, 20]]);
  assert.throws(() => outer(x, tensor([1])), is(ShapeError, /outer: expected the first argument to be 1-D/));
  assert.equal(dot(tensor([1, 2]), tensor([3, 4])).item(), 11);
  assert.throws(() => dot(tensor([1, 2]), tensor([3])), is(ShapeError, /dot: vectors of different lengths/));
});
