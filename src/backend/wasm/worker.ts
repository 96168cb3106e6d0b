/**
 * Worker entry (Node worker_threads or a browser module Worker). Receives the shared memory,
 * the compiled module and its thread slot, instantiates the kernels and serves GEMM jobs.
 */
import { GemmKernels, workerLoop } from './tasks.js';

interface Init {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  slot: number;
}

function start(init: Init): void {
  const inst = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  workerLoop(init.memory, inst.exports as unknown as GemmKernels, init.slot);
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
