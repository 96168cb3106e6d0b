/**
 * Scaled dot-product attention on the wasm runtime: q, k and v (and the gradient) are copied
 * into wasm memory once (once in all when they are one packed storage), the heads run as the
 * tasks of one parallel job (attention-head.ts) on the runtime's threads, each writing its rows
 * of the output there, and the output is copied out once.
 */
import type { AttentionArgs, AttentionLayout, TypedArray } from '../backend.js';
import { attentionGradHead, attentionHead, clearHeadScratch, encodeHeadJob, headScratchBytes, type HeadJob, type HeadOperand } from './attention-head.js';
import { OPERANDS_BASE, runParallel, runtimeKernels, threadsFor, WasmMemoryError } from './runtime.js';
import { TaskKind } from './parallel.js';

const align64 = (x: number): number => Math.ceil(x / 64) * 64;

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

const operand = (ptr: number, l: AttentionLayout): HeadOperand => ({ ptr, offset: l.offset, batchStride: l.batchStride, headStride: l.headStride, rowStride: l.rowStride });

/** Runs every head of a job: on the runtime's threads when it is big enough, else here. */
function runHeads(kind: TaskKind, job: HeadJob, batch: number, scratchBase: number, f32: Float32Array, k: NonNullable<ReturnType<typeof runtimeKernels>>): void {
  const nHeads = batch * job.heads;
  const perThread = headScratchBytes(job);
  const threads = threadsFor(nHeads, nHeads * job.l * job.s * job.d * (kind === TaskKind.AttentionForward ? 2 : 5));
  if (threads > 1) {
    runParallel(kind, encodeHeadJob(job, scratchBase, perThread), nHeads, threads);
    return;
  }
  clearHeadScratch(f32, job, scratchBase);
  const head = kind === TaskKind.AttentionForward ? attentionHead : attentionGradHead;
  for (let t = 0; t < nHeads; t++) head(k.gemm, k.rows, f32, job, Math.floor(t / job.heads), t % job.heads, scratchBase);
}

/** Wasm memory for the operands plus the scratch of every thread; null when it cannot be had. */
function kernelsFor(end: number, job: HeadJob): NonNullable<ReturnType<typeof runtimeKernels>> | null {
  try {
    return runtimeKernels(end + 64 * headScratchBytes(job));
  } catch (e) {
    if (e instanceof WasmMemoryError) return null; // too big: the caller falls back to the reference
    throw e;
  }
}

/** Forward attention on the wasm runtime; false when it cannot run here (the caller uses the reference). */
export function attentionWasm(q: Float32Array, k: Float32Array, v: Float32Array, a: AttentionArgs, out: Float32Array): boolean {
  if (a.l === 0 || a.s === 0 || a.d === 0) return false;
  const { ptrs: [qp, kp, vp, op], end } = placement([q, k, v, out], OPERANDS_BASE);
  const job: HeadJob = {
    heads: a.heads, l: a.l, s: a.s, d: a.d, scale: a.scale, causal: a.causal,
    q: operand(qp!, a.q), k: operand(kp!, a.k), v: operand(vp!, a.v), o: operand(op!, a.out), dq: 0, dk: 0, dv: 0,
  };
  const K = kernelsFor(end, job);
  if (!K) return false;
  const f32 = K.f32;
  const copied = new Set<number>();
  [q, k, v].forEach((x, i) => {
    const p = [qp, kp, vp][i]!;
    if (!copied.has(p)) { f32.set(x, p >> 2); copied.add(p); }
  });
  runHeads(TaskKind.AttentionForward, job, a.batch, align64(end), f32, K);
  out.set(K.f32.subarray(op! >> 2, (op! >> 2) + out.length));
  return true;
}

/** The attention gradient on the wasm runtime; false when it cannot run here. */
export function attentionGradWasm(
  q: Float32Array, k: Float32Array, v: Float32Array, g: Float32Array, a: AttentionArgs, dq: Float32Array, dk: Float32Array, dv: Float32Array,
): boolean {
  if (a.l === 0 || a.s === 0 || a.d === 0) return false;
  // the gradients land in their own copies of q, k, v's storages (one, when those are one)
  const { ptrs: [qp, kp, vp, gp, dqp, dkp, dvp], end } = placement([q, k, v, g, dq, dk, dv], OPERANDS_BASE);
  const job: HeadJob = {
    heads: a.heads, l: a.l, s: a.s, d: a.d, scale: a.scale, causal: a.causal,
    q: operand(qp!, a.q), k: operand(kp!, a.k), v: operand(vp!, a.v), o: operand(gp!, a.out), dq: dqp!, dk: dkp!, dv: dvp!,
  };
  const K = kernelsFor(end, job);
  if (!K) return false;
  const f32 = K.f32;
  const copied = new Set<number>();
  [q, k, v, g].forEach((x, i) => {
    const p = [qp, kp, vp, gp][i]!;
    if (!copied.has(p)) { f32.set(x, p >> 2); copied.add(p); }
  });
  runHeads(TaskKind.AttentionBackward, job, a.batch, align64(end), f32, K);
  const done = new Set<number>();
  [dq, dk, dv].forEach((x, i) => {
    const p = [dqp, dkp, dvp][i]!;
    if (done.has(p)) return;
    x.set(K.f32.subarray(p >> 2, (p >> 2) + x.length));
    done.add(p);
  });
  return true;
}
