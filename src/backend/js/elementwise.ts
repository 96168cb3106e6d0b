import type { BinaryOp, Shape, TypedArray, UnaryOp } from '../backend.js';
import { stridesOf } from '../../tensor/shape.js';
import { erf } from './erf.js';

/** Elementwise kernels of the reference backend: maps, broadcasting binary ops, where, cast. */

const INV_SQRT_2PI = 0.3989422804014327;

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
    case 'sign': for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]!); return;
    case 'floor': for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]!); return;
    case 'clamp': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v < p0 ? p0 : v > p1 ? p1 : v; } return;
    case 'isfinite': for (let i = 0; i < n; i++) out[i] = Number.isFinite(x[i]!) ? 1 : 0; return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        // split by sign so exp never overflows
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); out[i] = e / (1 + e); }
      }
      return;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!); return;
    // NaN > 0 is false, so test for it: relu(NaN) is NaN, as in PyTorch
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 || v !== v ? v : 0; } return;
    case 'softplus':
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|
      for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); }
      return;
    case 'erf': for (let i = 0; i < n; i++) out[i] = erf(x[i]!); return;
    case 'leakyRelu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : v * p0; } return;
    case 'elu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : p0 * Math.expm1(v); } return;
    case 'powScalar':
      if (p0 === 2) for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v * v; }
      else for (let i = 0; i < n; i++) out[i] = Math.pow(x[i]!, p0);
      return;
    case 'gelu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2)); } return;
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
