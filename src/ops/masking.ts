import type { Device } from '../backend/backend.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { arange } from '../tensor/creation.js';
import { broadcastShapes, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast, compare, sub, where } from './elementwise.js';
import { reshape } from './shape.js';

// Compositions of compare and where: their gradient is where's (zero at the masked entries).

/**
 * 1 where (column − row) passes `keep` against `diagonal`, else 0: an int32 [rows, cols] mask,
 * built on `device` so that a GPU input never waits on a host-side mask.
 */
function triangleMask(rows: number, cols: number, diagonal: number, keep: 'le' | 'ge', device: Device): Tensor {
  const r = reshape(arange(0, rows, 1, { dtype: 'int32', device }), [rows, 1]);
  const c = reshape(arange(0, cols, 1, { dtype: 'int32', device }), [1, cols]);
  return compare(keep, sub(c, r), diagonal);
}

function triangle(op: string, x: Tensor, diagonal: number, keep: 'le' | 'ge'): Tensor {
  if (x.shape.length < 2) throw new ShapeError(`${op}: expected a tensor with at least 2 dims (a matrix or a batch of them), got ${fmtShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new ShapeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  return where(triangleMask(rows, cols, diagonal, keep, x.device), x, Tensor.scalar(0, x.dtype));
}

/**
 * The lower triangle of the last two dims: entries with column − row ≤ diagonal are kept, the
 * rest are zero, as torch.tril.
 * @example tril(ones([3, 3])) // [[1,0,0],[1,1,0],[1,1,1]]
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal, 'le');
}

/**
 * The upper triangle of the last two dims: entries with column − row ≥ diagonal are kept, the
 * rest are zero, as torch.triu.
 * @example triu(ones([3, 3]), 1) // [[0,1,1],[0,0,1],[0,0,0]]
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal, 'ge');
}

/**
 * `value` where mask is non-zero (true), x elsewhere, as torch.masked_fill. The mask (int32 0/1
 * stands for bool) broadcasts to x's shape; value (a number or a 0-d tensor, which then gets the
 * gradient of the filled entries) is cast to x's dtype.
 * @example maskedFill(scores, triu(ones([t, t], {dtype: 'int32'}), 1), -Infinity)
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (mask.dtype !== 'int32') throw new DTypeError(`maskedFill: mask must be an int32 (boolean) tensor, got ${mask.dtype}; build one with a comparison such as x.gt(0)`);
  if (!sameShape(broadcastShapes('maskedFill', x.shape, mask.shape), x.shape)) {
    throw new ShapeError(`maskedFill: mask ${fmtShape(mask.shape)} must broadcast to the input's shape ${fmtShape(x.shape)}`);
  }
  if (value instanceof Tensor) {
    if (value.shape.length !== 0) throw new ShapeError(`maskedFill: a tensor value must be 0-d, got shape ${fmtShape(value.shape)}`);
    return where(mask, cast(value, x.dtype), x);
  }
  if (typeof value !== 'number') throw new DTypeError(`maskedFill: value must be a number or a 0-d Tensor, got ${typeof value}`);
  return where(mask, Tensor.scalar(value, x.dtype), x);
}
