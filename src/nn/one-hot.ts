import { DTypeError, ValueError } from '../errors.js';
import { compare } from '../ops/elementwise.js';
import { unsqueeze } from '../ops/shape.js';
import { arange } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * One-hot encoding of int32 class indices: [...shape] → [...shape, numClasses] of 0/1 int32, as
 * torch.nn.functional.one_hot. numClasses −1 (the default) means the largest index + 1.
 * @example oneHot(tensor([0, 2], {dtype: 'int32'}), 3) // [[1,0,0],[0,0,1]]
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError(`oneHot: indices must be int32, got ${indices.dtype}; convert with .int()`);
  // indices are checked (and numClasses inferred) on the CPU; a GPU tensor needs numClasses
  if (indices.device !== 'cpu') {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new ValueError(`oneHot: numClasses must be given as a positive integer for a tensor on '${indices.device}' (reading its largest index would stall), got ${numClasses}`);
    return compare('eq', unsqueeze(indices, -1), arange(numClasses, undefined, 1, { dtype: 'int32', device: indices.device }));
  }
  const d = indices.data;
  let top = -1;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < 0) throw new ValueError(`oneHot: class index ${v} (at flat index ${i}) is negative`);
    if (v > top) top = v;
  }
  if (numClasses === -1) {
    if (d.length === 0) throw new ValueError('oneHot: cannot infer numClasses from an empty tensor; pass it');
    numClasses = top + 1;
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ValueError(`oneHot: numClasses must be a positive integer or -1, got ${numClasses}`);
  if (top >= numClasses) throw new ValueError(`oneHot: class index ${top} is out of range for ${numClasses} classes`);
  return compare('eq', unsqueeze(indices, -1), arange(numClasses, undefined, 1, { dtype: 'int32' }));
}
