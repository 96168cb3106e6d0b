import type { Backend, BinaryOp, DType, UnaryOp } from '../backend/backend.js';
import { apply } from '../autograd/engine.js';
import { DTypeError } from '../errors.js';
import { assertFloat, promote } from '../tensor/dtype.js';
import { broadcastShapes, sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { defineOp, type Raw } from './op.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

// ---------- helpers shared by the elementwise family ----------

/** Converts a JS number to a 0-d tensor of a dtype that does not promote the other operand. */
export function lift(x: TensorLike, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') throw new DTypeError(`expected a Tensor or a number, got ${typeof x} (${String(x).slice(0, 20)})`);
  const dtype: DType = like.dtype === 'int32' && !Number.isInteger(x) ? 'float32' : like.dtype;
  return Tensor.scalar(x, dtype);
}

function pair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  for (const v of [a, b]) {
    if (!(v instanceof Tensor) && typeof v !== 'number') {
      throw new DTypeError(`${op}: expected Tensors or numbers, got ${typeof v} (${String(v).slice(0, 20)})`);
    }
  }
  if (a instanceof Tensor) return [a, lift(b, a)];
  if (b instanceof Tensor) return [lift(a, b), b];
  if (typeof a === 'number' && typeof b === 'number') return [Tensor.scalar(a), Tensor.scalar(b)];
  throw new DTypeError(`${op}: expected Tensors or numbers, got ${typeof a} and ${typeof b}`);
}

/** Casts to dtype (differentiable; identity when it already matches). @example cast(labels, 'float32') */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return apply(castOp, [x], { dtype });
}

/** Sums a broadcast gradient back to the shape of the input it came from. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? sum(g, axes, true) : g;
  return reshape(s, shape);
}

/** One elementwise map into a fresh storage of x's shape (and x's dtype unless given). */
export function unaryRaw(b: Backend, op: UnaryOp, x: Tensor, p0?: number, p1?: number, outDtype?: DType): Raw {
  const out = b.alloc(outDtype ?? x.dtype, x.size);
  b.unary(op, x.storage, out, p0, p1);
  return { storage: out, shape: x.shape };
}

export function binaryRaw(b: Backend, op: BinaryOp, name: string, x: Tensor, y: Tensor, outDtype?: DType): Raw {
  const shape = sameShape(x.shape, y.shape) ? x.shape : broadcastShapes(name, x.shape, y.shape);
  const out = b.alloc(outDtype ?? x.dtype, sizeOf(shape));
  b.binary(op, x.storage, x.shape, y.storage, y.shape, out, shape);
  return { storage: out, shape };
}

/** Both operands of a binary op as tensors of one dtype: numbers lifted, dtypes promoted as PyTorch does. */
export function binaryOperands(name: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  return promoted(...pair(name, a, b));
}

/** Brings both operands to one dtype before a binary op (PyTorch's promotion). */
function promoted(a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (a.dtype === b.dtype) return [a, b];
  const d = promote(a.dtype, b.dtype);
  return [cast(a, d), cast(b, d)];
}

// ---------- the ops ----------

export const castOp = defineOp<{ dtype: DType }>({
  name: 'cast',
  forward: (b, [x], { dtype }) => {
    const out = b.alloc(dtype, x!.size);
    b.cast(x!.storage, out);
    return { storage: out, shape: x!.shape };
  },
  backward: (g, { inputs: [x] }) => [x!.dtype === 'int32' ? null : cast(g, x!.dtype)],
});

export const addOp = defineOp<Record<string, never>>({
  name: 'add',
  forward: (b, [x, y]) => binaryRaw(b, 'add', 'add', x!, y!),
  backward: (g, { inputs: [x, y] }) => [sumTo(g, x!.shape), sumTo(g, y!.shape)],
});

export const subOp = defineOp<Record<string, never>>({
  name: 'sub',
  forward: (b, [x, y]) => binaryRaw(b, 'sub', 'sub', x!, y!),
  backward: (g, { inputs: [x, y] }) => [sumTo(g, x!.shape), sumTo(neg(g), y!.shape)],
});

export const mulOp = defineOp<Record<string, never>>({
  name: 'mul',
  forward: (b, [x, y]) => binaryRaw(b, 'mul', 'mul', x!, y!),
  backward: (g, { inputs: [x, y] }) => [
    x!.requiresGrad ? sumTo(mul(g, y!), x!.shape) : null,
    y!.requiresGrad ? sumTo(mul(g, x!), y!.shape) : null,
  ],
});

export const divOp = defineOp<Record<string, never>>({
  name: 'div',
  forward: (b, [x, y]) => binaryRaw(b, 'div', 'div', x!, y!),
  backward: (g, { inputs: [x, y] }) => [
    x!.requiresGrad ? sumTo(div(g, y!), x!.shape) : null,
    // d(x/y)/dy = -x/y²
    y!.requiresGrad ? sumTo(neg(div(mul(g, x!), mul(y!, y!))), y!.shape) : null,
  ],
});

export const powOp = defineOp<Record<string, never>>({
  name: 'pow',
  forward: (b, [x, y]) => binaryRaw(b, 'pow', 'pow', x!, y!),
  backward: (g, { inputs: [x, y] }) => [
    x!.requiresGrad ? sumTo(mul(g, mul(y!, pow(x!, sub(y!, 1)))), x!.shape) : null,
    // d(x^y)/dy = x^y log x; defined as 0 where x = 0 (the limit for y > 0), as PyTorch does
    y!.requiresGrad
      ? sumTo(mul(g, where(eqZero(x!), 0, mul(pow(x!, y!), log(where(eqZero(x!), 1, x!))))), y!.shape)
      : null,
  ],
});

function eqZero(x: Tensor): Tensor {
  return x.detach().eq(0);
}

export const powScalarOp = defineOp<{ exponent: number }>({
  name: 'powScalar',
  forward: (b, [x], { exponent }) => unaryRaw(b, 'powScalar', x!, exponent),
  backward: (g, { inputs: [x], attrs: { exponent } }) => [
    exponent === 0 ? mul(g, 0) : mul(g, mul(pow(x!, exponent - 1), exponent)),
  ],
});

export const maximumOp = defineOp<Record<string, never>>({
  name: 'maximum',
  forward: (b, [x, y]) => binaryRaw(b, 'maximum', 'maximum', x!, y!),
  // the gradient goes to the larger input; ties split it evenly, as PyTorch does
  backward: (g, { inputs: [x, y] }) => {
    const w = tieWeights(x!, y!, 'gt');
    return [sumTo(mul(g, w), x!.shape), sumTo(mul(g, sub(1, w)), y!.shape)];
  },
});

export const minimumOp = defineOp<Record<string, never>>({
  name: 'minimum',
  forward: (b, [x, y]) => binaryRaw(b, 'minimum', 'minimum', x!, y!),
  backward: (g, { inputs: [x, y] }) => {
    const w = tieWeights(x!, y!, 'lt');
    return [sumTo(mul(g, w), x!.shape), sumTo(mul(g, sub(1, w)), y!.shape)];
  },
});

/** 1 where x wins, 0.5 on ties, 0 where y wins; a constant (no graph). */
function tieWeights(x: Tensor, y: Tensor, cmp: 'gt' | 'lt'): Tensor {
  const xd = x.detach(), yd = y.detach();
  const wins = compare(cmp, xd, yd);
  const ties = compare('eq', xd, yd);
  return add(cast(wins, x.dtype), mul(cast(ties, x.dtype), 0.5));
}

export const whereOp = defineOp<Record<string, never>>({
  name: 'where',
  forward: (b, [c, x, y]) => {
    const s1 = broadcastShapes('where', c!.shape, x!.shape);
    const shape = broadcastShapes('where', s1, y!.shape);
    const out = b.alloc(x!.dtype, sizeOf(shape));
    b.where(c!.storage, c!.shape, x!.storage, x!.shape, y!.storage, y!.shape, out, shape);
    return { storage: out, shape };
  },
  backward: (g, { inputs: [c, x, y] }) => {
    const zero = Tensor.scalar(0, g.dtype);
    return [
      null,
      x!.requiresGrad ? sumTo(where(c!, g, zero), x!.shape) : null,
      y!.requiresGrad ? sumTo(where(c!, zero, g), y!.shape) : null,
    ];
  },
});

export const clampOp = defineOp<{ min: number; max: number }>({
  name: 'clamp',
  forward: (b, [x], { min, max }) => unaryRaw(b, 'clamp', x!, min, max),
  // the gradient passes where x is inside [min, max], boundaries included (PyTorch's choice)
  backward: (g, { inputs: [x], attrs: { min, max } }) => {
    const xd = x!.detach();
    const inside = mul(cast(compare('ge', xd, Tensor.scalar(min, xd.dtype)), g.dtype), cast(compare('le', xd, Tensor.scalar(max, xd.dtype)), g.dtype));
    return [mul(g, inside)];
  },
});

export const negOp = defineOp<Record<string, never>>({
  name: 'neg',
  forward: (b, [x]) => unaryRaw(b, 'neg', x!),
  backward: (g) => [neg(g)],
});

export const expOp = defineOp<Record<string, never>>({
  name: 'exp',
  forward: (b, [x]) => unaryRaw(b, 'exp', x!),
  backward: (g, { out }) => [mul(g, out)],
});

export const logOp = defineOp<Record<string, never>>({
  name: 'log',
  forward: (b, [x]) => unaryRaw(b, 'log', x!),
  backward: (g, { inputs: [x] }) => [div(g, x!)],
});

export const sqrtOp = defineOp<Record<string, never>>({
  name: 'sqrt',
  forward: (b, [x]) => unaryRaw(b, 'sqrt', x!),
  backward: (g, { out }) => [div(g, mul(out, 2))],
});

export const absOp = defineOp<Record<string, never>>({
  name: 'abs',
  forward: (b, [x]) => unaryRaw(b, 'abs', x!),
  backward: (g, { inputs: [x] }) => [mul(g, constUnary('sign', x!))],
});

export const erfOp = defineOp<Record<string, never>>({
  name: 'erf',
  forward: (b, [x]) => unaryRaw(b, 'erf', x!),
  // d erf/dx = 2/sqrt(pi) exp(-x²)
  backward: (g, { inputs: [x] }) => [mul(g, mul(exp(neg(mul(x!, x!))), 1.1283791670955126))],
});

/**
 * An elementwise map whose result is a constant to autograd (sign, isfinite): applied to a
 * detached input, so it never records a graph. Not in the op table, for it has no gradient.
 */
export const constUnaryOp = defineOp<{ op: UnaryOp; p0: number; p1: number; dtype: DType }>({
  name: 'constUnary',
  forward: (b, [x], { op, p0, p1, dtype }) => unaryRaw(b, op, x!, p0, p1, dtype),
  backward: () => [null],
});

export function constUnary(op: UnaryOp, x: Tensor, p0 = 0, p1 = 0, outDtype?: DType): Tensor {
  return apply(constUnaryOp, [x.detach()], { op, p0, p1, dtype: outDtype ?? x.dtype });
}

/** 1 where x is finite (not NaN or ±Inf), else 0, as int32; no gradient. @example isfinite(tensor([1, Infinity])) // [1, 0] */
export function isfinite(x: Tensor): Tensor {
  return constUnary('isfinite', x, undefined, undefined, 'int32');
}


export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Comparisons into int32 0/1: constants to autograd, so not in the op table. */
export const compareOp = defineOp<{ op: CompareOp }>({
  name: 'compare',
  forward: (b, [x, y], { op }) => binaryRaw(b, op, op, x!, y!, 'int32'),
  backward: () => [null, null],
});

/** Non-differentiable comparison into int32 0/1. */
export function compare(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = pair(op, a, b);
  [x, y] = promoted(x.detach(), y.detach());
  return apply(compareOp, [x, y], { op });
}

// ---------- public functions ----------

function binary(opDef: typeof addOp, name: string, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = promoted(...pair(name, a, b));
  return apply(opDef, [x, y], {});
}

/** Elementwise a + b with broadcasting. @example add(x, 1) */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary(addOp, 'add', a, b);
/** Elementwise a - b with broadcasting. @example sub(x, mean(x)) */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary(subOp, 'sub', a, b);
/** Elementwise a * b with broadcasting. @example mul(x, 2) */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary(mulOp, 'mul', a, b);
/** Elementwise a / b with broadcasting (true division: int32 / int32 gives float32). @example div(x, sum(x)) */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = promoted(...pair('div', a, b));
  // true division, as in PyTorch: int32 / int32 gives float32
  if (x.dtype === 'int32') return apply(divOp, [cast(x, 'float32'), cast(y, 'float32')], {});
  return apply(divOp, [x, y], {});
}
/** Elementwise maximum; the gradient goes to the larger input (ties share it). @example maximum(x, 0) */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary(maximumOp, 'maximum', a, b);
/** Elementwise minimum; the gradient goes to the smaller input (ties share it). @example minimum(x, 1) */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary(minimumOp, 'minimum', a, b);

/** a ** b for a tensor or scalar exponent. @example pow(x, 3) */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    const x = a.dtype === 'int32' && !Number.isInteger(b) ? cast(a, 'float32') : a;
    return apply(powScalarOp, [x], { exponent: b });
  }
  const [x, y] = promoted(...pair('pow', a, b));
  return apply(powOp, [x, y], {});
}

/** Picks a where cond is non-zero, else b, with broadcasting. @example where(x.gt(0), x, 0) */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = promoted(...pair('where', a, b));
  return apply(whereOp, [cond.detach(), x, y], {});
}

/** Limits values to [min, max]; either bound may be omitted. @example clamp(x, 0, 1) */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  return apply(clampOp, [x], { min: min ?? -Infinity, max: max ?? Infinity });
}

function floatUnary(opDef: typeof negOp, name: string, x: Tensor): Tensor {
  assertFloat(name, x.dtype);
  return apply(opDef, [x], {});
}

/** −x, elementwise. @example neg(tensor([1, -2])) // [-1, 2] */
export const neg = (x: Tensor): Tensor => apply(negOp, [x], {});
/** eˣ, elementwise. @example exp(tensor([0])) // [1] */
export const exp = (x: Tensor): Tensor => floatUnary(expOp, 'exp', x);
/** Natural logarithm, elementwise. @example log(tensor([Math.E])) // [1] */
export const log = (x: Tensor): Tensor => floatUnary(logOp, 'log', x);
/** √x, elementwise. @example sqrt(tensor([4])) // [2] */
export const sqrt = (x: Tensor): Tensor => floatUnary(sqrtOp, 'sqrt', x);
/** |x|, elementwise (its gradient at 0 is 0). @example abs(tensor([-2])) // [2] */
export const abs = (x: Tensor): Tensor => apply(absOp, [x], {});
/** The error function, elementwise. @example erf(tensor([0])) // [0] */
export const erf = (x: Tensor): Tensor => floatUnary(erfOp, 'erf', x);

/** 1 where a = b, else 0, as int32 (no gradient). @example eq(pred, target).sum() */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
/** 1 where a ≠ b, else 0, as int32 (no gradient). @example ne(x, 0) */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', a, b);
/** 1 where a < b, else 0, as int32 (no gradient). @example lt(x, 0) */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
/** 1 where a ≤ b, else 0, as int32 (no gradient). @example le(x, 1) */
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);
/** 1 where a > b, else 0, as int32 (no gradient). @example gt(x, 0) */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
/** 1 where a ≥ b, else 0, as int32 (no gradient). @example ge(x, 0.5) */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);
