/**
 * Row-wise SIMD kernels on the wasm runtime's memory: the attention softmax and its gradient,
 * and layer normalization and its gradient. Rows are processed four floats at a time.
 *
 *   softmax_rows(p, rows, cols, ldBytes, scale, causal)   in place: p[r, :] = softmax(scale·p[r, :]),
 *       keys after r masked when causal; the row padding up to a multiple of 4 comes out 0
 *   softmax_grad_rows(p, dp, rows, cols, ldBytes, scale)  in place: dp = scale·p ⊙ (dp − Σ p⊙dp)
 *   layernorm_rows(x, w, b, out, rows, cols, eps, flags)  out = (x − μ)/σ (·w if flags&1) (+b if flags&2);
 *       cols a multiple of 4
 *   layernorm_grad_rows(g, x, w, dx, dw, db, rows, cols, eps, flags)   dx from g (with w if flags&1),
 *       and dw += g·x̂ (flags&2), db += g (flags&4) summed over the rows
 */
import { buildModule, Code, F32, FuncDef, I32, type ValType } from './emitter.js';
import { emitExp, Regs } from './elementwise.js';
import { MEMORY_MAX_PAGES } from './kernels.js';

export interface RowKernels {
  softmax_rows(p: number, rows: number, cols: number, ld: number, scale: number, causal: number): void;
  softmax_grad_rows(p: number, dp: number, rows: number, cols: number, ld: number, scale: number): void;
  layernorm_rows(x: number, w: number, b: number, out: number, rows: number, cols: number, eps: number, flags: number): void;
  layernorm_grad_rows(g: number, x: number, w: number, dx: number, dw: number, db: number, rows: number, cols: number, eps: number, flags: number): void;
}

/** Horizontal reduction of v128 local v by a binary f32 op, left on the stack. */
function lanes(c: Code, v: number, op: 'add' | 'max'): void {
  c.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1);
  if (op === 'add') c.f32Add(); else c.f32Max();
  c.get(v).f32x4ExtractLane(2);
  if (op === 'add') c.f32Add(); else c.f32Max();
  c.get(v).f32x4ExtractLane(3);
  if (op === 'add') c.f32Add(); else c.f32Max();
}

/** for (j = nvec, q = from; j > 0; j--, q += 16) body(): a loop over the vectors of one row (u, if given, steps along). */
function vectors(c: Code, j: number, q: number, from: number, nvec: number, body: () => void, u = -1): void {
  c.get(nvec).set(j).get(from).set(q);
  c.block().loop();
  c.get(j).eqz().brIf(1);
  body();
  c.inc(q, 16).inc(j, -1);
  if (u >= 0) c.inc(u, 16);
  c.br(0).end().end();
}

/** for (r = 0; r < rows; r++) body(): the row loop of every kernel here (body moves its row pointers on). */
function eachRow(c: Code, r: number, rows: number, body: () => void): void {
  c.i32(0).set(r);
  c.block().loop();
  c.get(r).get(rows).geS().brIf(1);
  body();
  c.inc(r, 1);
  c.br(0).end().end();
}

function genSoftmaxRows(): FuncDef {
  const c = new Code();
  const p = 0, rows = 1, cols = 2, ld = 3, scale = 4, causal = 5;
  const r = 6, n = 7, q = 8, end = 9, nvec = 10, j = 11, mx = 12;
  const R = new Regs(13);
  const vsc = R.v(), vm = R.v(), x = R.v(), e = R.v(), acc = R.v(), small = R.v();
  const locals: ValType[] = [I32, I32, I32, I32, I32, I32, F32];
  c.get(cols).i32(3).add().i32(2).i32ShrU().set(nvec);
  c.get(scale).f32x4Splat().set(vsc);
  eachRow(c, r, rows, () => {
    // visible keys: min(cols, r + 1) under the causal mask, else all
    c.get(cols).get(r).i32(1).add().get(cols).get(r).i32(1).add().ltS().select();
    c.get(cols).get(causal).select().set(n);
    // scale, then mask (masking after scaling keeps −∞ for any sign of scale)
    vectors(c, j, q, p, nvec, () => { c.get(q).get(q).v128Load().get(vsc).f32x4Mul().v128Store(); });
    c.get(p).get(n).i32(4).mul().add().set(q);
    c.get(p).get(nvec).i32(16).mul().add().set(end);
    c.block().loop();
    c.get(q).get(end).geS().brIf(1);
    c.get(q).f32Const(-Infinity).f32Store();
    c.inc(q, 4);
    c.br(0).end().end();
    c.f32x4Const(-Infinity).set(vm);
    vectors(c, j, q, p, nvec, () => { c.get(vm).get(q).v128Load().f32x4Max().set(vm); });
    lanes(c, vm, 'max');
    c.set(mx);
    c.get(mx).f32x4Splat().set(vm);
    c.v128Zero().set(acc);
    vectors(c, j, q, p, nvec, () => {
      // weights below e^−87 (the masked keys among them) are written as 0 without calling exp on
      // them: exp would go through subnormal numbers there, which cost ~100× on x86
      c.get(q).v128Load().get(vm).f32x4Sub().set(x);
      c.get(x).f32x4Const(-87).f32x4Lt().set(small);
      c.get(x).f32x4Const(-87).f32x4Pmax().set(x);
      emitExp(c, R, x, e);
      c.v128Zero().get(e).get(small).v128Bitselect().set(e);
      c.get(q).get(e).v128Store();
      c.get(acc).get(e).f32x4Add().set(acc);
    });
    c.f32Const(1);
    lanes(c, acc, 'add');
    c.f32Div().f32x4Splat().set(vm);
    vectors(c, j, q, p, nvec, () => { c.get(q).get(q).v128Load().get(vm).f32x4Mul().v128Store(); });
    c.incBy(p, ld);
  });
  return { name: 'softmax_rows', params: [I32, I32, I32, I32, F32, I32], results: [], locals: [...locals, ...R.types], code: c };
}

function genSoftmaxGradRows(): FuncDef {
  const c = new Code();
  const p = 0, dp = 1, rows = 2, cols = 3, ld = 4, scale = 5;
  const r = 6, q = 7, u = 8, nvec = 9, j = 10;
  const R = new Regs(11);
  const vsc = R.v(), acc = R.v(), vt = R.v();
  const locals: ValType[] = [I32, I32, I32, I32, I32];
  c.get(cols).i32(3).add().i32(2).i32ShrU().set(nvec);
  c.get(scale).f32x4Splat().set(vsc);
  eachRow(c, r, rows, () => {
    c.v128Zero().set(acc);
    c.get(dp).set(u);
    vectors(c, j, q, p, nvec, () => { c.get(acc).get(q).v128Load().get(u).v128Load().f32x4Mul().f32x4Add().set(acc); }, u);
    lanes(c, acc, 'add');
    c.f32x4Splat().set(vt);
    c.get(dp).set(u);
    vectors(c, j, q, p, nvec, () => {
      c.get(u).get(q).v128Load().get(u).v128Load().get(vt).f32x4Sub().f32x4Mul().get(vsc).f32x4Mul().v128Store();
    }, u);
    c.incBy(p, ld).incBy(dp, ld);
  });
  return { name: 'softmax_grad_rows', params: [I32, I32, I32, I32, I32, F32], results: [], locals: [...locals, ...R.types], code: c };
}

/** Row statistics of a layer-norm row at xr: leaves mean in local `mean` and 1/σ in `rstd`. */
function emitRowStats(c: Code, xr: number, q: number, j: number, nvec: number, cols: number, eps: number, acc: number, vm: number, t: number, mean: number, rstd: number): void {
  c.v128Zero().set(acc);
  vectors(c, j, q, xr, nvec, () => { c.get(acc).get(q).v128Load().f32x4Add().set(acc); });
  lanes(c, acc, 'add');
  c.get(cols).f32ConvertI32S().f32Div().set(mean);
  c.get(mean).f32x4Splat().set(vm);
  c.v128Zero().set(acc);
  vectors(c, j, q, xr, nvec, () => { c.get(q).v128Load().get(vm).f32x4Sub().set(t); c.get(acc).get(t).get(t).f32x4Mul().f32x4Add().set(acc); });
  c.f32Const(1);
  lanes(c, acc, 'add');
  c.get(cols).f32ConvertI32S().f32Div().get(eps).f32Add().f32Sqrt().f32Div().set(rstd);
}

function genLayerNormRows(): FuncDef {
  const c = new Code();
  const x = 0, w = 1, b = 2, out = 3, rows = 4, cols = 5, eps = 6, flags = 7;
  const r = 8, q = 9, j = 10, nvec = 11, wp = 12, bp = 13, op = 14, mean = 15, rstd = 16;
  const R = new Regs(17);
  const acc = R.v(), vm = R.v(), vr = R.v(), t = R.v();
  const locals: ValType[] = [I32, I32, I32, I32, I32, I32, I32, F32, F32];
  c.get(cols).i32(2).i32ShrU().set(nvec);
  eachRow(c, r, rows, () => {
    emitRowStats(c, x, q, j, nvec, cols, eps, acc, vm, t, mean, rstd);
    c.get(rstd).f32x4Splat().set(vr);
    c.get(w).set(wp).get(b).set(bp).get(out).set(op);
    vectors(c, j, q, x, nvec, () => {
      c.get(q).v128Load().get(vm).f32x4Sub().get(vr).f32x4Mul().set(t);
      c.get(flags).i32(1).i32And().if_().get(t).get(wp).v128Load().f32x4Mul().set(t).end();
      c.get(flags).i32(2).i32And().if_().get(t).get(bp).v128Load().f32x4Add().set(t).end();
      c.get(op).get(t).v128Store();
      c.inc(wp, 16).inc(bp, 16).inc(op, 16);
    });
    c.get(cols).i32(4).mul().set(q);
    c.incBy(x, q).incBy(out, q);
  });
  return { name: 'layernorm_rows', params: [I32, I32, I32, I32, I32, I32, F32, I32], results: [], locals: [...locals, ...R.types], code: c };
}

function genLayerNormGradRows(): FuncDef {
  const c = new Code();
  const g = 0, x = 1, w = 2, dx = 3, dw = 4, db = 5, rows = 6, cols = 7, eps = 8, flags = 9;
  const r = 10, q = 11, j = 12, nvec = 13, gp = 14, wp = 15, dwp = 16, dbp = 17, dxp = 18, mean = 19, rstd = 20, sa = 21, sb = 22;
  const R = new Regs(23);
  const acc = R.v(), vm = R.v(), vr = R.v(), t = R.v(), gw = R.v(), xh = R.v(), accB = R.v(), va = R.v(), vb = R.v();
  const locals: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32];
  c.get(cols).i32(2).i32ShrU().set(nvec);
  eachRow(c, r, rows, () => {
    emitRowStats(c, x, q, j, nvec, cols, eps, acc, vm, t, mean, rstd);
    c.get(rstd).f32x4Splat().set(vr);
    // pass 1: Σ gw and Σ gw·x̂ (gw = g·w), and the weight and bias gradients
    c.v128Zero().set(acc).v128Zero().set(accB);
    c.get(g).set(gp).get(w).set(wp).get(dw).set(dwp).get(db).set(dbp);
    const loadGw = (): void => {
      c.get(gp).v128Load().set(gw);
      c.get(flags).i32(1).i32And().if_().get(gw).get(wp).v128Load().f32x4Mul().set(gw).end();
    };
    vectors(c, j, q, x, nvec, () => {
      c.get(q).v128Load().get(vm).f32x4Sub().get(vr).f32x4Mul().set(xh);
      loadGw();
      c.get(acc).get(gw).f32x4Add().set(acc);
      c.get(accB).get(gw).get(xh).f32x4Mul().f32x4Add().set(accB);
      c.get(flags).i32(2).i32And().if_().get(dwp).get(dwp).v128Load().get(gp).v128Load().get(xh).f32x4Mul().f32x4Add().v128Store().end();
      c.get(flags).i32(4).i32And().if_().get(dbp).get(dbp).v128Load().get(gp).v128Load().f32x4Add().v128Store().end();
      c.inc(gp, 16).inc(wp, 16).inc(dwp, 16).inc(dbp, 16);
    });
    lanes(c, acc, 'add');
    c.get(cols).f32ConvertI32S().f32Div().set(sa);
    lanes(c, accB, 'add');
    c.get(cols).f32ConvertI32S().f32Div().set(sb);
    c.get(sa).f32x4Splat().set(va).get(sb).f32x4Splat().set(vb);
    // pass 2: dx = (gw − mean(gw) − x̂·mean(gw·x̂))/σ
    c.get(g).set(gp).get(w).set(wp).get(dx).set(dxp);
    vectors(c, j, q, x, nvec, () => {
      c.get(q).v128Load().get(vm).f32x4Sub().get(vr).f32x4Mul().set(xh);
      loadGw();
      c.get(dxp).get(gw).get(va).f32x4Sub().get(xh).get(vb).f32x4Mul().f32x4Sub().get(vr).f32x4Mul().v128Store();
      c.inc(gp, 16).inc(wp, 16).inc(dxp, 16);
    });
    c.get(cols).i32(4).mul().set(q);
    c.incBy(g, q).incBy(x, q).incBy(dx, q);
  });
  return { name: 'layernorm_grad_rows', params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, I32], results: [], locals: [...locals, ...R.types], code: c };
}

/** The row kernels' module bytes, importing env.memory (shared when `shared`, as the GEMM module's). */
export function genRowsModule(shared: boolean, initialPages: number): Uint8Array<ArrayBuffer> {
  return buildModule({ module: 'env', name: 'memory', initial: initialPages, maximum: MEMORY_MAX_PAGES, shared },
    [genSoftmaxRows(), genSoftmaxGradRows(), genLayerNormRows(), genLayerNormGradRows()]);
}
