import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipGradNorm } from '../../src/optim/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { NumericsError } from '../../src/errors.js';
import { assertClose, param, setGrad } from './helpers.js';

test('clipGradNorm (2-norm) returns the total norm and rescales to maxNorm', () => {
  const a = param([0, 0]);
  const b = param([0]);
  setGrad(a, [3, 4]);
  setGrad(b, [12]);
  const norm = clipGradNorm([a, b], 6.5).item();
  assert.equal(norm, 13); // sqrt(9 + 16 + 144)
  const k = 6.5 / (13 + 1e-6);
  assertClose(a.grad!.data, [3 * k, 4 * k]);
  assertClose(b.grad!.data, [12 * k]);
});

test('clipGradNorm leaves small gradients alone; inf and 1 norms', () => {
  const a = param([0, 0]);
  const b = param([0]);
  setGrad(a, [3, -4]);
  setGrad(b, [-12]);
  assert.equal(clipGradNorm([a, b], 100).item(), 13);
  assert.deepEqual(Array.from(a.grad!.data), [3, -4]);
  assert.equal(clipGradNorm([a, b], 100, 1).item(), 19);
  assert.equal(clipGradNorm([a, b], 6, Infinity).item(), 12);
  assertClose(b.grad!.data, [(-12 * 6) / (12 + 1e-6)]);
});

test('clipGradNorm scales shared gradient storage once per parameter', () => {
  const a = param([0, 0]);
  const b = param([0, 0]);
  const g = tensor([3, 4], { dtype: 'float64' });
  a.grad = g;
  b.grad = g;
  const norm = clipGradNorm([a, b], 1).item();
  assertClose([norm], [Math.sqrt(50)]);
  const k = 1 / (Math.sqrt(50) + 1e-6);
  assertClose(a.grad.data, [3 * k, 4 * k]);
  assertClose(b.grad.data, [3 * k, 4 * k]);
  assertClose(g.data, [3, 4]);
});

test('clipGradNorm skips null grads and can refuse non-finite norms', () => {
  const a = param([0]);
  const b = param([0]);
  setGrad(a, [NaN]);
  assert.ok(Number.isNaN(clipGradNorm([a, b], 1).item()));
  assert.throws(() => clipGradNorm([a, b], 1, 2, { errorIfNonfinite: true }), NumericsError);
  setGrad(a, [Infinity]);
  assert.equal(clipGradNorm([a], 1, Infinity).item(), Infinity);
});
