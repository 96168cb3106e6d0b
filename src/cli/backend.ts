import { listBackends, registerBackend, setBackend, getBackend } from '../backend/registry.js';
import { WasmBackend } from '../backend/wasm/index.js';
import type { StringFlag } from './args.js';

/** The --backend flag every command takes. */
export const BACKEND_FLAG = {
  kind: 'string', choices: ['js', 'wasm'], metavar: 'js|wasm',
  help: 'compute backend: js (reference) or wasm (SIMD + threads matmul); default: $BACKPROP_BACKEND, else the library default',
} as const satisfies StringFlag;

/**
 * Selects the compute backend for a command. The CLI registers the wasm backend itself if the
 * library has not (registering twice is harmless), so `--backend wasm` and BACKPROP_BACKEND=wasm
 * work from the command line either way.
 * @example useBackend('wasm')
 */
export function useBackend(name: string | undefined): string {
  if (!listBackends().includes('wasm')) registerBackend('wasm', () => new WasmBackend());
  if (name !== undefined) setBackend(name);
  return getBackend().name;
}
