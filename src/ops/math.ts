import type { DType, UnaryOp } from '../backend/backend.js';
import { apply } from '../autograd/engine.js';
import { DTypeError } from '../errors.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { defineOp, type OpDef } from './op.js';
import {
  add, binaryOperands, binaryRaw, cast, compare, constUnary, div, mul, neg, pow, sub, sumTo, unaryRaw, where,
} from './elementwise.js';

// The elementwise math of torch: trigonometric and hyperbolic maps, logs and exponentials,
// rounding, and the binary atan2 / fmod / remainder. Each map is one kernel (a UnaryOp or
// BinaryOp) and one op whose rule is its derivative, written with ops so it differentiates again.

type NoAttrs = Record<string, never>;

/** A differentiable map: the kernel `op`, and dy/dx from the input x and the output y. */
function mapOp(op: UnaryOp, derivative: (x: Tensor, y: Tensor) => Tensor): OpDef<NoAttrs> {
  return defineOp<NoAttrs>({
    name: op,
    forward: (b, [x]) => unaryRaw(b, op, x!),
    backward: (g, { inputs: [x], out }) => [mul(g, derivative(x!, out))],
  });
}

/** A step function (floor, sign, ...): its derivative is zero wherever it exists, as PyTorch defines it. */
function stepOp(op: UnaryOp): OpDef<NoAttrs> {
  return defineOp<NoAttrs>({
    name: op,
    forward: (b, [x]) => unaryRaw(b, op, x!),
    backward: (g) => [Tensor.zerosOf(g.shape, g.dtype, g.device)],
  });
}

export const sinOp = mapOp('sin', (x) => cos(x));
export const cosOp = mapOp('cos', (x) => neg(sin(x)));
// tan' = 1 + tan², from the output as PyTorch does
export const tanOp = mapOp('tan', (_x, y) => add(mul(y, y), 1));
export const asinOp = mapOp('asin', (x) => rsqrt(sub(1, mul(x, x))));
export const acosOp = mapOp('acos', (x) => neg(rsqrt(sub(1, mul(x, x)))));
export const atanOp = mapOp('atan', (x) => reciprocal(add(mul(x, x), 1)));
export const sinhOp = mapOp('sinh', (x) => cosh(x));
export const coshOp = mapOp('cosh', (x) => sinh(x));
export const log1pOp = mapOp('log1p', (x) => reciprocal(add(x, 1)));
export const expm1Op = mapOp('expm1', (_x, y) => add(y, 1));
export const log2Op = mapOp('log2', (x) => reciprocal(mul(x, Math.LN2)));
export const log10Op = mapOp('log10', (x) => reciprocal(mul(x, Math.LN10)));
// d x^(-1/2) = −x^(-3/2) / 2 = −y³ / 2
export const rsqrtOp = mapOp('rsqrt', (_x, y) => mul(mul(mul(y, y), y), -0.5));
export const reciprocalOp = mapOp('reciprocal', (_x, y) => neg(mul(y, y)));

export const floorOp = stepOp('floor');
export const ceilOp = stepOp('ceil');
export const roundOp = stepOp('round');
export const truncOp = stepOp('trunc');
export const signOp = stepOp('sign');

/** int32 goes to float32 for maps with fractional results, as PyTorch promotes integer inputs. */
function floating(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

function checkTensor(name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${name}: expected a Tensor, got ${typeof x}`);
}

function floatMap(op: OpDef<NoAttrs>, name: string, x: Tensor): Tensor {
  checkTensor(name, x);
  return apply(op, [floating(x)], {});
}

/** Sine, elementwise (radians). @example sin(tensor([0, Math.PI / 2])) // [0, 1] */
export const sin = (x: Tensor): Tensor => floatMap(sinOp, 'sin', x);
/** Cosine, elementwise (radians). @example cos(tensor([0])) // [1] */
export const cos = (x: Tensor): Tensor => floatMap(cosOp, 'cos', x);
/** Tangent, elementwise (radians). @example tan(tensor([Math.PI / 4])) // [1] */
export const tan = (x: Tensor): Tensor => floatMap(tanOp, 'tan', x);
/** Arcsine, elementwise; NaN outside [−1, 1]. @example asin(tensor([1])) // [π/2] */
export const asin = (x: Tensor): Tensor => floatMap(asinOp, 'asin', x);
/** Arccosine, elementwise; NaN outside [−1, 1]. @example acos(tensor([1])) // [0] */
export const acos = (x: Tensor): Tensor => floatMap(acosOp, 'acos', x);
/** Arctangent, elementwise. @example atan(tensor([1])) // [π/4] */
export const atan = (x: Tensor): Tensor => floatMap(atanOp, 'atan', x);
/** Hyperbolic sine, elementwise. @example sinh(tensor([0])) // [0] */
export const sinh = (x: Tensor): Tensor => floatMap(sinhOp, 'sinh', x);
/** Hyperbolic cosine, elementwise. @example cosh(tensor([0])) // [1] */
export const cosh = (x: Tensor): Tensor => floatMap(coshOp, 'cosh', x);
/** log(1 + x), exact for small x. @example log1p(tensor([1e-10])) // [1e-10] */
export const log1p = (x: Tensor): Tensor => floatMap(log1pOp, 'log1p', x);
/** eˣ − 1, exact for small x. @example expm1(tensor([1e-10])) // [1e-10] */
export const expm1 = (x: Tensor): Tensor => floatMap(expm1Op, 'expm1', x);
/** Base-2 logarithm. @example log2(tensor([8])) // [3] */
export const log2 = (x: Tensor): Tensor => floatMap(log2Op, 'log2', x);
/** Base-10 logarithm. @example log10(tensor([1000])) // [3] */
export const log10 = (x: Tensor): Tensor => floatMap(log10Op, 'log10', x);
/** 1 / √x. @example rsqrt(tensor([4])) // [0.5] */
export const rsqrt = (x: Tensor): Tensor => floatMap(rsqrtOp, 'rsqrt', x);
/** 1 / x (int32 input gives float32). @example reciprocal(tensor([4])) // [0.25] */
export const reciprocal = (x: Tensor): Tensor => floatMap(reciprocalOp, 'reciprocal', x);
/** x², keeping x's dtype. @example square(tensor([-3])) // [9] */
export function square(x: Tensor): Tensor {
  checkTensor('square', x);
  return pow(x, 2);
}

function stepMap(op: OpDef<NoAttrs>, name: string, x: Tensor): Tensor {
  checkTensor(name, x);
  return apply(op, [x], {});
}

/** −1, 0 or 1 by the sign of x (0 for NaN, as PyTorch); its gradient is zero. @example sign(tensor([-2, 0, 3])) // [-1, 0, 1] */
export const sign = (x: Tensor): Tensor => stepMap(signOp, 'sign', x);
/** Rounds down; zero gradient. @example floor(tensor([-1.5, 1.5])) // [-2, 1] */
export const floor = (x: Tensor): Tensor => stepMap(floorOp, 'floor', x);
/** Rounds up; zero gradient. @example ceil(tensor([-1.5, 1.5])) // [-1, 2] */
export const ceil = (x: Tensor): Tensor => stepMap(ceilOp, 'ceil', x);
/** Rounds half to even, as torch.round; zero gradient. @example round(tensor([0.5, 1.5, 2.5])) // [0, 2, 2] */
export const round = (x: Tensor): Tensor => stepMap(roundOp, 'round', x);
/** Rounds toward zero; zero gradient. @example trunc(tensor([-1.7, 1.7])) // [-1, 1] */
export const trunc = (x: Tensor): Tensor => stepMap(truncOp, 'trunc', x);

/** 1 where x is NaN, else 0, as int32 (PyTorch's bool); no gradient. @example isnan(tensor([1, NaN])) // [0, 1] */
export function isnan(x: Tensor): Tensor {
  checkTensor('isnan', x);
  return constUnary('isnan', x, 0, 0, 'int32');
}

// ---------- binary ----------

export const atan2Op = defineOp<NoAttrs>({
  name: 'atan2',
  forward: (b, [y, x]) => binaryRaw(b, 'atan2', 'atan2', y!, x!),
  // ∂/∂y = x / (x² + y²), ∂/∂x = −y / (x² + y²)
  backward: (g, { inputs: [y, x] }) => {
    const r2 = add(mul(y!, y!), mul(x!, x!));
    return [
      y!.requiresGrad ? sumTo(div(mul(g, x!), r2), y!.shape) : null,
      x!.requiresGrad ? sumTo(div(mul(g, neg(y!)), r2), x!.shape) : null,
    ];
  },
});

/**
 * a − q·b for an integer quotient q, so ∂/∂a = 1 and ∂/∂b = −q (q is piecewise constant):
 * q = trunc(a/b) for fmod, floor(a/b) for remainder, as PyTorch's rules say.
 */
function modOp(op: 'fmod' | 'remainder'): OpDef<NoAttrs> {
  return defineOp<NoAttrs>({
    name: op,
    forward: (b, [x, y]) => binaryRaw(b, op, op, x!, y!),
    backward: (g, { inputs: [x, y] }) => {
      const q = () => {
        const ratio = div(x!.detach(), y!.detach());
        return op === 'fmod' ? trunc(ratio) : floor(ratio);
      };
      return [x!.requiresGrad ? sumTo(g, x!.shape) : null, y!.requiresGrad ? sumTo(neg(mul(g, q())), y!.shape) : null];
    },
  });
}

export const fmodOp = modOp('fmod');
export const remainderOp = modOp('remainder');

function floatPair(name: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const [x, y] = binaryOperands(name, a, b);
  return isFloat(x.dtype) ? [x, y] : [cast(x, 'float32'), cast(y, 'float32')];
}

/**
 * The angle of the point (other, input) in radians, elementwise with broadcasting, as torch.atan2.
 * @example atan2(tensor([1, -1]), tensor([-1, -1])) // [3π/4, −3π/4]
 */
export function atan2(input: TensorLike, other: TensorLike): Tensor {
  return apply(atan2Op, floatPair('atan2', input, other), {});
}

/**
 * C's fmod: input − trunc(input/other)·other, with the sign of input (JavaScript's %).
 * @example fmod(tensor([5, -5]), 3) // [2, -2]
 */
export function fmod(input: TensorLike, other: TensorLike): Tensor {
  return apply(fmodOp, binaryOperands('fmod', input, other), {});
}

/**
 * Python's modulo: input − floor(input/other)·other, with the sign of other, as torch.remainder.
 * @example remainder(tensor([5, -5]), 3) // [2, 1]
 */
export function remainder(input: TensorLike, other: TensorLike): Tensor {
  return apply(remainderOp, binaryOperands('remainder', input, other), {});
}

// ---------- compositions ----------

/**
 * input + weight·(end − input), with broadcasting, as torch.lerp (which switches to
 * end − (end − input)·(1 − weight) for weight ≥ 0.5 so that weight 1 gives end exactly).
 * @example lerp(tensor([0, 10]), tensor([10, 20]), 0.5) // [5, 15]
 */
export function lerp(input: Tensor, end: TensorLike, weight: TensorLike): Tensor {
  checkTensor('lerp', input);
  const [s, e] = floatPair('lerp', input, end);
  const shape = broadcastShapes('lerp', s.shape, e.shape);
  if (weight instanceof Tensor) broadcastShapes('lerp', shape, weight.shape);
  const diff = sub(e, s);
  if (typeof weight === 'number') {
    return weight < 0.5 ? add(s, mul(diff, weight)) : sub(e, mul(diff, 1 - weight));
  }
  const w = weight.dtype === s.dtype ? weight : cast(weight, s.dtype);
  const low = compare('lt', w.detach(), 0.5);
  return where(low, add(s, mul(diff, w)), sub(e, mul(diff, sub(1, w))));
}

/**
 * input + value·tensor1·tensor2, with broadcasting, as torch.addcmul.
 * @example addcmul(tensor([1, 1]), tensor([2, 3]), tensor([4, 5]), {value: 0.5}) // [5, 8.5]
 */
export function addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, opts: { value?: number } = {}): Tensor {
  checkTensor('addcmul', input);
  const value = opts.value ?? 1;
  broadcastShapes('addcmul', input.shape, broadcastShapes('addcmul', tensor1.shape, tensor2.shape));
  return add(input, value === 1 ? mul(tensor1, tensor2) : mul(mul(tensor1, value), tensor2));
}

/** The largest finite value of a float dtype (what PyTorch puts for +∞ by default). */
function finiteMax(dtype: DType): number {
  return dtype === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
}

/** Replacements for nanToNum. @example nanToNum(x, {nan: 0, posinf: 1e4}) */
export interface NanToNumOptions {
  /** what NaN becomes (default 0) */
  nan?: number;
  /** what +∞ becomes (default: the dtype's largest finite value) */
  posinf?: number;
  /** what −∞ becomes (default: the dtype's lowest finite value) */
  neginf?: number;
}

/**
 * Replaces NaN, +∞ and −∞ with finite numbers, as torch.nan_to_num. The gradient passes where x
 * was finite and is zero at the replaced entries.
 * @example nanToNum(tensor([NaN, Infinity, 1])) // [0, 3.4028e38, 1]
 */
export function nanToNum(x: Tensor, opts: NanToNumOptions = {}): Tensor {
  checkTensor('nanToNum', x);
  if (!isFloat(x.dtype)) return x;
  const big = finiteMax(x.dtype);
  const xd = x.detach();
  const sc = (v: number): Tensor => Tensor.scalar(v, x.dtype);
  let y = where(compare('eq', xd, Infinity), sc(opts.posinf ?? big), x);
  y = where(compare('eq', xd, -Infinity), sc(opts.neginf ?? -big), y);
  return where(isnan(xd), sc(opts.nan ?? 0), y);
}
