import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { tensor } from '../../src/tensor/creation.js';
import type { NestedArray } from '../../src/tensor/tensor.js';

/** A float64 tensor from nested arrays. */
export const f64 = (v: NestedArray | number[], requiresGrad = false): Tensor => tensor(v as number[], { dtype: 'float64', requiresGrad });

/** Elementwise |actual − expected| ≤ tol. */
export function assertClose(actual: Tensor | ArrayLike<number> | number, expected: ArrayLike<number> | number, tol = 1e-6, what = ''): void {
  const a = typeof actual === 'number' ? [actual] : actual instanceof Tensor ? Array.from(actual.data) : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what} length ${a.length} vs ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - e[i]!) <= tol, `${what} element ${i}: ${a[i]} vs expected ${e[i]} (tol ${tol})`);
  }
}

export function meanStd(d: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < d.length; i++) { s += d[i]!; min = Math.min(min, d[i]!); max = Math.max(max, d[i]!); }
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / d.length), min, max };
}
