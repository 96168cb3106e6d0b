import { apply } from '../autograd/engine.js';
import { ValueError } from '../errors.js';
import { normAxes, normAxis, reducedShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import type { ArgReduceOp } from '../backend/backend.js';
import { add, cast, div, exp, isfinite, log, mul, sub, where } from './elementwise.js';
import { expand, flatten, permute, reshape, squeeze } from './shape.js';
import { gather } from './indexing.js';

export const sumOp = defineOp<{ axes: readonly number[]; keepdim: boolean }>({
  name: 'sum',
  forward: (b, [x], { axes, keepdim }) => {
    const shape = reducedShape(x!.shape, axes, keepdim);
    const out = b.alloc(x!.dtype, sizeOf(shape));
    b.reduce('sum', x!.storage, x!.shape, axes, out);
    return { storage: out, shape };
  },
  // every input element contributed once: the gradient is broadcast back
  backward: (g, { inputs: [x], attrs: { axes } }) => [expand(reshape(g, reducedShape(x!.shape, axes, true)), x!.shape)],
});

type Dims = number | readonly number[];

/** Sum over dims (all when omitted). @example x.sum(1, true) */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const axes = normAxes('sum', dim, x.shape.length);
  return apply(sumOp, [x], { axes, keepdim });
}

/** Mean over dims (all when omitted). int32 input gives float32. */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const xf = x.dtype === 'int32' ? cast(x, 'float32') : x;
  const axes = normAxes('mean', dim, x.shape.length);
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  return div(sum(xf, axes, keepdim), count);
}

/** Variance with Bessel's correction by default (correction 1, as torch.var). */
export function variance(x: Tensor, dim?: Dims, opts: { keepdim?: boolean; correction?: number } = {}): Tensor {
  const xf = x.dtype === 'int32' ? cast(x, 'float32') : x;
  const axes = normAxes('var', dim, x.shape.length);
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const centered = sub(xf, mean(xf, axes, true));
  const denom = Math.max(count - (opts.correction ?? 1), 0);
  return div(sum(mul(centered, centered), axes, opts.keepdim ?? false), denom);
}

/** Moves `axes` to the end and merges them into one, so a single-axis op can reduce them. */
function mergeAxes(x: Tensor, axes: number[]): { y: Tensor; axis: number } {
  if (axes.length === 1) return { y: x, axis: axes[0]! };
  const keep = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const y = flatten(permute(x, [...keep, ...axes]), keep.length);
  return { y, axis: keep.length };
}

function extreme(kind: 'max' | 'min', x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  if (x.size === 0) throw new ValueError(`${kind}: cannot reduce an empty tensor`);
  const rank = x.shape.length;
  if (rank === 0) return x;
  const axes = normAxes(kind, dim, rank);
  const { y, axis } = mergeAxes(x, axes);
  // gathering at the arg-max routes the whole gradient to that one element
  const idx = argReduce(kind === 'max' ? 'argmax' : 'argmin', y, axis, true);
  const picked = squeeze(gather(y, axis, idx), axis);
  return keepdim ? reshape(picked, reducedShape(x.shape, axes, true)) : picked;
}

/** Max over dims (all when omitted); the gradient flows to the arg-max. */
export function max(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('max', x, dim, keepdim);
}
/** Min over dims (all when omitted); the gradient flows to the arg-min. */
export function min(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('min', x, dim, keepdim);
}

/** Indices of the extremes along one axis: int32, no gradient (so not in the op table). */
export const argReduceOp = defineOp<{ op: ArgReduceOp; axis: number; keepdim: boolean }>({
  name: 'argReduce',
  forward: (b, [x], { op, axis, keepdim }) => {
    const shape = reducedShape(x!.shape, [axis], keepdim);
    const out = b.alloc('int32', sizeOf(shape));
    b.argReduce(op, x!.storage, x!.shape, axis, out);
    return { storage: out, shape };
  },
  backward: () => [null],
});

function argReduce(op: ArgReduceOp, x: Tensor, axis: number, keepdim: boolean): Tensor {
  return apply(argReduceOp, [x.detach()], { op, axis, keepdim });
}

/** Index of the max along dim (over the flattened tensor when omitted), as int32. */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return argReduce('argmax', reshape(x, [x.size]), 0, false);
  return argReduce('argmax', x, normAxis('argmax', dim, x.shape.length), keepdim);
}
/** Index of the min along dim (over the flattened tensor when omitted), as int32. */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return argReduce('argmin', reshape(x, [x.size]), 0, false);
  return argReduce('argmin', x, normAxis('argmin', dim, x.shape.length), keepdim);
}

/** log(sum(exp(x))) over dims, computed stably by shifting by the max. */
export function logSumExp(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const axes = normAxes('logSumExp', dim, x.shape.length);
  // the shift is a constant to autograd: its two contributions cancel exactly
  const m = max(x.detach(), axes, true);
  // an all −∞ (or +∞) slice would shift by ±∞ and give NaN: shift by 0 there instead
  const finiteM = where(isfinite(m), m, 0);
  const s = add(log(sum(exp(sub(x, finiteM)), axes, true)), finiteM);
  return keepdim ? s : reshape(s, reducedShape(x.shape, axes, false));
}
