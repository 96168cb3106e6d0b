/**
 * Drivers of the row kernels (rows-kernels.ts) for layer normalization: operands copied into
 * the wasm runtime's memory, one call over all rows, results copied out.
 */
import type { TypedArray } from '../backend.js';
import { runtimeKernels, OPERANDS_BASE, WasmMemoryError } from './runtime.js';
import type { RowKernels } from './rows-kernels.js';
import type { GemmKernels } from './tasks.js';

/** The GEMM kernels and the row kernels over wasm memory of at least `bytes`; null without wasm. */
export function rowKernels(bytes: number): { gemm: GemmKernels; rows: RowKernels; f32: Float32Array } | null {
  try {
    const k = runtimeKernels(bytes);
    return k && { gemm: k.gemm, rows: k.rows, f32: k.f32 };
  } catch (e) {
    if (e instanceof WasmMemoryError) return null; // too big: the caller falls back to the reference
    throw e;
  }
}

const align64 = (x: number): number => Math.ceil(x / 64) * 64;

/** Where each array goes in wasm memory from `at` on (null entries take no room). */
function layout(sizes: readonly (number | null)[], at: number): { ptrs: number[]; end: number } {
  const ptrs: number[] = [];
  let end = at;
  for (const n of sizes) {
    ptrs.push(end);
    if (n !== null) end = align64(end + n * 4);
  }
  return { ptrs, end };
}

/** Layer normalization of [rows, cols] float32 rows (cols a multiple of 4) in wasm; false when it cannot run here. */
export function layerNormWasm(x: Float32Array, w: Float32Array | null, b: Float32Array | null, rows: number, cols: number, eps: number, out: Float32Array): boolean {
  if (cols % 4 !== 0 || rows === 0) return false;
  const { ptrs: [xp, wp, bp, op], end } = layout([x.length, w?.length ?? null, b?.length ?? null, x.length], OPERANDS_BASE);
  const K = rowKernels(end);
  if (!K) return false;
  const f32 = K.f32;
  f32.set(x, xp! >> 2);
  if (w) f32.set(w, wp! >> 2);
  if (b) f32.set(b, bp! >> 2);
  K.rows.layernorm_rows(xp!, wp!, bp!, op!, rows, cols, eps, (w ? 1 : 0) | (b ? 2 : 0));
  out.set(f32.subarray(op! >> 2, (op! >> 2) + x.length));
  return true;
}

/** The layer-norm gradient in wasm (see layerNormGrad in backend.ts); false when it cannot run here. */
export function layerNormGradWasm(
  g: Float32Array, x: Float32Array, w: Float32Array | null, rows: number, cols: number, eps: number, dx: Float32Array, dw: Float32Array | null, db: Float32Array | null,
): boolean {
  if (cols % 4 !== 0 || rows === 0) return false;
  const { ptrs: [gp, xp, wp, dxp, dwp, dbp], end } = layout([g.length, x.length, w?.length ?? null, x.length, cols, cols], OPERANDS_BASE);
  const K = rowKernels(end);
  if (!K) return false;
  const f32 = K.f32;
  f32.set(g, gp! >> 2);
  f32.set(x, xp! >> 2);
  if (w) f32.set(w, wp! >> 2);
  f32.fill(0, dwp! >> 2, (dwp! >> 2) + cols);
  f32.fill(0, dbp! >> 2, (dbp! >> 2) + cols);
  K.rows.layernorm_grad_rows(gp!, xp!, wp!, dxp!, dwp!, dbp!, rows, cols, eps, (w ? 1 : 0) | (dw ? 2 : 0) | (db ? 4 : 0));
  dx.set(f32.subarray(dxp! >> 2, (dxp! >> 2) + x.length));
  if (dw) dw.set(f32.subarray(dwp! >> 2, (dwp! >> 2) + cols));
  if (db) db.set(f32.subarray(dbp! >> 2, (dbp! >> 2) + cols));
  return true;
}

/** Whether every array is float32 (the wasm row kernels' only dtype). */
export function allF32(...xs: (TypedArray | null)[]): boolean {
  return xs.every((x) => x === null || x instanceof Float32Array);
}
