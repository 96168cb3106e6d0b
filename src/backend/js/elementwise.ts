import type { BinaryOp, Shape, TypedArray, UnaryOp } from '../backend.js';
import { stridesOf } from '../../tensor/shape.js';
import { erf } from './erf.js';

/** Elementwise kernels of the reference backend: maps, broadcasting binary ops, where, cast. */

/** σ(v), split by sign so exp never overflows. */
function sigmoidOf(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** log(1 + e^v) = max(v, 0) + log1p(e^−|v|), stable for large |v|. */
function softplusOf(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

/** Rounds half to even, as torch.round (and IEEE 754's default): 0.5 → 0, 1.5 → 2, 2.5 → 2. */
function roundHalfEven(v: number): number {
  const r = Math.round(v); // half up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

type ScalarMap = (v: number, p0: number, p1: number) => number;

/**
 * Every map as a function of one element. Typed over UnaryOp, so a new member of the union
 * without a kernel fails to compile. The hot maps also have dedicated loops in unaryLoop; these
 * are the kernels of the rest.
 */
const MAPS: Record<UnaryOp, ScalarMap> = {
  copy: (v) => v,
  neg: (v) => -v,
  abs: Math.abs,
  // (0 < v) − (v < 0), as PyTorch: sign(NaN) = 0 and sign(−0) = 0
  sign: (v) => (v > 0 ? 1 : v < 0 ? -1 : 0),
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  rsqrt: (v) => 1 / Math.sqrt(v),
  reciprocal: (v) => 1 / v,
  erf,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  sigmoid: sigmoidOf,
  tanh: Math.tanh,
  // NaN > 0 is false, so test for it: relu(NaN) is NaN, as in PyTorch
  relu: (v) => (v > 0 || v !== v ? v : 0),
  softplus: softplusOf,
  gelu: (v) => 0.5 * v * (1 + erf(v * Math.SQRT1_2)),
  silu: (v) => v * sigmoidOf(v),
  mish: (v) => v * Math.tanh(softplusOf(v)),
  // PyTorch's order of operations, so float64 results match it bit for bit
  hardsigmoid: (v) => Math.min(Math.max(v + 3, 0), 6) / 6,
  hardswish: (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6,
  leakyRelu: (v, p0) => (v > 0 ? v : v * p0),
  elu: (v, p0) => (v > 0 ? v : p0 * Math.expm1(v)),
  powScalar: (v, p0) => Math.pow(v, p0),
  clamp: (v, p0, p1) => (v < p0 ? p0 : v > p1 ? p1 : v),
  isfinite: (v) => (Number.isFinite(v) ? 1 : 0),
  isnan: (v) => (v !== v ? 1 : 0),
};

/** The elementwise maps, shared by unary and biasAct so both round identically. NaN propagates. */
export function unaryLoop(op: UnaryOp, x: TypedArray, out: TypedArray, p0: number, p1: number): void {
  const n = x.length;
  switch (op) {
    case 'copy': out.set(x); return;
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]!; return;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!); return;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!); return;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!); return;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!); return;
    case 'clamp': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v < p0 ? p0 : v > p1 ? p1 : v; } return;
    case 'sigmoid': for (let i = 0; i < n; i++) out[i] = sigmoidOf(x[i]!); return;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!); return;
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 || v !== v ? v : 0; } return;
    case 'softplus': for (let i = 0; i < n; i++) out[i] = softplusOf(x[i]!); return;
    case 'silu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v * sigmoidOf(v); } return;
    case 'leakyRelu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : v * p0; } return;
    case 'elu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : p0 * Math.expm1(v); } return;
    case 'powScalar':
      if (p0 === 2) for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v * v; }
      else for (let i = 0; i < n; i++) out[i] = Math.pow(x[i]!, p0);
      return;
    case 'gelu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2)); } return;
    default: {
      const f = MAPS[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]!, p0, p1);
    }
  }
}

export function unary(op: UnaryOp, x: TypedArray, out: TypedArray, p0 = 0, p1 = 0): void {
  unaryLoop(op, x, out, p0, p1);
}

/** out = x in out's dtype; float → int32 truncates toward zero (NaN becomes 0). */
export function cast(x: TypedArray, out: TypedArray): void {
  if (out instanceof Int32Array && !(x instanceof Int32Array)) for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]!);
  else out.set(x);
}

export function binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void {
  const n = out.length;
  if (a.length === n && b.length === n) return binLoop(op, a, 0, 1, b, 0, 1, out, 0, n);
  if (b.length === 1 && a.length === n) return binLoop(op, a, 0, 1, b, 0, 0, out, 0, n);
  if (a.length === 1 && b.length === n) return binLoop(op, a, 0, 0, b, 0, 1, out, 0, n);
  const plan = broadcastPlan(outShape, [aShape, bShape]);
  const [sa, sb] = plan.strides as [number[], number[]];
  const last = plan.shape.length - 1;
  const inner = plan.shape[last]!;
  const ia = sa[last]!, ib = sb[last]!;
  forEachOuter(plan.shape, plan.strides, (offs, o) => binLoop(op, a, offs[0]!, ia, b, offs[1]!, ib, out, o, inner));
}

export function where(cond: TypedArray, condShape: Shape, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void {
  const plan = broadcastPlan(outShape, [condShape, aShape, bShape]);
  const last = plan.shape.length - 1;
  const inner = plan.shape[last]!;
  const [sc, sa, sb] = plan.strides.map((s) => s[last]!) as [number, number, number];
  forEachOuter(plan.shape, plan.strides, (offs, o) => {
    let c = offs[0]!, ia = offs[1]!, ib = offs[2]!;
    for (let i = 0; i < inner; i++, c += sc, ia += sa, ib += sb) out[o + i] = cond[c] !== 0 ? a[ia]! : b[ib]!;
  });
}

interface Plan { shape: number[]; strides: number[][] }

/** Per-input strides over the output shape (0 where an input is broadcast), with dims merged where possible. */
function broadcastPlan(outShape: Shape, inShapes: readonly Shape[]): Plan {
  const rank = outShape.length;
  const strides = inShapes.map((s) => {
    const full = stridesOf(s);
    const r = new Array<number>(rank).fill(0);
    for (let i = 0; i < s.length; i++) {
      const oi = rank - s.length + i;
      r[oi] = s[i] === 1 ? 0 : full[i]!;
    }
    return r;
  });
  // merge adjacent dims that are contiguous for every input, so inner loops are long
  const shape: number[] = [];
  const merged: number[][] = inShapes.map(() => []);
  for (let i = 0; i < rank; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && strides.every((s, k) => merged[k]![last] === s[i]! * d)) {
      shape[last] = shape[last]! * d;
      strides.forEach((s, k) => { merged[k]![last] = s[i]!; });
    } else {
      shape.push(d);
      strides.forEach((s, k) => merged[k]!.push(s[i]!));
    }
  }
  if (shape.length === 0) return { shape: [1], strides: inShapes.map(() => [0]) };
  return { shape, strides: merged };
}

/** Calls fn(inputOffsets, outOffset) for every position of all dims but the last. */
function forEachOuter(shape: number[], strides: number[][], fn: (offs: number[], o: number) => void): void {
  const rank = shape.length;
  const inner = shape[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  const offs = strides.map(() => 0);
  let o = 0;
  for (;;) {
    fn(offs, o);
    o += inner;
    let d = rank - 2;
    while (d >= 0) {
      idx[d]!++;
      for (let k = 0; k < offs.length; k++) offs[k]! += strides[k]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let k = 0; k < offs.length; k++) offs[k]! -= strides[k]![d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

function binLoop(op: BinaryOp, a: TypedArray, ao: number, sa: number, b: TypedArray, bo: number, sb: number, out: TypedArray, oo: number, n: number): void {
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! + b[bo + i * sb]!; return;
    case 'sub': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! - b[bo + i * sb]!; return;
    case 'mul': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! * b[bo + i * sb]!; return;
    case 'div':
      if (out instanceof Int32Array) for (let i = 0; i < n; i++) out[oo + i] = Math.trunc(a[ao + i * sa]! / b[bo + i * sb]!);
      else for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! / b[bo + i * sb]!;
      return;
    case 'pow': for (let i = 0; i < n; i++) out[oo + i] = Math.pow(a[ao + i * sa]!, b[bo + i * sb]!); return;
    case 'atan2': for (let i = 0; i < n; i++) out[oo + i] = Math.atan2(a[ao + i * sa]!, b[bo + i * sb]!); return;
    case 'fmod': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! % b[bo + i * sb]!; return;
    case 'remainder':
      for (let i = 0; i < n; i++) {
        const y = b[bo + i * sb]!, r = a[ao + i * sa]! % y;
        // fmod, moved into the divisor's sign: more exact than a − b·floor(a/b)
        out[oo + i] = r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
      }
      return;
    case 'maximum': for (let i = 0; i < n; i++) { const x = a[ao + i * sa]!, y = b[bo + i * sb]!; out[oo + i] = x !== x || x >= y ? x : y; } return;
    case 'minimum': for (let i = 0; i < n; i++) { const x = a[ao + i * sa]!, y = b[bo + i * sb]!; out[oo + i] = x !== x || x <= y ? x : y; } return;
    case 'eq': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! === b[bo + i * sb]! ? 1 : 0; return;
    case 'ne': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! !== b[bo + i * sb]! ? 1 : 0; return;
    case 'lt': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! < b[bo + i * sb]! ? 1 : 0; return;
    case 'le': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! <= b[bo + i * sb]! ? 1 : 0; return;
    case 'gt': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! > b[bo + i * sb]! ? 1 : 0; return;
    case 'ge': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! >= b[bo + i * sb]! ? 1 : 0; return;
  }
}
