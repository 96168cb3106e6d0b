/**
 * Scaled dot-product attention on the wasm runtime: q, k and v are copied into wasm memory once
 * (once in all when they are one packed storage), then each head runs its small products with
 * the GEMM module's packing routines and macro-kernel (the packing reads a head straight out of
 * its strided layout, so no permute is ever materialized) and its softmax with the SIMD row
 * kernels of rows.ts. The backward recomputes the weights instead of storing them.
 */
import type { AttentionArgs, AttentionLayout, TypedArray } from '../backend.js';
import { OPERANDS_BASE } from './gemm.js';
import { rowKernels } from './rows.js';
import { MR, NR, type GemmKernels } from './tasks.js';

const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;
const align64 = (x: number): number => roundUp(x, 64);

/** A matrix operand in wasm memory: element (i, p) at ptr + i·rs + p·ks bytes. */
interface Operand { ptr: number; rs: number; ks: number }

/**
 * Which part of a product the causal mask leaves: everything; only C on and below the diagonal
 * (scores: tiles wholly above it are skipped and keep stale values the softmax masks out);
 * A zero right of its diagonal, so row i needs k < i + 1 (weights·v); or A zero left of its
 * diagonal, so row i needs k ≥ i (weightsᵀ·g).
 */
type Causal = 'none' | 'outLower' | 'kUpTo' | 'kFrom';

/** Rows per block when the k range depends on the row (a few A strips share one range). */
const RB = 16;

/**
 * C[m × n] = A[m × k]·B[k × n] into wasm memory at c (row pitch ldc bytes, padded to MR rows and
 * NR columns), through pa and pb scratch. B is given as element (p, j) at ptr + p·rs + j·ks.
 * `causal` skips the work the mask makes zero (see Causal).
 */
function gemm(ex: GemmKernels, a: Operand, b: Operand, m: number, n: number, k: number, c: number, ldc: number, pa: number, pb: number, causal: Causal = 'none'): void {
  for (let j = 0; j < n; j += NR) ex.packB(pb + j * k * 4, b.ptr + j * b.ks, k, Math.min(NR, n - j), b.rs, b.ks);
  if (causal === 'none' || causal === 'outLower') {
    for (let i = 0; i < m; i += MR) ex.packA(pa + i * k * 4, a.ptr + i * a.rs, k, Math.min(MR, m - i), a.ks, a.rs);
    const mPad = roundUp(m, MR);
    if (causal === 'none') {
      ex.macro(pa, pb, c, mPad, roundUp(n, NR), k, ldc, 0);
      return;
    }
    // the tile of rows i0..i0+3 and columns j0..j0+11 has a column j ≤ row i iff i0 + 3 ≥ j0
    for (let j0 = 0; j0 < n; j0 += NR) {
      const i0 = Math.floor(j0 / MR) * MR;
      if (i0 >= m) break;
      ex.macro(pa + i0 * k * 4, pb + j0 * k * 4, c + i0 * ldc + j0 * 4, mPad - i0, NR, k, ldc, 0);
    }
    return;
  }
  // per block of rows, the k range the mask leaves; B strips are packed whole, so each is its own call
  for (let i0 = 0; i0 < m; i0 += RB) {
    const rows = Math.min(RB, m - i0);
    const p0 = causal === 'kFrom' ? Math.min(i0, k) : 0;
    const p1 = causal === 'kUpTo' ? Math.min(k, i0 + rows) : k;
    const kk = p1 - p0;
    for (let i = 0; i < rows; i += MR) ex.packA(pa + i * kk * 4, a.ptr + (i0 + i) * a.rs + p0 * a.ks, kk, Math.min(MR, rows - i), a.ks, a.rs);
    for (let j0 = 0; j0 < n; j0 += NR) ex.macro(pa, pb + (j0 * k + p0 * NR) * 4, c + i0 * ldc + j0 * 4, roundUp(rows, MR), NR, kk, ldc, 0);
  }
}

/** Where each distinct storage among xs is copied into wasm memory, from `at` on. */
function placement(xs: readonly TypedArray[], at: number): { ptrs: number[]; end: number } {
  const ptrs: number[] = [];
  let end = at;
  xs.forEach((x, i) => {
    const same = xs.indexOf(x);
    if (same < i) { ptrs.push(ptrs[same]!); return; }
    ptrs.push(end);
    end = align64(end + x.length * 4);
  });
  return { ptrs, end };
}

const headBase = (l: AttentionLayout, b: number, h: number): number => l.offset + b * l.batchStride + h * l.headStride;

/** Copies a padded [rows × d] tile (pitch `pitch` floats) out of wasm memory into dst's layout. */
function tileOut(f32: Float32Array, tile: number, pitch: number, rows: number, d: number, dst: TypedArray, base: number, rowStride: number): void {
  for (let i = 0; i < rows; i++) {
    const s = tile + i * pitch, o = base + i * rowStride;
    for (let c = 0; c < d; c++) dst[o + c] = f32[s + c]!;
  }
}

/** Forward attention on the wasm runtime; false when it cannot run here (the caller uses the reference). */
export function attentionWasm(q: Float32Array, k: Float32Array, v: Float32Array, a: AttentionArgs, out: Float32Array): boolean {
  const { l, s, d } = a;
  if (l === 0 || s === 0 || d === 0) return false;
  const lPad = roundUp(l, MR), sPad = roundUp(s, NR), dPad = roundUp(d, NR);
  const { ptrs: [qp, kp, vp], end } = placement([q, k, v], OPERANDS_BASE);
  const sBuf = end, oBuf = align64(sBuf + lPad * sPad * 4);
  const pa = align64(oBuf + lPad * dPad * 4), pb = align64(pa + lPad * Math.max(d, s) * 4);
  const K = rowKernels(pb + Math.max(d * sPad, s * dPad) * 4);
  if (!K) return false;
  const { gemm: ex, rows, f32 } = K;
  f32.set(q, qp! >> 2);
  if (kp !== qp) f32.set(k, kp! >> 2);
  if (vp !== qp && vp !== kp) f32.set(v, vp! >> 2);
  // causal heads leave the score tiles above the diagonal unwritten: start them finite
  f32.fill(0, sBuf >> 2, (sBuf >> 2) + lPad * sPad);
  for (let b = 0; b < a.batch; b++) {
    for (let h = 0; h < a.heads; h++) {
      const qh = qp! + headBase(a.q, b, h) * 4, kh = kp! + headBase(a.k, b, h) * 4, vh = vp! + headBase(a.v, b, h) * 4;
      // scores = q·kᵀ, then the masked softmax in place, then weights·v
      gemm(ex, { ptr: qh, rs: a.q.rowStride * 4, ks: 4 }, { ptr: kh, rs: 4, ks: a.k.rowStride * 4 }, l, s, d, sBuf, sPad * 4, pa, pb, a.causal ? 'outLower' : 'none');
      rows.softmax_rows(sBuf, l, s, sPad * 4, a.scale, a.causal ? 1 : 0);
      gemm(ex, { ptr: sBuf, rs: sPad * 4, ks: 4 }, { ptr: vh, rs: a.v.rowStride * 4, ks: 4 }, l, d, s, oBuf, dPad * 4, pa, pb, a.causal ? 'kUpTo' : 'none');
      tileOut(f32, oBuf >> 2, dPad, l, d, out, headBase(a.out, b, h), a.out.rowStride);
    }
  }
  return true;
}

/** The attention gradient on the wasm runtime; false when it cannot run here. */
export function attentionGradWasm(
  q: Float32Array, k: Float32Array, v: Float32Array, g: Float32Array, a: AttentionArgs, dq: Float32Array, dk: Float32Array, dv: Float32Array,
): boolean {
  const { l, s, d } = a;
  if (l === 0 || s === 0 || d === 0) return false;
  const lPad = roundUp(l, MR), sPad = roundUp(s, NR), sRows = roundUp(s, MR), dPad = roundUp(d, NR);
  const { ptrs: [qp, kp, vp, gp], end } = placement([q, k, v, g], OPERANDS_BASE);
  const pBuf = end, dpBuf = align64(pBuf + lPad * sPad * 4), tBuf = align64(dpBuf + lPad * sPad * 4);
  const pa = align64(tBuf + Math.max(lPad, sRows) * dPad * 4);
  const pb = align64(pa + Math.max(lPad * Math.max(d, s), sRows * l) * 4);
  const K = rowKernels(pb + Math.max(d * sPad, Math.max(l, s) * dPad) * 4);
  if (!K) return false;
  const { gemm: ex, rows, f32 } = K;
  const copied = new Set<number>();
  [q, k, v, g].forEach((x, i) => {
    const p = [qp, kp, vp, gp][i]!;
    if (!copied.has(p)) { f32.set(x, p >> 2); copied.add(p); }
  });
  const ld = sPad * 4;
  f32.fill(0, pBuf >> 2, (tBuf >> 2));
  for (let b = 0; b < a.batch; b++) {
    for (let h = 0; h < a.heads; h++) {
      const qh = qp! + headBase(a.q, b, h) * 4, kh = kp! + headBase(a.k, b, h) * 4, vh = vp! + headBase(a.v, b, h) * 4;
      const gh = gp! + headBase(a.out, b, h) * 4;
      const qRows = a.q.rowStride * 4, kRows = a.k.rowStride * 4, vRows = a.v.rowStride * 4, gRows = a.out.rowStride * 4;
      // the weights P, recomputed
      const out: Causal = a.causal ? 'outLower' : 'none', upTo: Causal = a.causal ? 'kUpTo' : 'none', from: Causal = a.causal ? 'kFrom' : 'none';
      gemm(ex, { ptr: qh, rs: qRows, ks: 4 }, { ptr: kh, rs: 4, ks: kRows }, l, s, d, pBuf, ld, pa, pb, out);
      rows.softmax_rows(pBuf, l, s, ld, a.scale, a.causal ? 1 : 0);
      // dP = g·vᵀ, then dS = scale·P ⊙ (dP − Σ P⊙dP) in place (P is 0 where dP was skipped)
      gemm(ex, { ptr: gh, rs: gRows, ks: 4 }, { ptr: vh, rs: 4, ks: vRows }, l, s, d, dpBuf, ld, pa, pb, out);
      rows.softmax_grad_rows(pBuf, dpBuf, l, s, ld, a.scale);
      // dV = Pᵀ·g
      gemm(ex, { ptr: pBuf, rs: 4, ks: ld }, { ptr: gh, rs: gRows, ks: 4 }, s, d, l, tBuf, dPad * 4, pa, pb, from);
      tileOut(f32, tBuf >> 2, dPad, s, d, dv, headBase(a.v, b, h), a.v.rowStride);
      // dQ = dS·k
      gemm(ex, { ptr: dpBuf, rs: ld, ks: 4 }, { ptr: kh, rs: kRows, ks: 4 }, l, d, s, tBuf, dPad * 4, pa, pb, upTo);
      tileOut(f32, tBuf >> 2, dPad, l, d, dq, headBase(a.q, b, h), a.q.rowStride);
      // dK = dSᵀ·q
      gemm(ex, { ptr: dpBuf, rs: 4, ks: ld }, { ptr: qh, rs: qRows, ks: 4 }, s, d, l, tBuf, dPad * 4, pa, pb, from);
      tileOut(f32, tBuf >> 2, dPad, s, d, dk, headBase(a.k, b, h), a.k.rowStride);
    }
  }
  return true;
}
