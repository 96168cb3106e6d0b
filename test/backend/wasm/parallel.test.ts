/**
 * The worker protocol's rule for non-GEMM jobs: making a job's task function writes no memory.
 * A worker may wake after the job it was woken for has ended, while the main thread is already
 * copying the next job's operands in; only a task it manages to claim may write.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { encodeHeadJob, headScratchBytes, type HeadJob } from '../../../src/backend/wasm/attention-head.js';
import { OPERANDS_BASE, runtimeKernels } from '../../../src/backend/wasm/runtime.js';
import { mapArgs, TaskKind, taskRunner } from '../../../src/backend/wasm/parallel.js';
import { wasmAvailable } from '../../../src/backend/wasm/index.js';

const skip = wasmAvailable() ? false : 'wasm SIMD unavailable';

test('making a task function for any job kind leaves wasm memory untouched', { skip }, () => {
  const l = 16, d = 8, heads = 2;
  const op = (ptr: number) => ({ ptr, offset: 0, batchStride: l * heads * d, headStride: d, rowStride: heads * d });
  const size = l * heads * d * 4;
  const job: HeadJob = {
    heads, l, s: l, d, scale: 0.25, causal: true, dq: OPERANDS_BASE + 4 * size, dk: OPERANDS_BASE + 5 * size, dv: OPERANDS_BASE + 6 * size,
    q: op(OPERANDS_BASE), k: op(OPERANDS_BASE + size), v: op(OPERANDS_BASE + 2 * size), o: op(OPERANDS_BASE + 3 * size),
  };
  const scratchBase = OPERANDS_BASE + 7 * size;
  const end = scratchBase + 4 * headScratchBytes(job);
  const k = runtimeKernels(end);
  if (!k) return;
  const jobs: [string, TaskKind, number[]][] = [
    ['attention', TaskKind.AttentionForward, encodeHeadJob(job, scratchBase, headScratchBytes(job))],
    ['attention gradient', TaskKind.AttentionBackward, encodeHeadJob(job, scratchBase, headScratchBytes(job))],
    ['map', TaskKind.Map, mapArgs('map_exp', [OPERANDS_BASE], OPERANDS_BASE + size, size / 16, 4)],
  ];
  const words = new Int32Array(k.memory.buffer, OPERANDS_BASE, (end - OPERANDS_BASE) >> 2);
  for (const [name, kind, args] of jobs) {
    for (let i = 0; i < words.length; i++) words[i] = 0x5a5a5a5a ^ i;
    for (const slot of [0, 1, 2]) taskRunner(kind, Int32Array.from(args), k, slot);
    const changed = words.findIndex((w, i) => w !== (0x5a5a5a5a ^ i));
    assert.equal(changed, -1, `${name}: making the task function wrote memory at byte ${OPERANDS_BASE + 4 * changed}`);
  }
});
