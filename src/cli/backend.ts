import { setBackend, getBackend } from '../backend/registry.js';
// Loading the wasm backend registers it (as the preferred backend where WebAssembly is available).
import '../backend/wasm/index.js';
import type { StringFlag } from './args.js';

/** The --backend flag every command takes. */
export const BACKEND_FLAG = {
  kind: 'string', choices: ['js', 'wasm'], metavar: 'js|wasm',
  help: 'compute backend: js (reference) or wasm (SIMD kernels, threaded matmul); default: $BACKPROP_BACKEND, else wasm where available',
} as const satisfies StringFlag;

/**
 * Selects the compute backend for a command and returns its name.
 * @example useBackend('js') // 'js'
 */
export function useBackend(name: string | undefined): string {
  if (name !== undefined) setBackend(name);
  return getBackend().name;
}
