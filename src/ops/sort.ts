import { apply } from '../autograd/engine.js';
import { ValueError, fmtShape } from '../errors.js';
import { normAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import { gatherOp } from './indexing.js';
import { reshape, sliceDim } from './shape.js';

// Sorting: one kernel (a stable argsort) gives the permutation; values are a gather at it, so
// their gradient is gather's (a scatter back to where each value came from).

/** The sorting permutation along one axis: int32, no gradient (so not in the op table). */
export const argsortOp = defineOp<{ axis: number; descending: boolean }>({
  name: 'argsort',
  forward: (b, [x], { axis, descending }) => {
    const out = b.alloc('int32', x!.size);
    b.argsort(x!.storage, x!.shape, axis, descending, out);
    return { storage: out, shape: x!.shape };
  },
  backward: () => [null],
});

/** Sorted values and where each came from (the result of sort and topk). @example const { values, indices } = sort(x) */
export interface SortResult {
  values: Tensor;
  /** int32 positions along the sorted dim */
  indices: Tensor;
}

function along(name: string, x: Tensor, dim: number): { t: Tensor; axis: number; scalar: boolean } {
  // a 0-d tensor sorts as one element along dim 0 (or −1), as in PyTorch
  if (x.shape.length === 0) return { t: reshape(x, [1]), axis: normAxis(name, dim, 1), scalar: true };
  return { t: x, axis: normAxis(name, dim, x.shape.length), scalar: false };
}

function permutation(x: Tensor, axis: number, descending: boolean): Tensor {
  return apply(argsortOp, [x.detach()], { axis, descending });
}

/**
 * The positions that sort x along `dim` (default last), as int32. Stable: equal elements keep
 * their order, also when descending. NaN sorts above every number, as in PyTorch.
 * @example argsort(tensor([3, 1, 2])) // [1, 2, 0]
 */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  const { t, axis, scalar } = along('argsort', x, dim);
  const idx = permutation(t, axis, descending);
  return scalar ? reshape(idx, []) : idx;
}

/**
 * Sorts along `dim` (default last), stably; returns the values and their original positions, as
 * torch.sort(stable=True). The gradient flows back to where each value came from.
 * @example const { values, indices } = sort(tensor([3, 1, 2]), 0, true) // [3, 2, 1], [0, 2, 1]
 */
export function sort(x: Tensor, dim = -1, descending = false): SortResult {
  const { t, axis, scalar } = along('sort', x, dim);
  const indices = permutation(t, axis, descending);
  const values = apply(gatherOp, [t, indices], { axis });
  return scalar ? { values: reshape(values, []), indices: reshape(indices, []) } : { values, indices };
}

/**
 * The k largest (or, with largest = false, smallest) elements along `dim` (default last), in
 * order, with their positions, as torch.topk. Ties keep their original order.
 * @example topk(tensor([1, 5, 3, 4]), 2) // values [5, 4], indices [1, 3]
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): SortResult {
  void sorted; // the k results always come in order, which torch.topk's sorted=True asks for
  const { t, axis, scalar } = along('topk', x, dim);
  const n = t.shape[axis]!;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new ValueError(`topk: k must be an integer in 0..${n} (the size of dim ${axis} of ${fmtShape(x.shape)}), got ${k}`);
  const indices = sliceDim(permutation(t, axis, largest), axis, 0, k);
  const values = apply(gatherOp, [t, indices], { axis });
  return scalar ? { values: reshape(values, []), indices: reshape(indices, []) } : { values, indices };
}
