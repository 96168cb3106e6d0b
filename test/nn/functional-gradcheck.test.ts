import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, gradcheck, rand, randn, tensor, type Tensor, tril, triu, maskedFill, ones } from '../../src/index.js';
import * as F from '../../src/nn/functional.js';

/**
 * Finite-difference checks (float64) of the nn.functional compositions: they have no backward
 * rule of their own, so these confirm that the primitives they are built from compose into the
 * right gradient, including at the corners (padding copies, masks, clamps).
 */
const g = new Generator(11);
const r = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', generator: g });
const int = (v: number[][] | number[]): Tensor => tensor(v, { dtype: 'int32' });

const check = (name: string, fn: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[]): void => {
  test(`gradcheck: ${name}`, () => {
    assert.equal(gradcheck(fn, inputs()).passed, true);
  });
};

check('pad constant with a crop', (x) => F.pad(x!, [1, -1, 2, 0], { value: 0.5 }), () => [r([2, 3, 4])]);
check('pad reflect', (x) => F.pad(x!, [2, 1, 1, 2], { mode: 'reflect' }), () => [r([1, 2, 3, 4])]);
check('pad replicate', (x) => F.pad(x!, [3, 1], { mode: 'replicate' }), () => [r([2, 3])]);
check('pad circular', (x) => F.pad(x!, [2, 2, 1, 0], { mode: 'circular' }), () => [r([1, 3, 3])]);
check('normalize p=2, p=1, p=3', (x) => F.normalize(x!).add(F.normalize(x!, { p: 1, dim: 0 })).add(F.normalize(x!, { p: 3, dim: -1 })), () => [r([3, 4])]);
check('cosineSimilarity with broadcasting', (a, b) => F.cosineSimilarity(a!, b!, { dim: -1 }), () => [r([3, 1, 4]), r([2, 4])]);
// below eps the clamp is part of the function, and its derivative is what backprop returns
check('cosineSimilarity where a norm is clamped at eps', (a, b) => F.cosineSimilarity(a!, b!, { eps: 0.5 }), () => [r([2, 3]).mul(0.1), r([2, 3])]);
check('conv1d: stride, padding, dilation, groups', (x, w, b) => F.conv1d(x!, w!, b, { stride: 2, padding: 1, dilation: 2, groups: 2 }), () => [r([2, 4, 7]), r([4, 2, 3]), r([4])]);
check("conv1d: padding 'same' with an even kernel", (x, w) => F.conv1d(x!, w!, null, { padding: 'same' }), () => [r([1, 2, 5]), r([3, 2, 4])]);
check('convTranspose2d: stride, padding, outputPadding, groups, dilation', (x, w, b) => F.convTranspose2d(x!, w!, b, { stride: [2, 1], padding: 1, outputPadding: [1, 0], groups: 2, dilation: [1, 2] }),
  () => [r([1, 4, 3, 3]), r([4, 1, 3, 2]), r([2])]);
check('adaptiveAvgPool2d with overlapping bins', (x) => F.adaptiveAvgPool2d(x!, [3, 2]), () => [r([2, 2, 5, 3])]);
check('groupNorm with weight and bias', (x, w, b) => F.groupNorm(x!, 2, { weight: w, bias: b }), () => [r([2, 4, 3]), r([4]), r([4])]);
check('interpolate nearest', (x) => F.interpolate(x!, { scaleFactor: 1.5 }), () => [r([1, 2, 3, 4])]);
check('interpolate bilinear', (x) => F.interpolate(x!, { size: [4, 7], mode: 'bilinear' }), () => [r([1, 2, 3, 4])]);
check('interpolate bilinear alignCorners, downsampling', (x) => F.interpolate(x!, { size: [2, 3], mode: 'bilinear', alignCorners: true }), () => [r([1, 1, 4, 5])]);
check('interpolate linear', (x) => F.interpolate(x!, { size: 7, mode: 'linear' }), () => [r([2, 1, 4])]);
check('dropout (a fixed mask)', (x) => F.dropout(x!, 0.4, { generator: new Generator(3) }), () => [r([4, 5])]);
check('scaledDotProductAttention with a bool mask', (q, k, v) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: int([[1, 0, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]]) }),
  () => [r([2, 3, 4]), r([2, 4, 4]), r([2, 4, 3])]);
check('scaledDotProductAttention causal, with dropout (a fixed mask)', (q, k, v) => F.scaledDotProductAttention(q!, k!, v!, { isCausal: true, dropoutP: 0.3, generator: new Generator(2) }),
  () => [r([3, 3]), r([3, 3]), r([3, 2])]);
check('scaledDotProductAttention with a float mask (differentiated too) and a scale', (q, k, v, m) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: m, scale: 0.7 }),
  () => [r([2, 2, 4]), r([2, 3, 4]), r([2, 3, 2]), r([2, 3])]);
check('smoothL1Loss', (a, b) => F.smoothL1Loss(a!, b!, { beta: 0.3, reduction: 'none' }), () => [r([3, 4]), r([3, 4])]);
check('huberLoss', (a, b) => F.huberLoss(a!, b!, { delta: 0.4 }), () => [r([3, 4]), r([3, 4])]);
check('klDiv, probabilities and log-probabilities', (i, t) => F.klDiv(i!, t!, { reduction: 'batchmean' }).add(F.klDiv(i!, t!.log(), { logTarget: true })),
  () => [r([3, 4]).logSoftmax(1), rand([3, 4], { dtype: 'float64', generator: g }).add(0.1)]);
check('tril, triu, maskedFill', (x) => tril(x!, -1).add(triu(x!, 1).mul(2)).add(maskedFill(x!, int([[1, 0, 0, 1]]), 3)), () => [r([2, 3, 4])]);

test('tril and triu keep the triangles of every matrix in a batch', () => {
  const x = ones([2, 3, 3]);
  assert.deepEqual(tril(x).toArray(), [[[1, 0, 0], [1, 1, 0], [1, 1, 1]], [[1, 0, 0], [1, 1, 0], [1, 1, 1]]]);
  assert.deepEqual(triu(ones([2, 4]), 1).toArray(), [[0, 1, 1, 1], [0, 0, 1, 1]]);
  assert.deepEqual(tril(ones([2, 4], { dtype: 'int32' }), 1).toArray(), [[1, 1, 0, 0], [1, 1, 1, 0]]);
  assert.deepEqual(maskedFill(tensor([[1, 2], [3, 4]]), int([0, 1]), -1).toArray(), [[1, -1], [3, -1]]);
});
