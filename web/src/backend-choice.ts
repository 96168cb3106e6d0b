/**
 * Picks the WebAssembly backend when it works here, else the JS reference backend; and the page's
 * device choice: whether WebGPU can be offered, and starting it in a worker (CPU if it fails).
 */
import { WasmBackend, getBackend, initDevice, listBackends, registerBackend, setBackend, wasmInfo } from '../../src/browser.js';

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

/** The devices the page offers: the CPU (the backend above), or WebGPU where the browser has an adapter. */
export type PageDevice = 'cpu' | 'webgpu';

export interface WebGpuAvailability {
  available: boolean;
  /** the adapter ('google swiftshader ...') when available, else why WebGPU cannot be offered */
  detail: string;
}

interface GpuLike {
  requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; device?: string; description?: string } } | null>;
}

/**
 * Whether WebGPU can be offered here: `navigator.gpu` exists and gives an adapter. Asked once on
 * the page (the workers start the device themselves when chosen).
 */
export async function webgpuAvailability(): Promise<WebGpuAvailability> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    return { available: false, detail: secure === false ? 'the page is not a secure context (https or localhost)' : 'this browser has no WebGPU (navigator.gpu)' };
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, detail: 'the browser found no WebGPU adapter (WebGPU disabled or blocklisted for this GPU)' };
    const i = adapter.info ?? {};
    const name = [i.vendor, i.architecture, i.device, i.description].filter((s) => s !== undefined && s !== '').join(' ');
    return { available: true, detail: name || 'unknown adapter' };
  } catch (e) {
    return { available: false, detail: `requesting a WebGPU adapter failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** What a worker trains on, for the page: the device, its description, and why WebGPU was not used when it was asked for. */
export interface DeviceInUse {
  device: PageDevice;
  /** 'WebGPU (google swiftshader ...)' or 'CPU · wasm, 2 threads' */
  label: string;
  /** set when WebGPU was chosen but could not start, so the CPU is used */
  fallback?: string;
}

/**
 * Starts the chosen device in a worker: for WebGPU, `initDevice('webgpu')`; if that fails, the CPU
 * with the reason. The CPU needs nothing started (the backend was chosen by chooseBackend).
 */
export async function startDevice(wanted: PageDevice, cpu: BackendChoice): Promise<DeviceInUse> {
  const cpuLabel = `CPU · ${cpu.name}, ${cpu.threads} thread${cpu.threads === 1 ? '' : 's'}`;
  if (wanted === 'cpu') return { device: 'cpu', label: cpuLabel };
  try {
    const info = await initDevice('webgpu');
    return { device: 'webgpu', label: `WebGPU (${info.description})` };
  } catch (e) {
    return { device: 'cpu', label: cpuLabel, fallback: `WebGPU failed to start: ${e instanceof Error ? e.message : String(e)}` };
  }
}
