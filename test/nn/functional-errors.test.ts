import test from 'node:test';
import assert from 'node:assert/strict';
import { randn, tensor, zeros, DTypeError, ShapeError, ValueError } from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import * as nn from '../../src/nn/index.js';

const throwsWith = (fn: () => unknown, kind: new (...a: never[]) => Error, pattern: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof kind && pattern.test((e as Error).message), String(pattern));
};

test('pad names its mistakes', () => {
  const x = randn([1, 2, 3]);
  throwsWith(() => F.pad(x, [1]), ValueError, /pad: padding must have an even length/);
  throwsWith(() => F.pad(x, [1, 1, 1, 1, 1, 1, 1, 1]), ShapeError, /pad: 4 dims of padding for a tensor of rank 3/);
  throwsWith(() => F.pad(x, [3, 0], { mode: 'reflect' }), ValueError, /reflect padding \(3, 0\) must be smaller than the size 3 of dim 2/);
  throwsWith(() => F.pad(x, [-1, 0], { mode: 'replicate' }), ValueError, /replicate padding must be non-negative/);
  throwsWith(() => F.pad(x, [1, 1], { mode: 'edge' as F.PadMode }), ValueError, /mode must be 'constant', 'reflect', 'replicate' or 'circular'/);
  throwsWith(() => F.pad(x, [1, 1], { mode: 'reflect', value: 2 }), ValueError, /a fill value only applies to mode 'constant'/);
  assert.deepEqual(F.pad(x, [-1, -1]).shape, [1, 2, 1]);
});

test('oneHot, normalize, cosineSimilarity name their mistakes', () => {
  throwsWith(() => F.oneHot(tensor([0.5])), DTypeError, /oneHot: indices must be int32/);
  throwsWith(() => F.oneHot(tensor([0, 4], { dtype: 'int32' }), 3), ValueError, /class index 4 is out of range for 3 classes/);
  throwsWith(() => F.oneHot(tensor([-1], { dtype: 'int32' })), ValueError, /class index -1 \(at flat index 0\) is negative/);
  throwsWith(() => F.normalize(randn([2, 3]), { p: 0 }), ValueError, /normalize: p must be positive/);
  throwsWith(() => F.cosineSimilarity(randn([2, 3]), randn([2, 4])), ShapeError, /cosineSimilarity: shapes \[2,3\] and \[2,4\] cannot be broadcast/);
  throwsWith(() => F.cosineSimilarity(randn([2, 3]).int(), randn([2, 3])), DTypeError, /expected floating tensors/);
});

test('convolutions name their mistakes', () => {
  throwsWith(() => F.conv1d(randn([1, 2, 5]), randn([3, 2, 2]), null, { padding: 'same', stride: 2 }), ValueError, /conv1d: padding 'same' needs stride 1/);
  throwsWith(() => F.conv1d(randn([1, 2, 5, 1]), randn([3, 2, 2])), ShapeError, /conv1d: expected input \[N, C, L\] or \[C, L\]/);
  throwsWith(() => F.convTranspose2d(randn([1, 2, 3, 3]), randn([3, 1, 2, 2])), ShapeError, /weight \[3,1,2,2\] expects 3 input channels but the input \[1,2,3,3\] has 2/);
  throwsWith(() => F.convTranspose2d(randn([1, 2, 3, 3]), randn([2, 1, 2, 2]), null, { stride: 2, outputPadding: 2 }), ValueError, /outputPadding \(2, 2\) must be smaller than either stride/);
  throwsWith(() => F.convTranspose2d(randn([1, 2, 3, 3]), randn([2, 1, 2, 2]), randn([2])), ShapeError, /bias must have shape \[1\]/);
  throwsWith(() => new nn.ConvTranspose2d(3, 4, 2, { groups: 2 }), ValueError, /must both be divisible by groups 2/);
  throwsWith(() => new nn.Conv1d(2, 4, 3).forward(randn([1, 3, 8])), ShapeError, /Conv1d\(2→4, 3\): expected input \[N, 2, L\], got \[1,3,8\]/);
});

test('pooling, normalization and interpolation name their mistakes', () => {
  throwsWith(() => F.adaptiveAvgPool2d(randn([2, 3]), 1), ShapeError, /adaptiveAvgPool2d: expected input \[N, C, H, W\] or \[C, H, W\]/);
  throwsWith(() => F.adaptiveAvgPool2d(randn([1, 2, 3]), 0), ValueError, /output sizes must be positive integers/);
  throwsWith(() => F.groupNorm(randn([2, 6, 3]), 4), ValueError, /the 6 channels of input \[2,6,3\] must split evenly into numGroups 4/);
  throwsWith(() => F.groupNorm(randn([2, 6]), 3, { weight: zeros([3]) }), ShapeError, /groupNorm: weight must have shape \[6\]/);
  throwsWith(() => new nn.GroupNorm(4, 6), ValueError, /numChannels 6 must be divisible by numGroups 4/);
  const img = randn([1, 1, 2, 2]);
  throwsWith(() => F.interpolate(img, { size: 4, scaleFactor: 2 }), ValueError, /give exactly one of size and scaleFactor/);
  throwsWith(() => F.interpolate(img, { size: 4, mode: 'linear' }), ShapeError, /mode 'linear' needs 3-D \[N, C, L\] input/);
  throwsWith(() => F.interpolate(img, { size: 4, alignCorners: true }), ValueError, /alignCorners only applies to the linear modes/);
  throwsWith(() => F.interpolate(img, { size: [4, 4, 4] }), ValueError, /size has 3 values for 2 spatial dims/);
  throwsWith(() => F.interpolate(randn([2, 2]), { size: 4 }), ShapeError, /expected input \[N, C, L\] or \[N, C, H, W\]/);
});

test('the new losses name their mistakes', () => {
  const a = randn([2, 3]);
  throwsWith(() => F.smoothL1Loss(a, randn([3, 2])), ShapeError, /smoothL1Loss: input \[2,3\] and target \[3,2\] must have the same shape/);
  throwsWith(() => F.smoothL1Loss(a, a, { beta: -1 }), ValueError, /beta must be non-negative/);
  throwsWith(() => F.huberLoss(a, a, { delta: 0 }), ValueError, /delta must be positive/);
  throwsWith(() => F.klDiv(a, a, { reduction: 'avg' as 'mean' }), ValueError, /klDiv: reduction must be 'mean', 'sum' or 'none'/);
});

test('loss modules keep their weights as buffers under PyTorch\'s names', () => {
  assert.deepEqual(Object.keys(new nn.CrossEntropyLoss({ weight: tensor([1, 2, 3]) }).stateDict()), ['weight']);
  assert.deepEqual(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: tensor([1, 2]) }).stateDict()), ['pos_weight']);
  assert.deepEqual(Object.keys(new nn.MSELoss().stateDict()), []);
  assert.equal(String(new nn.SmoothL1Loss({ beta: 0.5 })), 'SmoothL1Loss(beta=0.5)');
  const y = tensor([0, 2], { dtype: 'int32' });
  const z = randn([2, 3]);
  assert.equal(new nn.CrossEntropyLoss().call(z, y).item(), F.crossEntropy(z, y).item());
});
