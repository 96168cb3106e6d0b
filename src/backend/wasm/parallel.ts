/**
 * Jobs besides the GEMM that the wasm runtime splits across its threads: every thread holds
 * the same modules on the same shared memory, and a job is a kind, int32 arguments in the
 * control block and a number of tasks claimed from a shared counter (see tasks.ts).
 *
 *   Map                 a SIMD map over a range of vectors, in chunks
 *   AttentionForward    one attention head per task
 *   AttentionBackward   one head's gradient per task
 */
import { attentionGradHead, attentionHead, clearHeadScratch, decodeHeadJob } from './attention-head.js';
import type { ElementwiseKernels } from './elementwise.js';
import type { RowKernels } from './rows-kernels.js';
import type { GemmKernels } from './tasks.js';

export const enum TaskKind {
  Map = 1,
  AttentionForward = 2,
  AttentionBackward = 3,
}

/** @internal One thread's instances of the modules, and the memory they share. */
export interface ThreadKernels {
  gemm: GemmKernels;
  elementwise: ElementwiseKernels;
  rows: RowKernels;
  memory: WebAssembly.Memory;
}

/** The maps a Map job can run, by index: one input (src, dst, nVec) or three (geluGrad). */
export const MAPS = ['map_exp', 'map_log', 'map_sigmoid', 'map_tanh', 'map_gelu', 'map_softplus', 'map3_geluGrad'] as const;
export type MapName = (typeof MAPS)[number];

/**
 * Arguments of a Map job: which map, up to three input addresses, the output address, the
 * number of 16-byte vectors and the vectors per task.
 */
export function mapArgs(map: MapName, inputs: readonly number[], dst: number, nVec: number, chunk: number): number[] {
  return [MAPS.indexOf(map), inputs[0] ?? 0, inputs[1] ?? 0, inputs[2] ?? 0, dst, nVec, chunk];
}

/**
 * @internal The function that runs task `idx` of a job of `kind` on the thread in `slot`. Making it
 * must not write memory: a thread may make it for a job that has already ended (see claimTasks).
 */
export function taskRunner(kind: number, a: Int32Array, k: ThreadKernels, slot: number): (idx: number) => void {
  switch (kind) {
    case TaskKind.Map: {
      const name = MAPS[a[0]!]!, in0 = a[1]!, in1 = a[2]!, in2 = a[3]!, dst = a[4]!, nVec = a[5]!, chunk = a[6]!;
      if (name === 'map3_geluGrad') {
        const f = k.elementwise.map3_geluGrad;
        return (t) => {
          const v0 = t * chunk, off = v0 * 16;
          f(in0 + off, in1 + off, in2 + off, dst + off, Math.min(chunk, nVec - v0));
        };
      }
      const f = k.elementwise[name];
      return (t) => {
        const v0 = t * chunk, off = v0 * 16;
        f(in0 + off, dst + off, Math.min(chunk, nVec - v0));
      };
    }
    case TaskKind.AttentionForward:
    case TaskKind.AttentionBackward: {
      const { job, base } = decodeHeadJob(a, slot);
      const f32 = new Float32Array(k.memory.buffer);
      const head = kind === TaskKind.AttentionForward ? attentionHead : attentionGradHead;
      // The scratch is cleared with the first task this thread claims, never before: a worker that
      // wakes after the job has ended must not write memory the next job is already using.
      let cleared = false;
      return (t) => {
        if (!cleared) {
          clearHeadScratch(f32, job, base);
          cleared = true;
        }
        head(k.gemm, k.rows, f32, job, Math.floor(t / job.heads), t % job.heads, base);
      };
    }
    default:
      throw new Error(`wasm runtime: unknown task kind ${kind}`);
  }
}
