/**
 * Generates the elementwise wasm module: SIMD float32 versions of the compute-bound maps (exp,
 * log, sigmoid, tanh, gelu, softplus), each as a plain map and fused with a bias add. The
 * memory-bound maps (neg, add, copies, relu, ...) stay in JS: copying into wasm memory and back
 * costs more than the loop itself.
 *
 * Accuracy: exp and log are Cephes-style range reductions with minimax polynomials (about 1-2
 * float32 ulps); the others are built from them. Special values follow the reference backend:
 * NaN propagates, exp overflows to Inf and underflows through subnormals to 0, log(0) = -Inf,
 * log(x < 0) = NaN, sigmoid/tanh saturate at their limits.
 *
 *   map_<op>(src, dst, nVec)              dst[i] = op(src[i]) for 4·nVec floats
 *   bias_<op>(z, bias, dst, rows, cols)   dst[r, j] = op(z[r, j] + bias[j]); rows in order, so
 *                                         the tail vector of a row may spill into the next one
 *                                         (rewritten right after); dst must not alias z.
 */
import { buildModule, Code, FuncDef, I32, V128, ValType } from './emitter.js';
import { MEMORY_MAX_PAGES } from './kernels.js';

export type WasmMapOp = 'exp' | 'log' | 'sigmoid' | 'tanh' | 'gelu' | 'softplus';
export const WASM_MAP_OPS: readonly WasmMapOp[] = ['exp', 'log', 'sigmoid', 'tanh', 'gelu', 'softplus'];

export interface ElementwiseKernels {
  [name: `map_${string}`]: (src: number, dst: number, nVec: number) => void;
  map3_geluGrad: (g: number, x: number, y: number, dst: number, nVec: number) => void;
  [name: `bias_${string}`]: (z: number, bias: number, dst: number, rows: number, cols: number) => void;
}

/** Hands out v128 locals after a function's fixed locals. */
export class Regs {
  private next: number;
  readonly types: ValType[] = [];
  constructor(first: number) { this.next = first; }
  v(): number { this.types.push(V128); return this.next++; }
}

/** c.get(a) ... : evaluates `poly` = coefs[0]·x^(n−1) + ... + coefs[n−1] by Horner, leaves it on the stack. */
function horner(c: Code, x: number, coefs: readonly number[]): void {
  c.f32x4Const(coefs[0]!);
  for (let i = 1; i < coefs.length; i++) c.get(x).f32x4Mul().f32x4Const(coefs[i]!).f32x4Add();
}

/** out = e^x (x unchanged). */
export function emitExp(c: Code, R: Regs, x: number, out: number): void {
  const t = R.v(), n = R.v(), r = R.v(), ni = R.v();
  // clamp keeps n within [-150, 128]; beyond it the result is 0 or Inf anyway. pmax/pmin with x
  // first let NaN through and cost one instruction each (max/min cost several)
  c.get(x).f32x4Const(-104).f32x4Pmax().f32x4Const(89).f32x4Pmin().set(t);
  c.get(t).f32x4Const(Math.LOG2E).f32x4Mul().f32x4Nearest().set(n);
  // r = t − n·ln2 in two parts (hi part exact in float32)
  c.get(t).get(n).f32x4Const(0.693359375).f32x4Mul().f32x4Sub();
  c.get(n).f32x4Const(-2.12194440e-4).f32x4Mul().f32x4Sub().set(r);
  horner(c, r, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]);
  c.get(r).f32x4Mul().get(r).f32x4Mul().get(r).f32x4Add().f32x4Const(1).f32x4Add().set(out);
  // scale by 2^n as 2^(n>>1) · 2^(n − (n>>1)): both factors are normal floats, so overflow
  // and gradual underflow happen in the final multiplies exactly as they should
  // n is a whole number in [-150, 128]: adding 1.5·2²³ puts it in the low mantissa bits, exactly
  // (a cheaper float → int conversion than the saturating truncation)
  c.get(n).f32x4Const(12582912).f32x4Add().i32x4Const(0x4b400000).i32x4Sub().set(ni);
  c.get(out);
  c.get(ni).i32(1).i32x4ShrS().i32x4Const(127).i32x4Add().i32(23).i32x4Shl().f32x4Mul();
  c.get(ni).get(ni).i32(1).i32x4ShrS().i32x4Sub().i32x4Const(127).i32x4Add().i32(23).i32x4Shl().f32x4Mul();
  c.set(out);
}

/** out = ln(x). */
function emitLog(c: Code, R: Regs, x: number, out: number): void {
  const xs = R.v(), sub = R.v(), e = R.v(), m = R.v(), big = R.v(), z = R.v(), y = R.v();
  // subnormals: scale by 2^23 first
  c.get(x).f32x4Const(1.17549435e-38).f32x4Lt().set(sub);
  c.get(x).f32x4Const(8388608).f32x4Mul().get(x).get(sub).v128Bitselect().set(xs);
  // x = m · 2^e with m in [1, 2)
  c.get(xs).i32(23).i32x4ShrU().i32x4Const(127).i32x4Sub().f32x4ConvertI32x4S();
  c.get(sub).f32x4Const(23).v128And().f32x4Sub().set(e);
  c.get(xs).i32x4Const(0x007fffff).v128And().i32x4Const(0x3f800000).v128Or().set(m);
  // m in (√2, 2) → m/2, e+1, so f = m − 1 lies in [−0.293, 0.414]
  c.get(m).f32x4Const(Math.SQRT2).f32x4Gt().set(big);
  c.get(m).f32x4Const(0.5).f32x4Mul().get(m).get(big).v128Bitselect().f32x4Const(1).f32x4Sub().set(m);
  c.get(e).get(big).f32x4Const(1).v128And().f32x4Add().set(e);
  c.get(m).get(m).f32x4Mul().set(z);
  horner(c, m, [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]);
  c.get(m).f32x4Mul().get(z).f32x4Mul();
  c.get(e).f32x4Const(-2.12194440e-4).f32x4Mul().f32x4Add();
  c.get(z).f32x4Const(0.5).f32x4Mul().f32x4Sub().set(y);
  c.get(m).get(y).f32x4Add().get(e).f32x4Const(0.693359375).f32x4Mul().f32x4Add().set(out);
  // specials: log(+Inf) = Inf, log(0) = −Inf, log(x < 0) = NaN, NaN stays NaN
  c.get(x).get(out).get(x).f32x4Const(Infinity).f32x4Eq().v128Bitselect().set(out);
  c.f32x4Const(-Infinity).get(out).get(x).f32x4Const(0).f32x4Eq().v128Bitselect().set(out);
  c.get(out).f32x4Const(NaN).get(x).f32x4Const(0).f32x4Ge().v128Bitselect().set(out);
}

/** 1/(1+e^−x) for x ≥ 0, e^x/(1+e^x) for x < 0: e^−|x| never overflows (the reference's split). */
function emitSigmoid(c: Code, R: Regs, x: number, out: number): void {
  const a = R.v(), e = R.v();
  c.get(x).f32x4Abs().f32x4Neg().set(a);
  emitExp(c, R, a, e);
  c.f32x4Const(1).get(e).f32x4Const(1).f32x4Add().f32x4Div().set(a);
  // x ≥ 0 (or NaN, which the e/(1+e) branch keeps NaN too): 1/(1+e), else e/(1+e)
  c.get(e).get(a).f32x4Mul().get(a).get(x).f32x4Const(0).f32x4Lt().v128Bitselect().set(out);
}

/** tanh: an odd polynomial for |x| < 0.625 (no cancellation), else (1 − e)/(1 + e) with e = e^−2|x|. */
function emitTanh(c: Code, R: Regs, x: number, out: number): void {
  const ax = R.v(), e = R.v(), z = R.v(), small = R.v();
  c.get(x).f32x4Abs().set(ax);
  c.get(ax).f32x4Const(-2).f32x4Mul().set(z);
  emitExp(c, R, z, e);
  c.f32x4Const(1).get(e).f32x4Sub().f32x4Const(1).get(e).f32x4Add().f32x4Div().set(e);
  c.get(x).get(x).f32x4Mul().set(z);
  horner(c, z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
  c.get(z).f32x4Mul().get(ax).f32x4Mul().get(ax).f32x4Add().set(z);
  c.get(ax).f32x4Const(0.625).f32x4Lt().set(small);
  c.get(z).get(e).get(small).v128Bitselect();
  // restore the sign of x
  c.get(x).i32x4Const(-0x80000000).v128And().v128Or().set(out);
}

/** log1p(u) for u ≥ 0 as log(w)·u/(w − 1), w = 1 + u: exact for tiny u where log(1 + u) is 0. */
function emitLog1p(c: Code, R: Regs, u: number, out: number): void {
  const w = R.v(), d = R.v(), l = R.v();
  c.get(u).f32x4Const(1).f32x4Add().set(w);
  c.get(w).f32x4Const(1).f32x4Sub().set(d);
  emitLog(c, R, w, l);
  c.get(u);
  c.get(l).get(u).get(d).f32x4Div().f32x4Mul();
  c.get(d).f32x4Const(0).f32x4Eq().v128Bitselect().set(out);
}

/** max(x, 0) + log1p(e^−|x|), as the reference. */
function emitSoftplus(c: Code, R: Regs, x: number, out: number): void {
  const a = R.v(), e = R.v(), l = R.v();
  c.get(x).f32x4Abs().f32x4Neg().set(a);
  emitExp(c, R, a, e);
  emitLog1p(c, R, e, l);
  // NaN: max(NaN, 0) is NaN in wasm, so it propagates
  c.get(x).f32x4Const(0).f32x4Max().get(l).f32x4Add().set(out);
}

/**
 * gelu(x) = x·Φ(x) = ½x·erfc(−x/√2). erfc(|t|) by a Chebyshev fit with relative error < 1.2e-7
 * on the whole line, so the small negative tail keeps its relative accuracy; Φ(x) for x ≥ 0 is
 * 1 − ½erfc(|t|).
 */
function emitGelu(c: Code, R: Regs, x: number, out: number): void {
  emitPhi2(c, R, x, out);
  c.get(out).get(x).f32x4Const(0.5).f32x4Mul().f32x4Mul().set(out);
}

/**
 * g·gelu'(x) = g·(Φ(x) + x·φ(x)) with Φ(x) = y/x from the forward's output y = x·Φ(x) (½ at
 * x = 0), so only φ(x) = e^(−x²/2)/√(2π) is computed: one exp instead of erf and an exp.
 */
function emitGeluGrad(c: Code, R: Regs, g: number, x: number, y: number, out: number): void {
  const e = R.v(), h = R.v(), cdf = R.v();
  c.get(y).get(x).f32x4Div().f32x4Const(0.5).get(x).f32x4Const(0).f32x4Ne().v128Bitselect().set(cdf);
  // φ below e^−87 (|x| > 13) is written as 0 rather than computed through subnormals (slow on x86)
  const small = R.v();
  c.get(x).get(x).f32x4Mul().f32x4Const(-0.5).f32x4Mul().set(h);
  c.get(h).f32x4Const(-87).f32x4Lt().set(small);
  c.get(h).f32x4Const(-87).f32x4Pmax().set(h);
  emitExp(c, R, h, e);
  c.v128Zero().get(e).get(small).v128Bitselect().set(e);
  c.get(cdf);
  c.get(x).get(e).f32x4Const(0.3989422804014327).f32x4Mul().f32x4Mul().f32x4Add();
  c.get(g).f32x4Mul().set(out);
}

/** out = 1 + erf(x/√2) = 2Φ(x), the part gelu and its derivative share. */
function emitPhi2(c: Code, R: Regs, x: number, out: number): void {
  const z = R.v(), t = R.v(), ec = R.v();
  // |t| capped at 12: erfc(12) underflows to 0 anyway, and Inf would turn the split below into NaN
  c.get(x).f32x4Abs().f32x4Const(Math.SQRT1_2).f32x4Mul().f32x4Const(12).f32x4Pmin().set(z);
  c.f32x4Const(1).get(z).f32x4Const(0.5).f32x4Mul().f32x4Const(1).f32x4Add().f32x4Div().set(t);
  horner(c, t, [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223]);
  // exp(P − z²) with z² split exactly (zh has 12 significant bits, so zh² is exact) and the
  // rounding of the sum carried as a first-order correction: |x| near 3 would lose ~10 ulps
  const zh = R.v(), lo = R.v(), s = R.v(), bb = R.v();
  c.set(lo);
  c.get(z).i32x4Const(-4096).v128And().set(zh);
  c.get(lo).get(z).get(zh).f32x4Sub().get(z).get(zh).f32x4Add().f32x4Mul().f32x4Sub().set(lo);
  c.get(zh).get(zh).f32x4Mul().f32x4Neg().set(zh); // hi = −zh²
  // TwoSum(hi, lo) = s + err
  c.get(zh).get(lo).f32x4Add().set(s);
  c.get(s).get(zh).f32x4Sub().set(bb);
  c.get(zh).get(s).get(bb).f32x4Sub().f32x4Sub().get(lo).get(bb).f32x4Sub().f32x4Add().set(lo);
  emitExp(c, R, s, ec);
  c.get(ec).get(lo).f32x4Const(1).f32x4Add().f32x4Mul().get(t).f32x4Mul().set(ec); // erfc(|t|)
  // 1 + erf(x/√2): erfc(|t|) for x < 0, 2 − erfc(|t|) otherwise
  c.get(ec).f32x4Const(2).get(ec).f32x4Sub().get(x).f32x4Const(0).f32x4Lt().v128Bitselect().set(out);
}

const EMIT: Record<WasmMapOp, (c: Code, R: Regs, x: number, out: number) => void> = {
  exp: emitExp, log: emitLog, sigmoid: emitSigmoid, tanh: emitTanh, gelu: emitGelu, softplus: emitSoftplus,
};

function genMap(op: WasmMapOp): FuncDef {
  const c = new Code();
  const src = 0, dst = 1, n = 2;
  const R = new Regs(3);
  const x = R.v(), y = R.v();
  c.block().loop();
  c.get(n).eqz().brIf(1);
  c.get(src).v128Load().set(x);
  EMIT[op](c, R, x, y);
  c.get(dst).get(y).v128Store();
  c.inc(src, 16).inc(dst, 16).inc(n, -1);
  c.br(0).end().end();
  return { name: `map_${op}`, params: [I32, I32, I32], results: [], locals: R.types, code: c };
}

function genBias(op: WasmMapOp): FuncDef {
  const c = new Code();
  const z = 0, bias = 1, dst = 2, rows = 3, cols = 4;
  const j = 5, b = 6, zr = 7, dr = 8, rowBytes = 9;
  const R = new Regs(10);
  const x = R.v(), y = R.v();
  const locals: ValType[] = [I32, I32, I32, I32, I32];
  c.get(cols).i32(4).mul().set(rowBytes);
  c.block().loop();
  c.get(rows).eqz().brIf(1);
  c.get(z).set(zr).get(dst).set(dr).get(bias).set(b).get(cols).set(j);
  c.block().loop();
  c.get(j).i32(0).leS().brIf(1);
  // the sum is rounded to float32 before the map, as add followed by the map would
  c.get(zr).v128Load().get(b).v128Load().f32x4Add().set(x);
  EMIT[op](c, R, x, y);
  c.get(dr).get(y).v128Store();
  c.inc(zr, 16).inc(dr, 16).inc(b, 16).inc(j, -4);
  c.br(0).end().end();
  c.incBy(z, rowBytes).incBy(dst, rowBytes).inc(rows, -1);
  c.br(0).end().end();
  return { name: `bias_${op}`, params: [I32, I32, I32, I32, I32], results: [], locals: [...locals, ...R.types], code: c };
}

/** map3_geluGrad(g, x, y, dst, nVec): dst[i] = g[i]·gelu'(x[i]) for 4·nVec floats, y = gelu(x). */
function genGeluGrad(): FuncDef {
  const c = new Code();
  const gp = 0, xp = 1, yp = 2, dst = 3, n = 4;
  const R = new Regs(5);
  const g = R.v(), x = R.v(), y = R.v(), d = R.v();
  c.block().loop();
  c.get(n).eqz().brIf(1);
  c.get(gp).v128Load().set(g);
  c.get(xp).v128Load().set(x);
  c.get(yp).v128Load().set(y);
  emitGeluGrad(c, R, g, x, y, d);
  c.get(dst).get(d).v128Store();
  c.inc(gp, 16).inc(xp, 16).inc(yp, 16).inc(dst, 16).inc(n, -1);
  c.br(0).end().end();
  return { name: 'map3_geluGrad', params: [I32, I32, I32, I32, I32], results: [], locals: R.types, code: c };
}

/** Module bytes importing env.memory (shared when `shared`, matching the GEMM module's memory). */
export function genElementwiseModule(shared: boolean, initialPages: number): Uint8Array<ArrayBuffer> {
  const funcs: FuncDef[] = [genGeluGrad()];
  for (const op of WASM_MAP_OPS) funcs.push(genMap(op), genBias(op));
  return buildModule({ module: 'env', name: 'memory', initial: initialPages, maximum: MEMORY_MAX_PAGES, shared }, funcs);
}
