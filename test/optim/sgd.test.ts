import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SGD } from '../../src/optim/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { ValueError } from '../../src/errors.js';
import { assertClose, param, setGrad } from './helpers.js';

test('SGD without momentum: θ ← θ − lr·g', () => {
  const p = param([1, -2]);
  const opt = new SGD([p], { lr: 0.1 });
  setGrad(p, [0.5, 1]);
  opt.step();
  assertClose(p.data, [1 - 0.1 * 0.5, -2 - 0.1 * 1]); // [0.95, -2.1]
  setGrad(p, [-1, 2]);
  opt.step();
  assertClose(p.data, [0.95 + 0.1 * 1, -2.1 - 0.1 * 2]); // [1.05, -2.3]
});

test('SGD with momentum and dampening: the first step seeds the buffer with g', () => {
  const p = param([1, -2]);
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
  setGrad(p, [0.5, 1]);
  opt.step();
  // b1 = g1 = [0.5, 1]
  assertClose(p.data, [0.95, -2.1]);
  setGrad(p, [-1, 2]);
  opt.step();
  // b2 = 0.9·[0.5, 1] + 0.5·[-1, 2] = [-0.05, 1.9]
  assertClose(p.data, [0.95 + 0.1 * 0.05, -2.1 - 0.1 * 1.9]); // [0.955, -2.29]
  setGrad(p, [0.25, -0.5]);
  opt.step();
  // b3 = 0.9·[-0.05, 1.9] + 0.5·[0.25, -0.5] = [0.08, 1.46]
  assertClose(p.data, [0.955 - 0.1 * 0.08, -2.29 - 0.1 * 1.46]); // [0.947, -2.436]
});

test('SGD with Nesterov momentum and weight decay', () => {
  const p = param([1, -2]);
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 });
  setGrad(p, [0.5, 1]);
  opt.step();
  // g = [0.5 + 0.1·1, 1 + 0.1·(-2)] = [0.6, 0.8]; b = g; step = g + 0.9·b = [1.14, 1.52]
  assertClose(p.data, [1 - 0.114, -2 - 0.152]); // [0.886, -2.152]
  setGrad(p, [-1, 2]);
  opt.step();
  // g = [-1 + 0.0886, 2 − 0.2152] = [-0.9114, 1.7848]
  // b = 0.9·[0.6, 0.8] + g = [-0.3714, 2.5048]; step = g + 0.9·b = [-1.24566, 4.03912]
  assertClose(p.data, [0.886 + 0.124566, -2.152 - 0.403912]); // [1.010566, -2.555912]
});

test('SGD maximize ascends', () => {
  const p = param([1, -2]);
  const opt = new SGD([p], { lr: 0.1, maximize: true });
  setGrad(p, [0.5, 1]);
  opt.step();
  assertClose(p.data, [1.05, -1.9]);
});

test('SGD updates float32 parameters with float64 arithmetic, rounding once per step', () => {
  const p = tensor([1, -2], { requiresGrad: true });
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
  p.grad = tensor([0.3, 0.7]);
  opt.step();
  const g0 = Math.fround(0.3);
  const g1 = Math.fround(0.7);
  assert.deepEqual(Array.from(p.data), [Math.fround(1 - 0.1 * g0), Math.fround(-2 - 0.1 * g1)]);
});

test('SGD skips parameters without a gradient and validates options', () => {
  const a = param([1, 2]);
  const b = param([3, 4]);
  const opt = new SGD([a, b], { lr: 1, momentum: 0.5 });
  setGrad(a, [1, 1]);
  opt.step();
  assert.deepEqual(Array.from(a.data), [0, 1]);
  assert.deepEqual(Array.from(b.data), [3, 4]);
  assert.equal(opt.state.has(b), false);
  assert.throws(() => new SGD([a], { lr: 0.1, nesterov: true }), ValueError);
  assert.throws(() => new SGD([a], { lr: -1 }), ValueError);
  assert.throws(() => new SGD([], { lr: 0.1 }), ValueError);
  assert.throws(() => new SGD([a, a], { lr: 0.1 }), ValueError);
});
