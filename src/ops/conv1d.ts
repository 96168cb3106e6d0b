import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { conv2d } from './conv.js';
import { concat, squeeze, unsqueeze } from './shape.js';
import { zeros } from '../tensor/creation.js';

/** Stride, padding ('same' too), dilation and groups of conv1d. @example conv1d(x, w, b, {padding: 'same'}) */
export interface Conv1dOptions {
  stride?: number;
  /** zeros added at both ends, or 'valid' (none) or 'same' (output length = input length; stride 1) */
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
}

/** Zero-pads the last dim unevenly (what 'same' needs for an even receptive field). */
function padLast(x: Tensor, before: number, after: number): Tensor {
  const block = (len: number): Tensor => zeros([...x.shape.slice(0, -1), len], { dtype: x.dtype });
  const parts = [before > 0 ? block(before) : null, x, after > 0 ? block(after) : null].filter((t): t is Tensor => t !== null);
  return parts.length === 1 ? x : concat(parts, -1);
}

/**
 * 1-D convolution over [N, C, L] input (or unbatched [C, L]) with a [cOut, cIn/groups, k]
 * weight, as torch.nn.functional.conv1d: a conv2d over a height of 1.
 * @example conv1d(x, weight, bias, {padding: 'same'})
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  if (x.dtype === 'int32' || weight.dtype === 'int32') throw new DTypeError(`conv1d: expected floating tensors, got ${x.dtype} and ${weight.dtype}`);
  if (x.shape.length !== 3 && x.shape.length !== 2) throw new ShapeError(`conv1d: expected input [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
  if (weight.shape.length !== 3) throw new ShapeError(`conv1d: weight must be 3-D [cOut, cIn/groups, k], got ${fmtShape(weight.shape)}`);
  const unbatched = x.shape.length === 2;
  let x3 = unbatched ? unsqueeze(x, 0) : x;
  const stride = opts.stride ?? 1, dilation = opts.dilation ?? 1;
  let padding: number;
  if (opts.padding === 'valid' || opts.padding === undefined) padding = 0;
  else if (opts.padding === 'same') {
    if (stride !== 1) throw new ValueError(`conv1d: padding 'same' needs stride 1, got stride ${stride}`);
    // PyTorch puts the odd element of an even total at the end
    const total = dilation * (weight.shape[2]! - 1);
    const before = Math.floor(total / 2);
    if (total % 2 === 0) padding = before;
    else {
      x3 = padLast(x3, before, total - before);
      padding = 0;
    }
  } else padding = opts.padding;
  if (typeof padding !== 'number') throw new ValueError(`conv1d: padding must be a number, 'valid' or 'same', got '${String(opts.padding)}'`);
  const y = conv2d(unsqueeze(x3, 2), unsqueeze(weight, 2), bias, {
    stride: [1, stride], padding: [0, padding], dilation: [1, dilation], groups: opts.groups ?? 1,
  });
  const out = squeeze(y, 2);
  return unbatched ? squeeze(out, 0) : out;
}
