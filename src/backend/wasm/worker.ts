/**
 * Worker entry (Node worker_threads or a browser module Worker). Receives the shared memory,
 * the compiled modules and its thread slot, instantiates the kernels and serves jobs: GEMM
 * tiles, and the other kinds of parallel.ts.
 */
import { taskRunner, type ThreadKernels } from './parallel.js';
import { GemmKernels, workerLoop } from './tasks.js';
import type { ElementwiseKernels } from './elementwise.js';
import type { RowKernels } from './rows-kernels.js';

interface Init {
  memory: WebAssembly.Memory;
  /** the elementwise and row modules are null where they could not be compiled (no such jobs come then) */
  modules: { gemm: WebAssembly.Module; elementwise: WebAssembly.Module | null; rows: WebAssembly.Module | null };
  slot: number;
}

function start(init: Init): void {
  const instance = <T>(m: WebAssembly.Module): T => new WebAssembly.Instance(m, { env: { memory: init.memory } }).exports as unknown as T;
  const { gemm, elementwise, rows } = init.modules;
  const kernels: ThreadKernels = {
    gemm: instance<GemmKernels>(gemm),
    elementwise: elementwise ? instance<ElementwiseKernels>(elementwise) : ({} as ElementwiseKernels),
    rows: rows ? instance<RowKernels>(rows) : ({} as RowKernels),
    memory: init.memory,
  };
  workerLoop(init.memory, kernels.gemm, init.slot, (kind, args, slot) => taskRunner(kind, args, kernels, slot));
}

const isNode = typeof process !== 'undefined' && typeof process.versions === 'object' && !!process.versions.node;
if (isNode) {
  const wt = await import('node:worker_threads');
  start(wt.workerData as Init);
} else {
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<Init>) => void) | null };
  scope.onmessage = (e) => {
    scope.onmessage = null;
    start(e.data);
  };
}
