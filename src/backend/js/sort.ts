import type { Shape, TypedArray } from '../backend.js';
import { splitAt } from './layout.js';

/** Sorting kernels of the reference backend: a stable argsort along one axis. */

export function argsort(x: TypedArray, shape: Shape, axis: number, descending: boolean, out: TypedArray): void {
  if (x.length === 0) return;
  const [outer, n, inner] = splitAt(shape, axis);
  const keys = new Float64Array(n);
  const order = new Int32Array(n);
  // NaN sorts above every number (PyTorch's order); ties fall back to the position, which makes
  // the sort stable whatever Array.prototype.sort guarantees for typed arrays
  const sign = descending ? -1 : 1;
  const cmp = (i: number, j: number): number => sign * compareKeys(keys[i]!, keys[j]!) || i - j;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      for (let r = 0; r < n; r++) {
        keys[r] = x[base + r * inner]!;
        order[r] = r;
      }
      order.sort(cmp);
      for (let r = 0; r < n; r++) out[base + r * inner] = order[r]!;
    }
  }
}

/** −1, 0 or 1 as a sorts before, with or after b ascending; NaN after every number, NaNs equal. */
function compareKeys(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = a !== a, bn = b !== b;
  if (an === bn) return 0;
  return an ? 1 : -1;
}
