import test from 'node:test';
import assert from 'node:assert/strict';
import { arange, Generator, gradcheck, randn, ShapeError, ValueError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose, f64 } from './helpers.js';

const g = new Generator(4);
const grid = (n: number): ReturnType<typeof arange> => arange(1, n * n + 1, 1, { dtype: 'float64' }).reshape([1, 1, n, n]);

test('MaxPool2d and AvgPool2d on a 4×4 grid by hand', () => {
  const x = grid(4);
  assertClose(new nn.MaxPool2d(2).forward(x), [6, 8, 14, 16]);
  assertClose(new nn.AvgPool2d(2).forward(x), [3.5, 5.5, 11.5, 13.5]);
  assertClose(nn.F.maxPool2d(x, 3, { stride: 1 }), [11, 12, 15, 16]);
  assertClose(nn.F.maxPool2d(x, 2, { stride: 1, dilation: 2 }), [11, 12, 15, 16]);
  assert.deepEqual(new nn.MaxPool2d(2).forward(randn([3, 4, 4])).shape, [3, 2, 2], 'unbatched');
});

test('padding: max pooling pads with −∞, average pooling counts the pad by default', () => {
  const x = grid(3);
  assertClose(nn.F.maxPool2d(x, 2, { padding: 1 }), [1, 3, 7, 9]);
  assertClose(nn.F.maxPool2d(x.neg(), 2, { padding: 1 }), [-1, -2, -4, -5]);
  assertClose(nn.F.avgPool2d(x, 2, { padding: 1 }), [1 / 4, 5 / 4, 11 / 4, 28 / 4]);
  assertClose(nn.F.avgPool2d(x, 2, { padding: 1, countIncludePad: false }), [1, 2.5, 5.5, 7]);
});

test('gradcheck: pooling layers', () => {
  const x = (): ReturnType<typeof randn> => randn([2, 2, 5, 4], { generator: g });
  assert.equal(gradcheck((t) => new nn.MaxPool2d(2).forward(t!), [x()]).passed, true);
  assert.equal(gradcheck((t) => nn.F.maxPool2d(t!, [3, 2], { stride: [2, 1], padding: 1 }), [x()]).passed, true);
  assert.equal(gradcheck((t) => new nn.AvgPool2d(2, { padding: 1 }).forward(t!), [x()]).passed, true);
  assert.equal(gradcheck((t) => nn.F.avgPool2d(t!, 3, { stride: 1, padding: 1, countIncludePad: false }), [x()]).passed, true);
});

test('max pooling sends the gradient to the window maximum', () => {
  const x = f64([[[[1, 5], [3, 2]]]], true);
  nn.F.maxPool2d(x, 2).sum().backward();
  assertClose(x.grad!, [0, 1, 0, 0]);
});

test('pooling rejects bad shapes and oversized padding', () => {
  assert.throws(() => new nn.MaxPool2d(2).forward(randn([4, 4])), (e: unknown) => e instanceof ShapeError && /MaxPool2d\(2x2\): expected input \[N, C, H, W\], got \[4,4\]/.test(e.message));
  assert.throws(() => nn.F.avgPool2d(randn([1, 1, 4, 4]), 2, { padding: 2 }), ValueError);
  assert.throws(() => nn.F.maxPool2d(randn([1, 1, 2, 2]), 3), ShapeError);
});
