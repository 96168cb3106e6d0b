import { apply } from '../autograd/engine.js';
import { DTypeError, ValueError } from '../errors.js';
import { normAxes, normAxis, reducedShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import type { ArgReduceOp } from '../backend/backend.js';
import { abs, add, cast, compare, constUnary, div, exp, isfinite, log, mul, pow, sqrt, sub, where } from './elementwise.js';
import { expand, permute, reshape, squeeze } from './shape.js';
import { productOfOthers } from './scan.js';
import { gatherOp } from './indexing.js';

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

/** Mean over dims (all when omitted). int32 input gives float32. @example mean(x, 0) */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const xf = x.dtype === 'int32' ? cast(x, 'float32') : x;
  const axes = normAxes('mean', dim, x.shape.length);
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  return div(sum(xf, axes, keepdim), count);
}

/** Variance with Bessel's correction by default (correction 1, as torch.var). @example variance(x, 1, {keepdim: true}) */
export function variance(x: Tensor, dim?: Dims, opts: { keepdim?: boolean; correction?: number } = {}): Tensor {
  const xf = x.dtype === 'int32' ? cast(x, 'float32') : x;
  const axes = normAxes('var', dim, x.shape.length);
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const centered = sub(xf, mean(xf, axes, true));
  const denom = Math.max(count - (opts.correction ?? 1), 0);
  return div(sum(mul(centered, centered), axes, opts.keepdim ?? false), denom);
}

export type ExtremeKind = 'max' | 'min';

/**
 * amax / amin over any dims. Where several elements tie for the extreme, the gradient is split
 * evenly among them (NaN counts as the extreme where it is the result), as PyTorch's
 * evenly_distribute_backward for max() and amax.
 */
export const amaxOp = defineOp<{ op: ExtremeKind; axes: readonly number[]; keepdim: boolean }>({
  name: 'amax',
  forward: (b, [x], { op, axes, keepdim }) => {
    const shape = reducedShape(x!.shape, axes, keepdim);
    const out = b.alloc(x!.dtype, sizeOf(shape));
    b.reduce(op, x!.storage, x!.shape, axes, out);
    return { storage: out, shape };
  },
  backward: (g, { inputs: [x], out, attrs: { axes } }) => {
    const keep = reducedShape(x!.shape, axes, true);
    const xd = x!.detach(), yk = reshape(out.detach(), keep);
    const nanBoth = mul(constUnary('isnan', xd), constUnary('isnan', yk));
    const mask = add(cast(compare('eq', xd, yk), x!.dtype), nanBoth);
    const count = sum(mask, axes, true);
    return [mul(div(reshape(g, keep), count), mask)];
  },
});

function amaxOf(kind: ExtremeKind, x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  const name = kind === 'max' ? 'amax' : 'amin';
  const axes = normAxes(name, dim, x.shape.length);
  if (axes.some((a) => x.shape[a] === 0)) throw new ValueError(`${name}: cannot reduce a dim of size 0 (shape [${x.shape.join(',')}]): the extreme of nothing is undefined`);
  return apply(amaxOp, [x], { op: kind, axes, keepdim });
}

function extreme(kind: ExtremeKind, x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  if (x.size === 0) throw new ValueError(`${kind}: cannot reduce an empty tensor`);
  const rank = x.shape.length;
  if (rank === 0) return x;
  if (typeof dim !== 'number') return amaxOf(kind, x, dim, keepdim);
  // torch.max(x, dim): the gradient goes to the element whose index it returns (the first of ties)
  const axis = normAxis(kind, dim, rank);
  const idx = argReduce(kind === 'max' ? 'argmax' : 'argmin', x, axis, true);
  const picked = apply(gatherOp, [x, idx], { axis });
  return keepdim ? picked : squeeze(picked, axis);
}

/**
 * Max over one dim, or over several dims or all (when omitted). Over one dim the gradient goes
 * to the arg-max (the first of ties), as torch.max(x, dim); over several or all it is split
 * evenly among ties, as torch.max(x) and torch.amax.
 * @example max(tensor([[1, 5], [7, 2]]), 1) // [5, 7]
 */
export function max(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('max', x, dim, keepdim);
}
/**
 * Min over one dim, or over several dims or all (when omitted); ties as in max.
 * @example min(tensor([[1, 5], [7, 2]]), 1) // [1, 2]
 */
export function min(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme('min', x, dim, keepdim);
}
/**
 * The largest value over dims (all when omitted), as torch.amax: ties share the gradient evenly.
 * @example amax(tensor([[1, 3, 3]]), 1) // [3]; its gradient is [[0, 0.5, 0.5]]
 */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return amaxOf('max', x, dim, keepdim);
}
/**
 * The smallest value over dims (all when omitted), as torch.amin: ties share the gradient evenly.
 * @example amin(tensor([[1, 1, 3]]), 1) // [1]
 */
export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return amaxOf('min', x, dim, keepdim);
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

/** Index of the max along dim (over the flattened tensor when omitted), as int32. @example argmax(logits, 1) */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return argReduce('argmax', reshape(x, [x.size]), 0, false);
  return argReduce('argmax', x, normAxis('argmax', dim, x.shape.length), keepdim);
}
/** Index of the min along dim (over the flattened tensor when omitted), as int32. @example argmin(distances, 1) */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return argReduce('argmin', reshape(x, [x.size]), 0, false);
  return argReduce('argmin', x, normAxis('argmin', dim, x.shape.length), keepdim);
}

/** log(sum(exp(x))) over dims, computed stably by shifting by the max. @example logSumExp(logits, 1) */
export function logSumExp(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const axes = normAxes('logSumExp', dim, x.shape.length);
  // the shift is a constant to autograd: its two contributions cancel exactly
  const m = max(x.detach(), axes, true);
  // an all −∞ (or +∞) slice would shift by ±∞ and give NaN: shift by 0 there instead
  const finiteM = where(isfinite(m), m, 0);
  const s = add(log(sum(exp(sub(x, finiteM)), axes, true)), finiteM);
  return keepdim ? s : reshape(s, reducedShape(x.shape, axes, false));
}

// ---------- products, norms, spreads, truth tests ----------

export const prodOp = defineOp<{ axes: readonly number[]; keepdim: boolean }>({
  name: 'prod',
  forward: (b, [x], { axes, keepdim }) => {
    const shape = reducedShape(x!.shape, axes, keepdim);
    const out = b.alloc(x!.dtype, sizeOf(shape));
    b.reduce('prod', x!.storage, x!.shape, axes, out);
    return { storage: out, shape };
  },
  // ∂/∂x_k = Π_{j≠k} x_j over the reduced block: exclusive running products from both ends,
  // exact with zeros and differentiable again (PyTorch's prod_safe_zeros_backward)
  backward: (g, { inputs: [x], attrs: { axes } }) => {
    const X = x!;
    if (axes.length === 0) return [g];
    if (X.size === 0) return [Tensor.zerosOf(X.shape, X.dtype, X.device)];
    const gk = reshape(g, reducedShape(X.shape, axes, true));
    if (axes.length === 1) return [mul(gk, productOfOthers(X, axes[0]!))];
    // several axes: merge them into one trailing axis, and undo that afterwards
    const keep = X.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const perm = [...keep, ...axes];
    const moved = permute(X, perm);
    const block = axes.reduce((p, a) => p * X.shape[a]!, 1);
    const others = reshape(productOfOthers(reshape(moved, [...keep.map((i) => X.shape[i]!), block]), keep.length), moved.shape);
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => { inverse[p] = i; });
    return [mul(gk, permute(others, inverse))];
  },
});

/**
 * Product over dims (all when omitted). The gradient is exact with zeros in the input, as PyTorch's.
 * @example prod(tensor([[1, 2], [3, 4]]), 1) // [2, 12]
 */
export function prod(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const axes = normAxes('prod', dim, x.shape.length);
  return apply(prodOp, [x], { axes, keepdim });
}

/**
 * √s with a zero gradient where s is 0 (instead of ∞·0 = NaN), as PyTorch's rules for norm and
 * std mask it: sqrt of a guarded value, times a 0/1 constant.
 */
function safeSqrt(s: Tensor): Tensor {
  const zero = compare('eq', s.detach(), 0);
  const root = sqrt(where(zero, Tensor.scalar(1, s.dtype), s));
  return mul(root, cast(compare('eq', zero, 0), s.dtype));
}

/**
 * Standard deviation over dims (all when omitted), with Bessel's correction by default
 * (correction 1, as torch.std); a zero spread has a zero gradient, as in PyTorch.
 * @example std(tensor([1, 2, 3, 4])) // 1.291
 */
export function std(x: Tensor, dim?: Dims, opts: { keepdim?: boolean; correction?: number } = {}): Tensor {
  return safeSqrt(variance(x, dim, opts));
}

/** The order of a vector norm: a number (1, 2, Infinity, −Infinity, 0 or any other p) or 'fro' (= 2). @example norm(x, Infinity as NormOrd) */
export type NormOrd = number | 'fro';

/**
 * The vector p-norm over dims (all when omitted), as torch.norm / torch.linalg.vector_norm:
 * p = 2 or 'fro' (default) √Σx², 1 Σ|x|, Infinity max|x| (ties share the gradient), −Infinity
 * min|x|, 0 the count of non-zeros, any other p (Σ|x|^p)^(1/p). A zero 2-norm has a zero gradient.
 * @example norm(tensor([[3, 4]]), 2, 1) // [5]
 */
export function norm(x: Tensor, p: NormOrd = 'fro', dim?: Dims, keepdim = false): Tensor {
  if (x.dtype === 'int32') throw new DTypeError("norm: expected a floating dtype (float32 or float64), got int32; convert with .to('float32')");
  const axes = normAxes('norm', dim, x.shape.length);
  if (p === 'fro' || p === 2) {
    if (p === 'fro' && dim !== undefined && axes.length > 2) throw new ValueError(`norm: the Frobenius norm takes at most 2 dims, got ${axes.length}; use p = 2 for a vector norm over more`);
    return safeSqrt(sum(mul(x, x), axes, keepdim));
  }
  if (typeof p !== 'number' || Number.isNaN(p)) throw new ValueError(`norm: unknown order ${String(p)}; expected a number (1, 2, Infinity, ...) or 'fro'`);
  if (p === 1) return sum(abs(x), axes, keepdim);
  if (p === Infinity || p === -Infinity) {
    if (x.size === 0) return Tensor.zerosOf(reducedShape(x.shape, axes, keepdim), x.dtype, x.device);
    return amaxOf(p > 0 ? 'max' : 'min', abs(x), axes, keepdim);
  }
  if (p === 0) return sum(cast(compare('ne', x.detach(), 0), x.dtype), axes, keepdim);
  return pow(sum(pow(abs(x), p), axes, keepdim), 1 / p);
}

function truthy(name: string, x: Tensor, dim: Dims | undefined, keepdim: boolean, negate: boolean): Tensor {
  const axes = normAxes(name, dim, x.shape.length);
  // any(x) = max(x ≠ 0); all(x) = not any(x = 0), which is also right for empty dims (true)
  const hits = compare(negate ? 'eq' : 'ne', x.detach(), 0);
  const found = apply(amaxOp, [hits], { op: 'max', axes, keepdim });
  return negate ? compare('eq', found, 0) : found;
}

/**
 * 1 where any element over dims (all when omitted) is non-zero (NaN counts), else 0, as int32.
 * @example any(tensor([[0, 1], [0, 0]]), 1) // [1, 0]
 */
export function any(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return truthy('any', x, dim, keepdim, false);
}

/**
 * 1 where every element over dims (all when omitted) is non-zero, else 0, as int32 (empty: 1).
 * @example all(tensor([[1, 1], [0, 1]]), 1) // [1, 0]
 */
export function all(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return truthy('all', x, dim, keepdim, true);
}
