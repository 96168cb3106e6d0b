/**
 * One head of scaled dot-product attention, forward or backward, on operands already in wasm
 * memory: its small products run on the GEMM module's packing routines and macro-kernel (the
 * packing reads the head straight out of its strided layout, so no permute is materialized)
 * and its softmax on the row kernels. Every head writes only its own rows of the outputs, so
 * heads run on any thread (parallel.ts); each thread brings its own scratch.
 */
import type { AttentionArgs, AttentionLayout } from '../backend.js';
import type { RowKernels } from './rows-kernels.js';
import { MR, NR, type GemmKernels } from './tasks.js';

const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;
const align64 = (x: number): number => roundUp(x, 64);

/** Where one operand lives: byte address of its storage in wasm memory and its element layout. */
export interface HeadOperand extends AttentionLayout {
  /** byte address of the storage */
  ptr: number;
}

/**
 * A whole attention job as a head sees it (all addresses in bytes, layouts in elements): the
 * backend's attention arguments, less the batch (each head is given its own), with every
 * operand placed in wasm memory.
 */
export interface HeadJob extends Pick<AttentionArgs, 'heads' | 'l' | 's' | 'd' | 'scale' | 'causal'> {
  q: HeadOperand;
  k: HeadOperand;
  v: HeadOperand;
  /** forward: the output; backward: the incoming gradient (both in the output layout) */
  o: HeadOperand;
  /** backward only: where dq, dk, dv go (in the layouts of q, k, v) */
  dq: number;
  dk: number;
  dv: number;
}

/** Bytes of scratch one thread needs for a head of this job (scores, weights, tiles, packs). */
export function headScratchBytes(j: HeadJob): number {
  const lPad = roundUp(j.l, MR), sPad = roundUp(j.s, NR), sRows = roundUp(j.s, MR), dPad = roundUp(j.d, NR);
  const tile = align64(Math.max(lPad, sRows) * dPad * 4);
  const scores = align64(lPad * sPad * 4);
  const pa = align64(Math.max(lPad * Math.max(j.d, j.s), sRows * j.l) * 4);
  const pb = align64(Math.max(j.d * sPad, Math.max(j.l, j.s) * dPad) * 4);
  return 2 * scores + tile + pa + pb;
}

/** A matrix operand in wasm memory: element (i, p) at ptr + i·rs + p·ks bytes. */
interface Operand { ptr: number; rs: number; ks: number }

/**
 * Which part of a product the causal mask leaves: everything; only C on and below the diagonal
 * (scores: tiles wholly above it are skipped and keep the values they had, which the softmax
 * masks out); A zero right of its diagonal, so row i needs k < i + 1 (weights·v); or A zero
 * left of its diagonal, so row i needs k ≥ i (weightsᵀ·g).
 */
type Causal = 'none' | 'outLower' | 'kUpTo' | 'kFrom';

/** Rows per block when the k range depends on the row (a few A strips share one range). */
const RB = 16;

/**
 * C[m × n] = A[m × k]·B[k × n] into wasm memory at c (row pitch ldc bytes, padded to MR rows and
 * NR columns), through pa and pb scratch. B is given as element (p, j) at ptr + p·rs + j·ks.
 * `causal` skips the work the mask makes zero (see Causal).
 */
function gemm(ex: GemmKernels, a: Operand, b: Operand, m: number, n: number, k: number, c: number, ldc: number, pa: number, pb: number, causal: Causal): void {
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

const at = (o: HeadOperand, b: number, h: number): number => o.ptr + (o.offset + b * o.batchStride + h * o.headStride) * 4;

/** Copies a padded [rows × d] tile (pitch `pitch` floats) into rows of stride rowStride floats at dst (bytes). */
function tileTo(f32: Float32Array, tile: number, pitch: number, rows: number, d: number, dst: number, rowStride: number): void {
  const src = tile >> 2, out = dst >> 2;
  for (let i = 0; i < rows; i++) f32.copyWithin(out + i * rowStride, src + i * pitch, src + i * pitch + d);
}

/** Scratch regions of one thread, from its base. */
function scratch(j: HeadJob, base: number): { s0: number; s1: number; tile: number; pa: number; pb: number } {
  const lPad = roundUp(j.l, MR), sPad = roundUp(j.s, NR), sRows = roundUp(j.s, MR), dPad = roundUp(j.d, NR);
  const s0 = align64(base), s1 = s0 + align64(lPad * sPad * 4), tile = s1 + align64(lPad * sPad * 4);
  const pa = tile + align64(Math.max(lPad, sRows) * dPad * 4);
  const pb = pa + align64(Math.max(lPad * Math.max(j.d, j.s), sRows * j.l) * 4);
  return { s0, s1, tile, pa, pb };
}

/**
 * Zeroes a thread's score buffers: causal heads never write the tiles above the diagonal, and
 * what a buffer held before must not be Inf or NaN (0·NaN would reach the gradient).
 */
export function clearHeadScratch(f32: Float32Array, j: HeadJob, base: number): void {
  const { s0, tile } = scratch(j, base);
  f32.fill(0, s0 >> 2, tile >> 2);
}

/** Forward of head h of batch item b: out = softmax(scale·q·kᵀ, masked)·v, written into j.o. */
export function attentionHead(ex: GemmKernels, rows: RowKernels, f32: Float32Array, j: HeadJob, b: number, h: number, base: number): void {
  const { l, s, d } = j;
  const sPad = roundUp(s, NR), dPad = roundUp(d, NR);
  const { s0, tile, pa, pb } = scratch(j, base);
  const qh = at(j.q, b, h), kh = at(j.k, b, h), vh = at(j.v, b, h);
  gemm(ex, { ptr: qh, rs: j.q.rowStride * 4, ks: 4 }, { ptr: kh, rs: 4, ks: j.k.rowStride * 4 }, l, s, d, s0, sPad * 4, pa, pb, j.causal ? 'outLower' : 'none');
  rows.softmax_rows(s0, l, s, sPad * 4, j.scale, j.causal ? 1 : 0);
  gemm(ex, { ptr: s0, rs: sPad * 4, ks: 4 }, { ptr: vh, rs: j.v.rowStride * 4, ks: 4 }, l, d, s, tile, dPad * 4, pa, pb, j.causal ? 'kUpTo' : 'none');
  tileTo(f32, tile, dPad, l, d, at(j.o, b, h), j.o.rowStride);
}

/** Backward of head h of batch item b: its rows of dq, dk and dv from the gradient j.o, the weights recomputed. */
export function attentionGradHead(ex: GemmKernels, rows: RowKernels, f32: Float32Array, j: HeadJob, b: number, h: number, base: number): void {
  const { l, s, d } = j;
  const sPad = roundUp(s, NR), dPad = roundUp(d, NR), ld = sPad * 4;
  const { s0: p, s1: dp, tile, pa, pb } = scratch(j, base);
  const qh = at(j.q, b, h), kh = at(j.k, b, h), vh = at(j.v, b, h), gh = at(j.o, b, h);
  const qRows = j.q.rowStride * 4, kRows = j.k.rowStride * 4, vRows = j.v.rowStride * 4, gRows = j.o.rowStride * 4;
  const out: Causal = j.causal ? 'outLower' : 'none', upTo: Causal = j.causal ? 'kUpTo' : 'none', from: Causal = j.causal ? 'kFrom' : 'none';
  const dst = (ptr: number, o: HeadOperand): number => ptr + (o.offset + b * o.batchStride + h * o.headStride) * 4;
  // the weights P, recomputed
  gemm(ex, { ptr: qh, rs: qRows, ks: 4 }, { ptr: kh, rs: 4, ks: kRows }, l, s, d, p, ld, pa, pb, out);
  rows.softmax_rows(p, l, s, ld, j.scale, j.causal ? 1 : 0);
  // dP = g·vᵀ, then dS = scale·P ⊙ (dP − Σ P⊙dP) in place (P is 0 where dP was skipped)
  gemm(ex, { ptr: gh, rs: gRows, ks: 4 }, { ptr: vh, rs: 4, ks: vRows }, l, s, d, dp, ld, pa, pb, out);
  rows.softmax_grad_rows(p, dp, l, s, ld, j.scale);
  // dV = Pᵀ·g
  gemm(ex, { ptr: p, rs: 4, ks: ld }, { ptr: gh, rs: gRows, ks: 4 }, s, d, l, tile, dPad * 4, pa, pb, from);
  tileTo(f32, tile, dPad, s, d, dst(j.dv, j.v), j.v.rowStride);
  // dQ = dS·k
  gemm(ex, { ptr: dp, rs: ld, ks: 4 }, { ptr: kh, rs: kRows, ks: 4 }, l, d, s, tile, dPad * 4, pa, pb, upTo);
  tileTo(f32, tile, dPad, l, d, dst(j.dq, j.q), j.q.rowStride);
  // dK = dSᵀ·q
  gemm(ex, { ptr: dp, rs: 4, ks: ld }, { ptr: qh, rs: qRows, ks: 4 }, s, d, l, tile, dPad * 4, pa, pb, from);
  tileTo(f32, tile, dPad, s, d, dst(j.dk, j.k), j.k.rowStride);
}

// ---- a job as int32 arguments (for the other threads) ----

const OPERAND_SLOTS = 5;

/** The job as int32 arguments: the scale travels as its float32 bits. */
export function encodeHeadJob(j: HeadJob, scratchBase: number, scratchBytes: number): number[] {
  const bits = new Int32Array(new Float32Array([j.scale]).buffer)[0]!;
  const op = (o: HeadOperand): number[] => [o.ptr, o.offset, o.batchStride, o.headStride, o.rowStride];
  return [j.heads, j.l, j.s, j.d, bits, j.causal ? 1 : 0, j.dq, j.dk, j.dv, scratchBase, scratchBytes, ...op(j.q), ...op(j.k), ...op(j.v), ...op(j.o)];
}

/** The job back from its arguments, with the scratch of the thread in `slot`. */
export function decodeHeadJob(a: Int32Array, slot: number): { job: HeadJob; base: number } {
  const op = (i: number): HeadOperand => {
    const o = 11 + i * OPERAND_SLOTS;
    return { ptr: a[o]!, offset: a[o + 1]!, batchStride: a[o + 2]!, headStride: a[o + 3]!, rowStride: a[o + 4]! };
  };
  const scale = new Float32Array(new Int32Array([a[4]!]).buffer)[0]!;
  const job: HeadJob = { heads: a[0]!, l: a[1]!, s: a[2]!, d: a[3]!, scale, causal: a[5] === 1, dq: a[6]!, dk: a[7]!, dv: a[8]!, q: op(0), k: op(1), v: op(2), o: op(3) };
  return { job, base: a[9]! + slot * a[10]! };
}
