/**
 * Elementwise kernels: unary maps, broadcasting binary maps, where, cast, and the fused bias +
 * activation and activation-gradient passes. A new op is one entry in UNARY or BINARY: the
 * tables are typed over the op-name unions, so an op without WGSL fails to compile.
 */
import type { ActGradActivation, BiasActivation, BinaryOp, DType, Shape, UnaryOp } from '../../backend.js';
import type { Kernel } from '../runtime.js';
import { MAIN_1D, MAX_RANK, broadcastStrides, isFlat, layoutParams, mergeDims, offsetsCode, wgslType, type Scalar } from './common.js';
import { ShapeError } from '../../../errors.js';

/** A WGSL expression of `v` (the compute type), with p0/p1 the op's scalar parameters. */
type UnaryExpr = (v: string) => string;

interface UnaryEntry {
  /** the float32 form (int32 inputs are converted to f32 unless `i32` is given) */
  f32: UnaryExpr;
  /**
   * the result for a NaN input (default: NaN, as on the CPU). Checked before `f32` runs, because
   * drivers need not propagate NaN through builtins (SwiftShader's exp(NaN) is +inf, log(NaN) 89).
   */
  nan?: string;
  /** a form that stays in i32 for int32 inputs */
  i32?: UnaryExpr;
}

/** WGSL helpers the expressions call; guarded against NaN/inf where WGSL leaves results undefined. */
export const MATH_WGSL = `
fn sigmoid_(v: f32) -> f32 { if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); } let e = exp(v); return e / (1.0 + e); }
fn tanh_(v: f32) -> f32 {
  let a = abs(v);
  if (a < 0.0625) { let s = v * v; return v * (1.0 + s * (-0.33333333 + s * (0.13333333 + s * -0.053968254))); }
  let t = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
  return select(t, -t, v < 0.0);
}
fn log_(v: f32) -> f32 { if (v < 0.0) { return nan_f32(); } if (v == 0.0) { return -inf_f32(); } return log(v); }
fn sqrt_(v: f32) -> f32 { if (v < 0.0) { return nan_f32(); } return sqrt(v); }
fn log1p_(y: f32) -> f32 {
  let u = 1.0 + y;
  if (u == 1.0) { return y; }
  if (u <= 0.0 || !is_finite(u)) { return log_(u); }
  return log(u) * (y / (u - 1.0));
}
fn log2_(v: f32) -> f32 { if (v < 0.0) { return nan_f32(); } if (v == 0.0) { return -inf_f32(); } return log2(v); }
// through atan2, which drivers compute more closely than their asin/acos (SwiftShader's acos is off by 7e-5)
fn asin_(v: f32) -> f32 { if (abs(v) > 1.0) { return nan_f32(); } if (v == 0.0) { return v; } return atan2(v, sqrt((1.0 - v) * (1.0 + v))); }
fn acos_(v: f32) -> f32 { if (abs(v) > 1.0) { return nan_f32(); } return atan2(sqrt((1.0 - v) * (1.0 + v)), v); }
// sin and cos from a reduction by π/2 in two parts and short polynomials, accurate to a few ulp
// for |v| up to ~1e5 (WGSL promises only 2^-11 absolute for its builtins)
fn sincos_(v: f32) -> vec2<f32> {
  let q = round(v * 0.63661977);
  var r = v - q * 1.5707963;
  r = r - q * 7.5497894e-8;
  let s = r * r;
  let sn = r * (1.0 + s * (-0.16666667 + s * (0.0083333310 + s * (-0.00019840874 + s * 2.7525562e-6))));
  let cs = 1.0 + s * (-0.5 + s * (0.041666638 + s * (-0.0013888378 + s * 2.4760495e-5)));
  let k = i32(q) & 3;
  if (k == 0) { return vec2<f32>(sn, cs); }
  if (k == 1) { return vec2<f32>(cs, -sn); }
  if (k == 2) { return vec2<f32>(-sn, -cs); }
  return vec2<f32>(-cs, sn);
}
fn sinh_(v: f32) -> f32 { if (abs(v) < 0.5) { return 0.5 * (expm1_(v) - expm1_(-v)); } return 0.5 * (exp(v) - exp(-v)); }
fn cosh_(v: f32) -> f32 { return 0.5 * (exp(v) + exp(-v)); }
fn hardsigmoid_(v: f32) -> f32 { return min(max(v + 3.0, 0.0), 6.0) / 6.0; }
// C's fmod (the dividend's sign), as JS's %
fn fmod_(a: f32, b: f32) -> f32 {
  if (b == 0.0 || !is_finite(a) || is_nan(b)) { return nan_f32(); }
  if (!is_finite(b)) { return a; }
  let r = a - trunc(a / b) * b;
  // a / b rounded up past an integer leaves r a hair outside (−|b|, |b|) or of the wrong sign
  if (abs(r) >= abs(b)) { return a - trunc(a / b - sign(a / b)) * b; }
  if (r != 0.0 && (r < 0.0) != (a < 0.0)) { return r + select(abs(b), -abs(b), a < 0.0); }
  return r;
}
fn remainder_(a: f32, b: f32) -> f32 { let r = fmod_(a, b); if (r != 0.0 && (r < 0.0) != (b < 0.0)) { return r + b; } return r; }
fn ifmod_(a: i32, b: i32) -> i32 { if (b == 0 || b == -1) { return 0; } return a % b; }
fn iremainder_(a: i32, b: i32) -> i32 { let r = ifmod_(a, b); if (r != 0 && (r < 0) != (b < 0)) { return r + b; } return r; }
fn expm1_(x: f32) -> f32 { if (abs(x) > 0.5) { return exp(x) - 1.0; } let u = exp(x); if (u == 1.0) { return x; } return (u - 1.0) * x / log(u); }
fn sign_(v: f32) -> f32 { return select(select(0.0, 1.0, v > 0.0), -1.0, v < 0.0); }
fn erf_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 0.5) {
    let s = a * a;
    r = 1.1283791671 * a * (1.0 + s * (-0.33333333 + s * (0.1 + s * (-0.023809524 + s * (0.0046296296 + s * -0.00075757576)))));
  } else {
    // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    r = 1.0 - p * exp(-a * a);
  }
  return select(r, -r, x < 0.0);
}
fn gelu_(v: f32) -> f32 { return 0.5 * v * (1.0 + erf_(v * 0.70710678)); }
fn softplus_(v: f32) -> f32 { return max(v, 0.0) + log1p_(exp(-abs(v))); }
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (a == 0.0) { return select(0.0, inf_f32(), b < 0.0); }
  let integral = floor(b) == b;
  let oddInt = integral && abs(b) < 16777216.0 && floor(b * 0.5) != b * 0.5;
  if (!is_finite(a)) {
    // IEEE pow: (±inf)^b is inf or 0 by the sign of b, negative only for odd integer b
    let r = select(0.0, inf_f32(), b > 0.0);
    return select(r, -r, a < 0.0 && oddInt);
  }
  if (a < 0.0) {
    if (!integral) { return nan_f32(); }
    let r = exp2(b * log2(-a));
    return select(r, -r, oddInt);
  }
  return exp2(b * log2(a));
}
fn ipow_(a: i32, b: i32) -> i32 {
  if (b < 0) { if (a == 1) { return 1; } if (a == -1) { return select(1, -1, (b & 1) != 0); } return 0; }
  var r = 1; var base = a; var e = b;
  loop { if (e == 0) { break; } if ((e & 1) != 0) { r = r * base; } base = base * base; e = e >> 1u; }
  return r;
}
fn idiv_(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } return a / b; }
fn fmax_(a: f32, b: f32) -> f32 { if (is_nan(a) || a >= b) { return a; } return b; }
fn fmin_(a: f32, b: f32) -> f32 { if (is_nan(a) || a <= b) { return a; } return b; }
`;

/** Every unary op, in WGSL. */
export const UNARY: Record<UnaryOp, UnaryEntry> = {
  copy: { f32: (v) => v, i32: (v) => v },
  neg: { f32: (v) => `-${v}`, i32: (v) => `-${v}` },
  exp: { f32: (v) => `exp(${v})` },
  log: { f32: (v) => `log_(${v})` },
  sqrt: { f32: (v) => `sqrt_(${v})` },
  abs: { f32: (v) => `abs(${v})`, i32: (v) => `abs(${v})` },
  // sign(NaN) is 0, as in PyTorch
  sign: { f32: (v) => `sign_(${v})`, i32: (v) => `sign(${v})`, nan: '0.0' },
  ceil: { f32: (v) => `ceil(${v})`, i32: (v) => v },
  // WGSL's round is half to even, as the CPU's
  round: { f32: (v) => `round(${v})`, i32: (v) => v },
  trunc: { f32: (v) => `trunc(${v})`, i32: (v) => v },
  expm1: { f32: (v) => `expm1_(${v})` },
  log1p: { f32: (v) => `log1p_(${v})` },
  log2: { f32: (v) => `log2_(${v})` },
  log10: { f32: (v) => `log2_(${v}) * 0.30102999566` },
  rsqrt: { f32: (v) => `1.0 / sqrt_(${v})` },
  reciprocal: { f32: (v) => `1.0 / ${v}` },
  sin: { f32: (v) => `select(sincos_(${v}).x, nan_f32(), !is_finite(${v}))` },
  cos: { f32: (v) => `select(sincos_(${v}).y, nan_f32(), !is_finite(${v}))` },
  tan: { f32: (v) => `select(sincos_(${v}).x / sincos_(${v}).y, nan_f32(), !is_finite(${v}))` },
  asin: { f32: (v) => `asin_(${v})` },
  acos: { f32: (v) => `acos_(${v})` },
  atan: { f32: (v) => `atan(${v})` },
  sinh: { f32: (v) => `sinh_(${v})` },
  cosh: { f32: (v) => `cosh_(${v})` },
  silu: { f32: (v) => `${v} * sigmoid_(${v})` },
  mish: { f32: (v) => `${v} * tanh_(softplus_(${v}))` },
  hardsigmoid: { f32: (v) => `hardsigmoid_(${v})` },
  hardswish: { f32: (v) => `${v} * min(max(${v} + 3.0, 0.0), 6.0) / 6.0` },
  isnan: { f32: () => '0.0', i32: () => '0', nan: '1.0' },
  sigmoid: { f32: (v) => `sigmoid_(${v})` },
  tanh: { f32: (v) => `tanh_(${v})` },
  relu: { f32: (v) => `select(0.0, ${v}, ${v} > 0.0)`, i32: (v) => `max(${v}, 0)` },
  softplus: { f32: (v) => `softplus_(${v})` },
  erf: { f32: (v) => `erf_(${v})` },
  leakyRelu: { f32: (v) => `select(${v} * p0, ${v}, ${v} > 0.0)` },
  elu: { f32: (v) => `select(p0 * expm1_(${v}), ${v}, ${v} > 0.0)` },
  powScalar: { f32: (v) => `pow_(${v}, p0)` },
  gelu: { f32: (v) => `gelu_(${v})` },
  floor: { f32: (v) => `floor(${v})`, i32: (v) => v },
  isfinite: { f32: (v) => `select(0.0, 1.0, is_finite(${v}))`, i32: () => '1', nan: '0.0' },
  // NaN stays NaN: neither comparison holds
  clamp: { f32: (v) => `select(select(${v}, p1, ${v} > p1), p0, ${v} < p0)` },
};

/** A WGSL expression of a and b (both the compute type) giving the compute type. */
type BinaryExpr = (a: string, b: string) => string;

/**
 * Every binary op, in WGSL: the float32 form, and one that stays in i32 for two int32 operands
 * (without it they are computed in f32). Comparisons give 1 or 0.
 */
export const BINARY: Record<BinaryOp, { f32: BinaryExpr; i32?: BinaryExpr }> = {
  add: { f32: (a, b) => `${a} + ${b}`, i32: (a, b) => `${a} + ${b}` },
  sub: { f32: (a, b) => `${a} - ${b}`, i32: (a, b) => `${a} - ${b}` },
  mul: { f32: (a, b) => `${a} * ${b}`, i32: (a, b) => `${a} * ${b}` },
  div: { f32: (a, b) => `${a} / ${b}`, i32: (a, b) => `idiv_(${a}, ${b})` },
  pow: { f32: (a, b) => `pow_(${a}, ${b})`, i32: (a, b) => `ipow_(${a}, ${b})` },
  atan2: { f32: (a, b) => `atan2(${a}, ${b})` },
  fmod: { f32: (a, b) => `fmod_(${a}, ${b})`, i32: (a, b) => `ifmod_(${a}, ${b})` },
  remainder: { f32: (a, b) => `remainder_(${a}, ${b})`, i32: (a, b) => `iremainder_(${a}, ${b})` },
  maximum: { f32: (a, b) => `fmax_(${a}, ${b})`, i32: (a, b) => `max(${a}, ${b})` },
  minimum: { f32: (a, b) => `fmin_(${a}, ${b})`, i32: (a, b) => `min(${a}, ${b})` },
  eq: { f32: (a, b) => `select(0.0, 1.0, ${a} == ${b})`, i32: (a, b) => `select(0, 1, ${a} == ${b})` },
  // not (a == b): some drivers compare != as ordered, which is false for NaN
  ne: { f32: (a, b) => `select(1.0, 0.0, ${a} == ${b})`, i32: (a, b) => `select(0, 1, ${a} != ${b})` },
  lt: { f32: (a, b) => `select(0.0, 1.0, ${a} < ${b})`, i32: (a, b) => `select(0, 1, ${a} < ${b})` },
  le: { f32: (a, b) => `select(0.0, 1.0, ${a} <= ${b})`, i32: (a, b) => `select(0, 1, ${a} <= ${b})` },
  gt: { f32: (a, b) => `select(0.0, 1.0, ${a} > ${b})`, i32: (a, b) => `select(0, 1, ${a} > ${b})` },
  ge: { f32: (a, b) => `select(0.0, 1.0, ${a} >= ${b})`, i32: (a, b) => `select(0, 1, ${a} >= ${b})` },
};

/** Converts a value of type `from` to `to` in WGSL (float→int truncates toward zero; NaN → 0). */
export function convert(expr: string, from: Scalar, to: Scalar): string {
  if (from === to) return expr;
  if (to === 'f32') return `f32(${expr})`;
  return `ftoi_(${expr})`;
}

const CONVERT_WGSL = 'fn ftoi_(v: f32) -> i32 { if (is_nan(v)) { return 0; } return i32(v); }\n';

export interface UnaryCall { kernel: Kernel; params: number[] }

/** out[i] = op(x[i]) with p0, p1 as the op's scalars. */
export function unaryKernel(op: UnaryOp, xDtype: DType, outDtype: DType): Kernel {
  const tx = wgslType(xDtype, op), to = wgslType(outDtype, op);
  const entry = UNARY[op];
  const ct: Scalar = tx === 'i32' && entry.i32 ? 'i32' : 'f32';
  const expr = (ct === 'i32' ? entry.i32! : entry.f32)('v');
  return {
    key: `unary:${op}:${tx}:${to}`,
    decls: [{ name: 'x', type: tx, access: 'read' }, { name: 'o', type: to, access: 'write' }],
    body: () => `${MATH_WGSL}${CONVERT_WGSL}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let p0 = pf(1u); let p1 = pf(2u);
  let v = ${convert('x[i]', tx, ct)};
${ct === 'f32' ? `  if (is_nan(v)) { o[i] = ${convert(`(${entry.nan ?? 'v'})`, 'f32', to)}; return; }
` : ''}  o[i] = ${convert(`(${expr})`, ct, to)};
}`,
  };
}

/** Layout of a broadcast op: merged dims, with each input's strides; throws past MAX_RANK. */
function broadcastLayout(op: string, inShapes: readonly Shape[], outShape: Shape): ReturnType<typeof mergeDims> {
  const l = mergeDims(outShape, inShapes.map((s) => broadcastStrides(s, outShape)));
  if (l.dims.length > MAX_RANK) throw new ShapeError(`${op}: webgpu supports broadcasting over at most ${MAX_RANK} merged dims, got ${l.dims.length}`);
  return l;
}

/** out = a op b, NumPy broadcasting. Returns the kernel and its parameters. */
export function binaryCall(op: BinaryOp, aDtype: DType, aShape: Shape, bDtype: DType, bShape: Shape, outDtype: DType, outShape: Shape, n: number): UnaryCall {
  const ta = wgslType(aDtype, op), tb = wgslType(bDtype, op), to = wgslType(outDtype, op);
  const entry = BINARY[op];
  const ct: Scalar = ta === 'f32' || tb === 'f32' || !entry.i32 ? 'f32' : 'i32';
  const l = broadcastLayout(op, [aShape, bShape], outShape);
  const flat = isFlat(l);
  const rank = flat ? 0 : l.dims.length;
  const expr = (ct === 'i32' ? entry.i32! : entry.f32)(convert('a[ia]', ta, ct), convert('b[ib]', tb, ct));
  const index = flat ? '  let ia = i; let ib = i;\n' : offsetsCode(rank, 2, 1, ['ia', 'ib']);
  const kernel: Kernel = {
    key: `binary:${op}:${ta}:${tb}:${to}:${rank}`,
    decls: [{ name: 'a', type: ta, access: 'read' }, { name: 'b', type: tb, access: 'read' }, { name: 'o', type: to, access: 'write' }],
    body: () => `${MATH_WGSL}${CONVERT_WGSL}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
${index}  o[i] = ${convert(`(${expr})`, ct, to)};
}`,
  };
  return { kernel, params: flat ? [n] : [n, ...layoutParams(l)] };
}

/** out = cond != 0 ? a : b, all broadcast to outShape. */
export function whereCall(condDtype: DType, condShape: Shape, dtype: DType, aShape: Shape, bShape: Shape, outShape: Shape, n: number): UnaryCall {
  const tc = wgslType(condDtype, 'where'), t = wgslType(dtype, 'where');
  const l = broadcastLayout('where', [condShape, aShape, bShape], outShape);
  const flat = isFlat(l);
  const rank = flat ? 0 : l.dims.length;
  const index = flat ? '  let ic = i; let ia = i; let ib = i;\n' : offsetsCode(rank, 3, 1, ['ic', 'ia', 'ib']);
  const zero = tc === 'f32' ? '0.0' : '0';
  const kernel: Kernel = {
    key: `where:${tc}:${t}:${rank}`,
    decls: [{ name: 'c', type: tc, access: 'read' }, { name: 'a', type: t, access: 'read' }, { name: 'b', type: t, access: 'read' }, { name: 'o', type: t, access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
${index}  o[i] = select(b[ib], a[ia], c[ic] != ${zero});
}`,
  };
  return { kernel, params: flat ? [n] : [n, ...layoutParams(l)] };
}

/** out = x converted to out's dtype (float→int truncates toward zero). */
export function castKernel(xDtype: DType, outDtype: DType): Kernel {
  const tx = wgslType(xDtype, 'cast'), to = wgslType(outDtype, 'cast');
  return {
    key: `cast:${tx}:${to}`,
    decls: [{ name: 'x', type: tx, access: 'read' }, { name: 'o', type: to, access: 'write' }],
    body: () => `${CONVERT_WGSL}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  o[i] = ${convert('x[i]', tx, to)};
}`,
  };
}

/** out[r, j] = act(z[r, j] + bias[j]); params: [n, cols]. */
export function biasActKernel(act: BiasActivation, dtype: DType): Kernel {
  const t = wgslType(dtype, 'biasAct');
  const sum = t === 'f32' ? 'z[i] + bias[i % pu(1u)]' : 'f32(z[i] + bias[i % pu(1u)])';
  const mapped = act === 'none' ? 'v' : UNARY[act].f32('v');
  return {
    key: `biasAct:${act}:${t}`,
    decls: [{ name: 'z', type: t, access: 'read' }, { name: 'bias', type: t, access: 'read' }, { name: 'o', type: t, access: 'write' }],
    body: () => `${MATH_WGSL}${CONVERT_WGSL}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let p0 = 0.0; let p1 = 0.0;
  let v = ${sum};
  if (is_nan(v)) { o[i] = ${convert(`(${act === 'none' ? 'v' : UNARY[act].nan ?? 'v'})`, 'f32', t)}; return; }
  o[i] = ${convert(`(${mapped})`, 'f32', t)};
}`,
  };
}

/** out = g · act'(y) from the activation's saved output y. */
export function actGradKernel(act: ActGradActivation, dtype: DType): Kernel {
  const t = wgslType(dtype, 'actGrad');
  const expr = act === 'sigmoid' ? 'g[i] * (y[i] * (1.0 - y[i]))' : act === 'tanh' ? 'g[i] * (1.0 - y[i] * y[i])' : 'select(0.0, g[i], y[i] > 0.0)';
  return {
    key: `actGrad:${act}:${t}`,
    decls: [{ name: 'g', type: 'f32', access: 'read' }, { name: 'y', type: 'f32', access: 'read' }, { name: 'o', type: 'f32', access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  o[i] = ${expr};
}`,
  };
}
