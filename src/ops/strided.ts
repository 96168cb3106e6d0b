import { apply } from '../autograd/engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { normAxis, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp, type OpDef } from './op.js';
import { sum } from './reduce.js';

// Reads that pick each element at most once (flip, diagonals), as one strided kernel call, and
// their adjoints, which place a tensor back into zeros with the same strides.

export interface StridedAttrs {
  /** element offset and strides into the contiguous input */
  offset: number;
  strides: readonly number[];
  /** the shape of the strided view (the output of asStrided, the input of asStridedGrad) */
  viewShape: readonly number[];
}

/**
 * out = x read at offset + Σ i_d·strides_d, for strides that never visit an element twice
 * (flip's negative strides, a diagonal's summed ones). Its adjoint is asStridedGrad.
 */
export const asStridedOp: OpDef<StridedAttrs> = defineOp<StridedAttrs>({
  name: 'asStrided',
  forward: (b, [x], { offset, strides, viewShape }) => {
    const out = b.alloc(x!.dtype, sizeOf(viewShape));
    b.strided(x!.storage, offset, strides, out, viewShape);
    return { storage: out, shape: viewShape };
  },
  backward: (g, { inputs: [x], attrs }) => [apply(asStridedGradOp, [g], { ...attrs, shape: x!.shape })],
});

/** Places a strided view back into zeros of `shape` (distinct destinations): asStrided's adjoint. */
export const asStridedGradOp: OpDef<StridedAttrs & { shape: readonly number[] }> = defineOp<StridedAttrs & { shape: readonly number[] }>({
  name: 'asStridedGrad',
  forward: (b, [g], { offset, strides, viewShape, shape }) => {
    const out = b.alloc(g!.dtype, sizeOf(shape));
    b.stridedAdd(g!.storage, viewShape, out, offset, strides);
    return { storage: out, shape };
  },
  backward: (gg, { attrs: { offset, strides, viewShape } }) => [apply(asStridedOp, [gg], { offset, strides, viewShape })],
});

/**
 * Reverses the order of elements along each of `dims`, as torch.flip: one strided read with
 * negative strides.
 * @example flip(tensor([[1, 2], [3, 4]]), [1]) // [[2, 1], [4, 3]]
 */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const rank = x.shape.length;
  const list = typeof dims === 'number' ? [dims] : dims;
  const axes = list.map((d) => normAxis('flip', d, rank));
  if (new Set(axes).size !== axes.length) throw new ValueError(`flip: dims ${JSON.stringify(list)} repeat a dimension`);
  if (x.size === 0 || axes.every((a) => x.shape[a]! <= 1)) return x;
  const st = stridesOf(x.shape);
  let offset = 0;
  const strides = st.map((s, i) => {
    if (!axes.includes(i)) return s;
    offset += (x.shape[i]! - 1) * s;
    return -s;
  });
  return apply(asStridedOp, [x], { offset, strides, viewShape: x.shape });
}

/** Offset, length and stride of diagonal `offset` of the (dim1, dim2) plane of a contiguous shape. */
function diagonalLayout(shape: readonly number[], offset: number, a: number, b: number): { start: number; length: number; step: number } {
  const st = stridesOf(shape);
  const n1 = shape[a]!, n2 = shape[b]!;
  const length = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  const start = length === 0 ? 0 : offset >= 0 ? offset * st[b]! : -offset * st[a]!;
  return { start, length, step: st[a]! + st[b]! };
}

/**
 * The diagonal `offset` (0 main, > 0 above, < 0 below) of the planes spanned by dim1 and dim2,
 * as torch.diagonal: those dims are removed and the diagonal becomes the last dim.
 * @example diagonal(tensor([[1, 2], [3, 4]])) // [1, 4]
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const rank = x.shape.length;
  if (rank < 2) throw new ShapeError(`diagonal: expected at least 2 dims, got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(offset)) throw new ValueError(`diagonal: offset must be an integer, got ${offset}`);
  const a = normAxis('diagonal', dim1, rank), b = normAxis('diagonal', dim2, rank);
  if (a === b) throw new ValueError(`diagonal: dim1 and dim2 must differ, both are ${a}`);
  const { start, length, step } = diagonalLayout(x.shape, offset, a, b);
  const st = stridesOf(x.shape);
  const rest = x.shape.map((_, i) => i).filter((i) => i !== a && i !== b);
  const viewShape = [...rest.map((i) => x.shape[i]!), length];
  return apply(asStridedOp, [x], { offset: start, strides: [...rest.map((i) => st[i]!), step], viewShape });
}

/**
 * torch.diag: a 1-D x becomes a square matrix with x on diagonal `diagonal`; a 2-D x gives that
 * diagonal as a vector.
 * @example diag(tensor([1, 2])) // [[1, 0], [0, 2]]
 */
export function diag(x: Tensor, diagonalIndex = 0): Tensor {
  if (!Number.isInteger(diagonalIndex)) throw new ValueError(`diag: diagonal must be an integer, got ${diagonalIndex}`);
  if (x.shape.length === 2) return diagonal(x, diagonalIndex, 0, 1);
  if (x.shape.length !== 1) throw new ShapeError(`diag: expected a 1-D or 2-D tensor, got shape ${fmtShape(x.shape)}`);
  const n = x.shape[0]! + Math.abs(diagonalIndex);
  const shape = [n, n];
  const { start, step } = diagonalLayout(shape, diagonalIndex, 0, 1);
  return apply(asStridedGradOp, [x], { offset: start, strides: [step], viewShape: x.shape, shape });
}

/**
 * The sum of the main diagonal of a matrix, as torch.trace.
 * @example trace(tensor([[1, 2], [3, 4]])) // 5
 */
export function trace(x: Tensor): Tensor {
  if (x.shape.length !== 2) throw new ShapeError(`trace: expected a 2-D tensor (a matrix), got shape ${fmtShape(x.shape)}`);
  return sum(diagonal(x));
}

/** @internal for einsum: the diagonal over several equal dims at once, as a strided read */
export function stridedView(x: Tensor, offset: number, strides: readonly number[], viewShape: readonly number[]): Tensor {
  return apply(asStridedOp, [x], { offset, strides, viewShape });
}
