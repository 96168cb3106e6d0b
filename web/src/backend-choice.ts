/** Picks the WebAssembly backend when it works here, else the JS reference backend. */
import { WasmBackend, getBackend, listBackends, registerBackend, setBackend, wasmInfo } from '../../src/browser.js';

// src/backend/wasm does not register itself yet (the CLI does the same in src/cli/backend.ts)
if (!listBackends().includes('wasm')) registerBackend('wasm', () => new WasmBackend());

export interface BackendChoice {
  name: string;
  threads: number;
  /** why the choice was made, for the page */
  detail: string;
}

export function chooseBackend(): BackendChoice {
  try {
    setBackend('wasm');
    const info = wasmInfo();
    if (!info.available) {
      setBackend('js');
      return { name: 'js', threads: 1, detail: 'WebAssembly SIMD is not available in this browser' };
    }
    const simd = info.relaxedSimd ? 'relaxed SIMD' : 'SIMD';
    const shared = info.shared ? 'shared memory' : 'no shared memory (page not cross-origin isolated)';
    return { name: getBackend().name, threads: info.threads, detail: `${simd}, ${shared}` };
  } catch (e) {
    setBackend('js');
    return { name: 'js', threads: 1, detail: `wasm backend unavailable: ${e instanceof Error ? e.message : String(e)}` };
  }
}
