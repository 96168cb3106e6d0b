import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A float64 parameter, so expected values computed in JS numbers compare tightly. */
export function param(values: number[]): Tensor {
  return tensor(values, { dtype: 'float64', requiresGrad: true });
}

export function setGrad(p: Tensor, g: number[]): void {
  p.grad = tensor(g, { dtype: p.dtype });
}

export function assertClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `element ${i}: got ${a}, expected ${e}`);
  }
}
