import { apply } from '../autograd/engine.js';
import { arange } from '../tensor/creation.js';
import { normAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp, type OpDef } from './op.js';
import { cast, compare, div, mul, sub, where } from './elementwise.js';
import { amaxOp, sum } from './reduce.js';
import { concat, reshape, sliceDim } from './shape.js';

// Running sums and products along one dim: one scan kernel each way.

export const cumsumOp: OpDef<{ axis: number; reverse: boolean }> = defineOp<{ axis: number; reverse: boolean }>({
  name: 'cumsum',
  forward: (b, [x], { axis, reverse }) => {
    const out = b.alloc(x!.dtype, x!.size);
    b.scan('sum', x!.storage, x!.shape, axis, reverse, out);
    return { storage: out, shape: x!.shape };
  },
  // x_k feeds every running sum from k on: the adjoint is the running sum from the other end
  backward: (g, { attrs: { axis, reverse } }) => [apply(cumsumOp, [g], { axis, reverse: !reverse })],
});

export const cumprodOp: OpDef<{ axis: number; reverse: boolean }> = defineOp<{ axis: number; reverse: boolean }>({
  name: 'cumprod',
  forward: (b, [x], { axis, reverse }) => {
    const out = b.alloc(x!.dtype, x!.size);
    b.scan('prod', x!.storage, x!.shape, axis, reverse, out);
    return { storage: out, shape: x!.shape };
  },
  // ∂/∂x_k = Σ_{i≥k} g_i·Π_{j≤i, j≠k} x_j (i, j in scan order). See cumprodGrad for the zeros;
  // after a line's first zero z each term holds x_z = 0, so there the gradient is written as
  // x_z times the same sum over the line with x_z replaced by 1: zero in value, and with the
  // right derivative in x_z, so second derivatives are exact too.
  backward: (g, { inputs: [x], out, attrs: { axis, reverse } }) => {
    const X = x!;
    if (X.size === 0) return [Tensor.zerosOf(X.shape, X.dtype, X.device)];
    const first = cumprodGrad(g, X, out, axis, reverse);
    const zeroValue = sum(where(first.atZ, X, Tensor.scalar(0, X.dtype)), axis, true);
    const rest = cumprodGrad(g, first.xSkip, first.skipping, axis, reverse);
    const after = mul(zeroValue, rest.value);
    return [where(first.beforeZ, first.before, where(first.atZ, first.atZero, after))];
  },
});

/**
 * The value of cumprod's gradient g ↦ ∂/∂x for x with scan output y along `axis`. Before a
 * line's first zero z (in scan order) it is (Σ_{i≥k} g_i·y_i)/x_k; at z it is the same sum over
 * a cumprod of x with x_z replaced by 1 (`skipping`); after z it is 0. Divisions are guarded, so
 * the unused branches stay finite (and so do their gradients).
 */
function cumprodGrad(g: Tensor, X: Tensor, y: Tensor, axis: number, reverse: boolean) {
  const n = X.shape[axis]!;
  const dtype = X.dtype, one = Tensor.scalar(1, dtype), zero = Tensor.scalar(0, dtype);
  const isZero = compare('eq', X.detach(), 0);
  const index = reshape(arange(0, n, 1, { dtype, device: X.device }), X.shape.map((d, i) => (i === axis ? n : 1)));
  const order = reverse ? sub(n - 1, index) : index;
  const z = apply(amaxOp, [where(isZero, order, n)], { op: 'min', axes: [axis], keepdim: true }).detach();
  const beforeZ = compare('lt', order, z);
  const before = div(apply(cumsumOp, [mul(g, y)], { axis, reverse: !reverse }), where(isZero, one, X));
  const atZ = compare('eq', order, z);
  const xSkip = where(atZ, one, X);
  const skipping = apply(cumprodOp, [xSkip], { axis, reverse });
  const fromZ = cast(compare('ge', order, z), dtype);
  const atZero = sum(mul(mul(g, skipping), fromZ), axis, true);
  const value = where(beforeZ, before, where(atZ, atZero, zero));
  return { beforeZ, before, atZ, atZero, xSkip, skipping, value };
}

/**
 * Π_{i≠j} x_i along `axis` for every j, as (exclusive running product from the left) × (from the
 * right): no division, so exact with zeros, and differentiable through cumprod's rule.
 */
export function productOfOthers(x: Tensor, axis: number): Tensor {
  const n = x.shape[axis]!;
  if (n <= 1) return Tensor.onesOf(x.shape, x.dtype, x.device);
  const ones = Tensor.onesOf(x.shape.map((d, i) => (i === axis ? 1 : d)), x.dtype, x.device);
  const left = apply(cumprodOp, [concat([ones, sliceDim(x, axis, 0, n - 1)], axis)], { axis, reverse: false });
  const right = apply(cumprodOp, [concat([sliceDim(x, axis, 1, n), ones], axis)], { axis, reverse: true });
  return mul(left, right);
}

/** Runs a scan over `dim`; a 0-d tensor is treated as one element along dim 0 or −1. */
function scanAlong(name: string, x: Tensor, dim: number, run: (t: Tensor, axis: number) => Tensor): Tensor {
  const axis = normAxis(name, dim, x.shape.length);
  if (x.shape.length === 0) return reshape(run(reshape(x, [1]), 0), []);
  return run(x, axis);
}

/**
 * Running sums along `dim`: out[i] = x[0] + … + x[i], as torch.cumsum.
 * @example cumsum(tensor([1, 2, 3]), 0) // [1, 3, 6]
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  return scanAlong('cumsum', x, dim, (t, axis) => apply(cumsumOp, [t], { axis, reverse: false }));
}

/**
 * Running products along `dim`: out[i] = x[0]·…·x[i], as torch.cumprod (its gradient is exact
 * with zeros in the input, and so is its second derivative).
 * @example cumprod(tensor([1, 2, 3]), 0) // [1, 2, 6]
 */
export function cumprod(x: Tensor, dim: number): Tensor {
  return scanAlong('cumprod', x, dim, (t, axis) => apply(cumprodOp, [t], { axis, reverse: false }));
}
