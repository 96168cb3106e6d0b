/**
 * The webgpu device's entry in the registry, and its counters. Small on purpose: importing the
 * library loads only this; the backend (kernels, runtime) is imported when initDevice('webgpu')
 * first runs, and the Node `webgpu` package (Dawn) only then too.
 */
import { registerDevice } from '../registry.js';
import type { DispatchStats, MemoryStats } from './runtime.js';

export type { DispatchStats, MemoryStats } from './runtime.js';

interface Started {
  memoryStats(): MemoryStats;
  dispatchStats(): DispatchStats;
}

let started: Started | null = null;

registerDevice('webgpu', async () => {
  const { startWebGpu } = await import('./index.js');
  const s = await startWebGpu();
  started = s.backend;
  return s;
});

/**
 * GPU memory of the webgpu device: bytes held by tensors (live) and kept for reuse (pooled);
 * zeros before initDevice('webgpu').
 * @example const { liveBytes, pooledBytes } = memoryStats();
 */
export function memoryStats(): MemoryStats {
  return started?.memoryStats() ?? { liveBytes: 0, liveBuffers: 0, pooledBytes: 0, pooledBuffers: 0, peakLiveBytes: 0, allocatedBytes: 0 };
}

/**
 * Work the webgpu device has done so far: kernels dispatched and command buffers submitted
 * (subtract two readings to count per training step).
 * @example const before = dispatchStats(); step(); const perStep = dispatchStats().dispatches - before.dispatches;
 */
export function dispatchStats(): DispatchStats {
  return started?.dispatchStats() ?? { dispatches: 0, submissions: 0, pipelines: 0, uploads: 0, readbacks: 0 };
}
