import { apply } from '../autograd/engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { broadcastShapes, normAxis, sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp, type OpDef } from './op.js';
import { add, cast, mul } from './elementwise.js';
import { expand, reshape, slice } from './shape.js';

/**
 * Indices must be int32 and in range. On the CPU every index is checked here; a GPU index
 * tensor cannot be read without stalling, so there the kernels bounds-check instead (an
 * out-of-range index reads NaN / 0 and writes nothing).
 */
function checkIndex(op: string, index: Tensor, bound: number, axis: number): void {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: index must be an int32 tensor, got ${index.dtype}`);
  if (index.device !== 'cpu') return;
  const d = index.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < 0 || v >= bound) throw new ValueError(`${op}: index ${v} is out of range for dim ${axis} of size ${bound}`);
  }
}

export const indexSelectOp: OpDef<{ axis: number }> = defineOp<{ axis: number }>({
  name: 'indexSelect',
  forward: (b, [x, index], { axis }) => {
    const shape = [...x!.shape];
    shape[axis] = index!.size;
    const out = b.alloc(x!.dtype, sizeOf(shape));
    b.indexSelect(x!.storage, x!.shape, axis, index!.storage, out);
    return { storage: out, shape };
  },
  backward: (g, { inputs: [x, index], attrs: { axis } }) => [apply(indexAddOp, [g, index!], { axis, shape: x!.shape }), null],
});

/** Adds rows of g into zeros at `index` along axis: the adjoint of indexSelect. */
export const indexAddOp: OpDef<{ axis: number; shape: readonly number[] }> = defineOp<{ axis: number; shape: readonly number[] }>({
  name: 'indexAdd',
  forward: (b, [g, index], { axis, shape }) => {
    const out = b.alloc(g!.dtype, sizeOf(shape));
    b.indexAdd(g!.storage, axis, index!.storage, out, shape);
    return { storage: out, shape };
  },
  backward: (gg, { inputs: [, index], attrs: { axis } }) => [apply(indexSelectOp, [gg, index!], { axis }), null],
});

export const gatherOp: OpDef<{ axis: number }> = defineOp<{ axis: number }>({
  name: 'gather',
  forward: (b, [x, index], { axis }) => {
    const out = b.alloc(x!.dtype, index!.size);
    b.gather(x!.storage, x!.shape, axis, index!.storage, index!.shape, out);
    return { storage: out, shape: index!.shape };
  },
  backward: (g, { inputs: [x, index], attrs: { axis } }) => [apply(scatterAddOp, [g, index!], { axis, shape: x!.shape }), null],
});

/** Scatters g into zeros at `index` along axis, adding on collisions: the adjoint of gather. */
export const scatterAddOp: OpDef<{ axis: number; shape: readonly number[] }> = defineOp<{ axis: number; shape: readonly number[] }>({
  name: 'scatterAdd',
  forward: (b, [g, index], { axis, shape }) => {
    const out = b.alloc(g!.dtype, sizeOf(shape));
    b.scatterAdd(g!.storage, index!.shape, axis, index!.storage, out, shape);
    return { storage: out, shape };
  },
  backward: (gg, { inputs: [, index], attrs: { axis } }) => [apply(gatherOp, [gg, index!], { axis }), null],
});

/**
 * Picks entries along `dim` at the positions in a 1-D int32 `index`.
 * @example embeddings.indexSelect(0, tokenIds)
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const axis = normAxis('indexSelect', dim, x.shape.length);
  if (index.shape.length > 1) throw new ShapeError(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  checkIndex('indexSelect', index, x.shape[axis]!, axis);
  return apply(indexSelectOp, [x, index.shape.length === 0 ? index.reshape([1]) : index], { axis });
}

/**
 * torch.gather: out[i][j] = x[i][index[i][j]] for dim 1. index has x's rank; its size along
 * every other dim must not exceed x's.
 * @example gather(logProbs, 1, targets.unsqueeze(1)) // [N, 1]
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const rank = x.shape.length;
  const axis = normAxis('gather', dim, rank);
  if (index.shape.length !== rank) throw new ShapeError(`gather: index must have the same rank as the input (${rank}), got shape ${fmtShape(index.shape)} for input ${fmtShape(x.shape)}`);
  index.shape.forEach((d, i) => {
    if (i !== axis && d > x.shape[i]!) throw new ShapeError(`gather: index shape ${fmtShape(index.shape)} exceeds input shape ${fmtShape(x.shape)} at dim ${i}`);
  });
  checkIndex('gather', index, x.shape[axis]!, axis);
  return apply(gatherOp, [x, index], { axis });
}

/**
 * torch.scatter with a src tensor: x with src written at `index` along axis. The gradient of x
 * is g with the overwritten entries zeroed; that of src is g gathered at index (every duplicate
 * gets it, as in PyTorch).
 */
export const scatterOp: OpDef<{ axis: number }> = defineOp<{ axis: number }>({
  name: 'scatter',
  forward: (b, [x, index, src], { axis }) => {
    const out = b.alloc(x!.dtype, x!.size);
    b.unary('copy', x!.storage, out);
    b.scatter(src!.storage, index!.shape, axis, index!.storage, out, x!.shape);
    return { storage: out, shape: x!.shape };
  },
  backward: (g, { inputs: [x, index, src], attrs: { axis } }) => [
    x!.requiresGrad ? apply(scatterOp, [g, index!, Tensor.zerosOf(index!.shape, g.dtype, g.device)], { axis }) : null,
    null,
    src!.requiresGrad ? apply(gatherOp, [g, index!], { axis }) : null,
  ],
});

/**
 * The checks torch.scatter / scatter_add / gather make: index has x's rank, fits inside src
 * (when given) and inside x off the axis; its values are in range for x along the axis.
 */
function checkScatter(op: string, x: Tensor, axis: number, index: Tensor, src: Tensor | null): void {
  const rank = x.shape.length;
  if (index.shape.length !== rank) throw new ShapeError(`${op}: index must have the input's rank (${rank}), got shape ${fmtShape(index.shape)} for input ${fmtShape(x.shape)}`);
  if (src !== null && src.shape.length !== rank) throw new ShapeError(`${op}: src must have the input's rank (${rank}), got shape ${fmtShape(src.shape)}`);
  index.shape.forEach((d, i) => {
    if (src !== null && d > src.shape[i]!) throw new ShapeError(`${op}: index shape ${fmtShape(index.shape)} exceeds src shape ${fmtShape(src.shape)} at dim ${i}`);
    if (i !== axis && d > x.shape[i]!) throw new ShapeError(`${op}: index shape ${fmtShape(index.shape)} exceeds input shape ${fmtShape(x.shape)} at dim ${i}`);
  });
  checkIndex(op, index, x.shape[axis]!, axis);
}

/** src cut to the index's shape (torch uses only that corner of a larger src), in x's dtype. */
function srcFor(x: Tensor, index: Tensor, src: Tensor | number): Tensor {
  if (typeof src === 'number') return Tensor.filled(index.shape, x.dtype, src, x.device);
  const s = src.dtype === x.dtype ? src : cast(src, x.dtype);
  if (sameShape(s.shape, index.shape)) return s;
  return slice(s, index.shape.map((d) => ({ start: 0, stop: d })));
}

/**
 * Writes src (or a number) into a copy of x at `index` along `dim`, as torch.scatter: for dim 1,
 * out[i][index[i][j]] = src[i][j]. Where an index repeats, one of the writes wins.
 * @example scatter(zeros([2, 3]), 1, tensor([[2], [0]], {dtype: 'int32'}), 1) // [[0, 0, 1], [1, 0, 0]]
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  const axis = normAxis('scatter', dim, x.shape.length);
  checkScatter('scatter', x, axis, index, src instanceof Tensor ? src : null);
  return apply(scatterOp, [x, index, srcFor(x, index, src)], { axis });
}

/**
 * Adds src into a copy of x at `index` along `dim`, summing where an index repeats, as
 * torch.scatter_add: for dim 1, out[i][index[i][j]] += src[i][j].
 * @example scatterAdd(zeros([3]), 0, tensor([0, 0, 2], {dtype: 'int32'}), tensor([1, 2, 3])) // [3, 0, 3]
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const axis = normAxis('scatterAdd', dim, x.shape.length);
  checkScatter('scatterAdd', x, axis, index, src);
  return add(x, apply(scatterAddOp, [srcFor(x, index, src), index], { axis, shape: x.shape }));
}

/**
 * Adds alpha·source into a copy of x at the positions `index` (1-D) along `dim`, summing where
 * an index repeats, as torch.index_add. source has x's shape with dim replaced by index's length.
 * @example indexAdd(zeros([3, 2]), 0, tensor([0, 2], {dtype: 'int32'}), ones([2, 2])) // rows 0 and 2 become 1
 */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, opts: { alpha?: number } = {}): Tensor {
  const rank = x.shape.length;
  const axis = normAxis('indexAdd', dim, rank);
  if (index.shape.length > 1) throw new ShapeError(`indexAdd: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const idx = index.shape.length === 0 ? reshape(index, [1]) : index;
  const want = x.shape.map((d, i) => (i === axis ? idx.size : d));
  const src = rank === 0 ? reshape(source, [1]) : source;
  if (!sameShape(src.shape, rank === 0 ? [idx.size] : want)) {
    throw new ShapeError(`indexAdd: source must have shape ${fmtShape(want)} (the input's with dim ${axis} the index length), got ${fmtShape(source.shape)}`);
  }
  checkIndex('indexAdd', idx, rank === 0 ? 1 : x.shape[axis]!, axis);
  const alpha = opts.alpha ?? 1;
  const scaled = cast(alpha === 1 ? src : mul(src, alpha), x.dtype);
  const shape = rank === 0 ? [1] : x.shape;
  const added = apply(indexAddOp, [scaled, idx], { axis, shape });
  return add(x, rank === 0 ? reshape(added, []) : added);
}

/**
 * Picks values of x at `indices` along `dim`, as torch.take_along_dim: gather with the two
 * broadcast against each other off the dim. Without dim, both are flattened first.
 * @example takeAlongDim(x, argsort(x, 1), 1) // x sorted along dim 1
 */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError(`takeAlongDim: indices must be an int32 tensor, got ${indices.dtype}`);
  if (dim === undefined) return gather(reshape(x, [x.size]), 0, reshape(indices, [indices.size]));
  const rank = x.shape.length;
  const axis = normAxis('takeAlongDim', dim, rank);
  if (indices.shape.length !== rank) throw new ShapeError(`takeAlongDim: indices must have the input's rank (${rank}), got shape ${fmtShape(indices.shape)} for input ${fmtShape(x.shape)}`);
  const offAxis = (s: readonly number[]): number[] => s.map((d, i) => (i === axis ? 1 : d));
  const common = broadcastShapes('takeAlongDim', offAxis(x.shape), offAxis(indices.shape));
  const xs = common.map((d, i) => (i === axis ? x.shape[axis]! : d));
  const is = common.map((d, i) => (i === axis ? indices.shape[axis]! : d));
  return gather(expand(x, xs), axis, expand(indices, is));
}
