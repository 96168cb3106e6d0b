import { apply } from '../autograd/engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { normAxis, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp, type OpDef } from './op.js';

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
