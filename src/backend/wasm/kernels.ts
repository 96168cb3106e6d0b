/**
 * Generates the GEMM wasm module: a register-blocked SIMD macro-kernel over packed panels, the
 * packing routines (which absorb the transposes, so NN/TN/NT all run the same kernel) and a
 * compaction routine for the output.
 *
 * Packed layouts (all float32):
 *   A block (mc x kc): strips of MR rows; within a strip, for each p, MR consecutive values.
 *   B panel (kc x nc): strips of NR cols; within a strip, for each p, NR consecutive values.
 * mc / nc are padded up to MR / NR with zeros so the kernel only ever sees full tiles; C in wasm
 * memory is padded the same way; `compact` squeezes the padding out before the copy-out.
 */
import { buildModule, Code, F32, FuncDef, I32, V128, ValType } from './emitter.js';

export interface KernelConfig {
  /** rows of the micro-tile */
  mr: number;
  /** number of f32x4 vectors across the micro-tile (NR = 4 * nv) */
  nv: number;
  /** k-loop unroll factor */
  unroll: number;
  /** use f32x4.relaxed_madd instead of mul + add */
  relaxed: boolean;
}

export const MEMORY_MAX_PAGES = 32768; // 2 GiB: every valid byte offset fits a positive int32

/**
 * macro(pa, pb, pc, mc, nc, kc, ldcBytes, accum): C[mc x nc] (+)= Apacked * Bpacked.
 * mc is a multiple of MR, nc of NR; both > 0. Loops: B strip outer (stays in L1), A strip inner.
 */
function genMacro(cfg: KernelConfig): FuncDef {
  const { mr: MR, nv: NV, unroll: U, relaxed } = cfg;
  const NR = NV * 4;
  const c = new Code();
  // params
  const pa = 0, pb = 1, pc = 2, mc = 3, nc = 4, kc = 5, ldc = 6, accum = 7;
  // i32 locals
  const aStep = 8, bStep = 9, aEnd = 10, bEnd = 11, aStrip = 12, bStrip = 13, cCol = 14, cTile = 15;
  const ap = 16, bp = 17, kk = 18, crow = 19, ldcMR = 20;
  const nI32 = 13;
  // v128 locals
  const accBase = 8 + nI32;
  const acc = (r: number, v: number): number => accBase + r * NV + v;
  const bBase = accBase + MR * NV;
  const aReg = bBase + NV;
  const locals: ValType[] = [];
  for (let i = 0; i < nI32; i++) locals.push(I32);
  for (let i = 0; i < MR * NV + NV + 1; i++) locals.push(V128);

  c.get(kc).i32(MR * 4).mul().set(aStep);
  c.get(kc).i32(NR * 4).mul().set(bStep);
  c.get(pa).get(mc).get(kc).mul().i32(4).mul().add().set(aEnd);
  c.get(pb).get(nc).get(kc).mul().i32(4).mul().add().set(bEnd);
  c.get(ldc).i32(MR).mul().set(ldcMR);
  c.get(pb).set(bStrip);
  c.get(pc).set(cCol);

  const step = (u: number): void => {
    for (let v = 0; v < NV; v++) c.get(bp).v128Load((u * NR + v * 4) * 4).set(bBase + v);
    for (let r = 0; r < MR; r++) {
      c.get(ap).v128Load32Splat((u * MR + r) * 4).set(aReg);
      for (let v = 0; v < NV; v++) {
        if (relaxed) c.get(aReg).get(bBase + v).get(acc(r, v)).f32x4RelaxedMadd();
        else c.get(acc(r, v)).get(aReg).get(bBase + v).f32x4Mul().f32x4Add();
        c.set(acc(r, v));
      }
    }
  };

  c.loop(); // over B strips
  {
    c.get(pa).set(aStrip);
    c.get(cCol).set(cTile);
    c.loop(); // over A strips
    {
      // init accumulators: from C when accumulating over a later k block, else zero
      c.get(accum).if_();
      c.get(cTile).set(crow);
      for (let r = 0; r < MR; r++) {
        for (let v = 0; v < NV; v++) c.get(crow).v128Load(v * 16).set(acc(r, v));
        if (r < MR - 1) c.incBy(crow, ldc);
      }
      c.else_();
      for (let r = 0; r < MR; r++) for (let v = 0; v < NV; v++) c.v128Zero().set(acc(r, v));
      c.end();

      c.get(aStrip).set(ap);
      c.get(bStrip).set(bp);
      c.get(kc).set(kk);
      if (U > 1) {
        c.block().loop();
        c.get(kk).i32(U).ltS().brIf(1);
        for (let u = 0; u < U; u++) step(u);
        c.inc(ap, U * MR * 4).inc(bp, U * NR * 4).inc(kk, -U);
        c.br(0).end().end();
      }
      c.block().loop();
      c.get(kk).eqz().brIf(1);
      step(0);
      c.inc(ap, MR * 4).inc(bp, NR * 4).inc(kk, -1);
      c.br(0).end().end();

      c.get(cTile).set(crow);
      for (let r = 0; r < MR; r++) {
        for (let v = 0; v < NV; v++) c.get(crow).get(acc(r, v)).v128Store(v * 16);
        if (r < MR - 1) c.incBy(crow, ldc);
      }
      c.incBy(aStrip, aStep);
      c.incBy(cTile, ldcMR);
      c.get(aStrip).get(aEnd).ne().brIf(0);
    }
    c.end();
    c.incBy(bStrip, bStep);
    c.inc(cCol, NR * 4);
    c.get(bStrip).get(bEnd).ne().brIf(0);
  }
  c.end();
  return { name: 'macro', params: [I32, I32, I32, I32, I32, I32, I32, I32], results: [], locals, code: c };
}

// f32 lanes -> byte lanes for i8x16.shuffle
function lanes(l: readonly number[]): number[] {
  const out: number[] = [];
  for (const x of l) for (let b = 0; b < 4; b++) out.push(x * 4 + b);
  return out;
}

/**
 * pack(dst, src, kc, w, sp, sw): one strip of width W (W = MR or NR).
 *   dst[p*W + i] = src[p*sp + i*sw]  for p < kc, i < w;  zero for w <= i < W.
 * sp / sw are byte strides. Fast paths for full strips: contiguous along the strip (sw == 4,
 * the "no transpose" side) copies rows; contiguous along k (sp == 4, the transposed side)
 * transposes 4x4 blocks with shuffles when W is a multiple of 4.
 */
function genPack(name: string, W: number): FuncDef {
  const c = new Code();
  const dst = 0, src = 1, kc = 2, w = 3, sp = 4, sw = 5;
  const p = 6, i = 7, s = 8, d = 9, end = 10, s1 = 11, s2 = 12, s3 = 13;
  const r0 = 14, r1 = 15, r2 = 16, r3 = 17, t0 = 18, t1 = 19, t2 = 20, t3 = 21;
  const locals: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128];
  const WB = W * 4;

  // fast path 1: full strip, contiguous along the strip
  c.get(w).i32(W).eq().get(sw).i32(4).eq().add().i32(2).eq(); // (w==W)+(sw==4) == 2
  c.if_();
  {
    c.get(kc).eqz().if_().br(1).end(); // leave the if (nothing to do)
    c.get(dst).get(kc).i32(WB).mul().add().set(end);
    c.loop();
    let off = 0;
    for (; off + 16 <= WB; off += 16) c.get(dst).get(src).v128Load(off).v128Store(off);
    for (; off < WB; off += 4) c.get(dst).get(src).f32Load(off).f32Store(off);
    c.inc(dst, WB).incBy(src, sp);
    c.get(dst).get(end).ne().brIf(0);
    c.end();
  }
  c.else_();
  {
    // zero-fill the padding columns of a partial strip
    c.get(w).i32(W).ne().if_();
    c.i32(0).set(p);
    c.block().loop();
    c.get(p).get(kc).geS().brIf(1);
    c.get(w).set(i);
    c.get(dst).get(p).i32(WB).mul().add().get(w).i32(4).mul().add().set(d);
    c.block().loop();
    c.get(i).i32(W).geS().brIf(1);
    c.get(d).f32Const0().f32Store(0);
    c.inc(d, 4).inc(i, 1);
    c.br(0).end().end();
    c.inc(p, 1);
    c.br(0).end().end();
    c.end();

    c.i32(0).set(i);
    if (W % 4 === 0) {
      // fast path 2: contiguous along k, 4 strip columns x 4 k values per shuffle transpose
      c.get(sp).i32(4).eq().if_();
      c.block().loop();
      c.get(i).i32(4).add().get(w).gtS().brIf(1);
      c.get(src).get(i).get(sw).mul().add().set(s);
      c.get(s).get(sw).add().set(s1);
      c.get(s1).get(sw).add().set(s2);
      c.get(s2).get(sw).add().set(s3);
      c.get(dst).get(i).i32(4).mul().add().set(d);
      c.get(kc).set(p);
      c.block().loop();
      c.get(p).i32(4).ltS().brIf(1);
      c.get(s).v128Load().set(r0);
      c.get(s1).v128Load().set(r1);
      c.get(s2).v128Load().set(r2);
      c.get(s3).v128Load().set(r3);
      c.get(r0).get(r1).shuffle(lanes([0, 4, 1, 5])).set(t0);
      c.get(r0).get(r1).shuffle(lanes([2, 6, 3, 7])).set(t1);
      c.get(r2).get(r3).shuffle(lanes([0, 4, 1, 5])).set(t2);
      c.get(r2).get(r3).shuffle(lanes([2, 6, 3, 7])).set(t3);
      c.get(d).get(t0).get(t2).shuffle(lanes([0, 1, 4, 5])).v128Store(0);
      c.get(d).get(t0).get(t2).shuffle(lanes([2, 3, 6, 7])).v128Store(WB);
      c.get(d).get(t1).get(t3).shuffle(lanes([0, 1, 4, 5])).v128Store(2 * WB);
      c.get(d).get(t1).get(t3).shuffle(lanes([2, 3, 6, 7])).v128Store(3 * WB);
      c.inc(s, 16).inc(s1, 16).inc(s2, 16).inc(s3, 16).inc(d, 4 * WB).inc(p, -4);
      c.br(0).end().end();
      // k remainder (< 4) for these 4 columns
      c.block().loop();
      c.get(p).eqz().brIf(1);
      c.get(d).get(s).f32Load().f32Store(0);
      c.get(d).get(s1).f32Load().f32Store(4);
      c.get(d).get(s2).f32Load().f32Store(8);
      c.get(d).get(s3).f32Load().f32Store(12);
      c.inc(s, 4).inc(s1, 4).inc(s2, 4).inc(s3, 4).inc(d, WB).inc(p, -1);
      c.br(0).end().end();
      c.inc(i, 4);
      c.br(0).end().end();
      c.end();
    }
    // generic: remaining strip columns one at a time
    c.block().loop();
    c.get(i).get(w).geS().brIf(1);
    c.get(src).get(i).get(sw).mul().add().set(s);
    c.get(dst).get(i).i32(4).mul().add().set(d);
    c.get(kc).set(p);
    c.block().loop();
    c.get(p).eqz().brIf(1);
    c.get(d).get(s).f32Load().f32Store(0);
    c.incBy(s, sp).inc(d, WB).inc(p, -1);
    c.br(0).end().end();
    c.inc(i, 1);
    c.br(0).end().end();
  }
  c.end();
  return { name, params: [I32, I32, I32, I32, I32, I32], results: [], locals, code: c };
}

/**
 * packRows(dst, src, kc, strips, sp): `strips` full strips of width W from a source that is
 * contiguous along the strip (row-major B, or A stored transposed). Walks 4 source rows at a
 * time across all strips so reads stream along rows; going strip by strip instead would hop
 * by the (often power-of-two) row stride and thrash L1 sets.
 */
function genPackRows(name: string, W: number): FuncDef {
  const c = new Code();
  const dst = 0, src = 1, kc = 2, strips = 3, sp = 4;
  const p = 5, j = 6, d = 7, s0 = 8, s1 = 9, s2 = 10, s3 = 11, stripBytes = 12, row = 13;
  const locals: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const WB = W * 4;
  const rows = [s0, s1, s2, s3];
  c.get(kc).i32(WB).mul().set(stripBytes);
  c.get(src).set(row);
  c.get(kc).set(p);
  const body = (nRows: number): void => {
    c.get(row).set(s0);
    for (let q = 1; q < nRows; q++) c.get(rows[q - 1]!).get(sp).add().set(rows[q]!);
    c.get(dst).set(d);
    c.get(strips).set(j);
    c.block().loop();
    c.get(j).eqz().brIf(1);
    for (let q = 0; q < nRows; q++) {
      let off = 0;
      for (; off + 16 <= WB; off += 16) c.get(d).get(rows[q]!).v128Load(off).v128Store(q * WB + off);
      for (; off < WB; off += 4) c.get(d).get(rows[q]!).f32Load(off).f32Store(q * WB + off);
    }
    for (let q = 0; q < nRows; q++) c.inc(rows[q]!, WB);
    c.incBy(d, stripBytes).inc(j, -1);
    c.br(0).end().end();
    c.get(row).get(sp).i32(nRows).mul().add().set(row);
    c.inc(dst, nRows * WB).inc(p, -nRows);
  };
  c.block().loop();
  c.get(p).i32(4).ltS().brIf(1);
  body(4);
  c.br(0).end().end();
  c.block().loop();
  c.get(p).eqz().brIf(1);
  body(1);
  c.br(0).end().end();
  return { name, params: [I32, I32, I32, I32, I32], results: [], locals, code: c };
}

/**
 * compact(base, batch, m, mPad, nBytes, nPadBytes): squeeze C from [batch, mPad, nPad] to
 * [batch, m, n] in place (destinations never pass their sources), so one TypedArray.set copies it out.
 */
function genCompact(): FuncDef {
  const c = new Code();
  const base = 0, batch = 1, m = 2, mPad = 3, nB = 4, nPadB = 5;
  const b = 6, i = 7, s = 8, d = 9, skip = 10;
  c.get(mPad).get(m).sub().get(nPadB).mul().set(skip);
  c.get(base).set(s).get(base).set(d);
  c.get(batch).set(b);
  c.block().loop();
  c.get(b).eqz().brIf(1);
  c.get(m).set(i);
  c.block().loop();
  c.get(i).eqz().brIf(1);
  c.get(d).get(s).get(nB).memoryCopy();
  c.incBy(d, nB).incBy(s, nPadB).inc(i, -1);
  c.br(0).end().end();
  c.incBy(s, skip).inc(b, -1);
  c.br(0).end().end();
  return { name: 'compact', params: [I32, I32, I32, I32, I32, I32], results: [], locals: [I32, I32, I32, I32, I32], code: c };
}

/** Module bytes for the given config, importing env.memory (shared when `shared`). */
export function genGemmModule(cfg: KernelConfig, shared: boolean, initialPages: number): Uint8Array<ArrayBuffer> {
  return buildModule(
    { module: 'env', name: 'memory', initial: initialPages, maximum: MEMORY_MAX_PAGES, shared },
    [
      genMacro(cfg), genPack('packA', cfg.mr), genPack('packB', cfg.nv * 4),
      genPackRows('packARows', cfg.mr), genPackRows('packBRows', cfg.nv * 4), genCompact(),
    ],
  );
}

/** Does this engine accept (and correctly compute) f32x4.relaxed_madd? */
export function relaxedSimdSupported(): boolean {
  const c = new Code();
  // f32x4.extract_lane 0 of relaxed_madd(splat 2, splat 3, splat 1) == 7
  c.i32(0).f32Load().f32x4Splat();
  c.i32(4).f32Load().f32x4Splat();
  c.i32(8).f32Load().f32x4Splat();
  c.f32x4RelaxedMadd();
  c.bytes.push(0xfd, 0x1f, 0x00); // f32x4.extract_lane 0
  const bytes = buildModule({ module: 'env', name: 'memory', initial: 1, maximum: 1, shared: false }, [
    { name: 'f', params: [], results: [F32], locals: [], code: c },
  ]);
  try {
    if (!WebAssembly.validate(bytes)) return false;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    new Float32Array(memory.buffer, 0, 3).set([2, 3, 1]);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return (inst.exports.f as () => number)() === 7;
  } catch {
    return false;
  }
}

/** Does this engine support fixed-width SIMD at all? */
export function simdSupported(): boolean {
  const c = new Code().v128Zero().drop();
  try {
    return WebAssembly.validate(buildModule(null, [{ name: null, params: [], results: [], locals: [], code: c }]));
  } catch {
    return false;
  }
}
