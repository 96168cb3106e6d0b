/**
 * The WebAssembly backend: the JS reference backend with the hot kernel (float32 GEMM) replaced
 * by a multi-threaded SIMD wasm implementation generated at runtime (no build step, no deps).
 *
 *   new WasmBackend()        Backend; float32 matmul -> wasm, everything else -> JsBackend
 *   setNumThreads(n)         threads for large matmuls (default: BACKPROP_THREADS env var, else
 *                            os.availableParallelism() / navigator.hardwareConcurrency)
 *   getNumThreads()          effective thread count (1 when shared memory is unavailable)
 *   wasmAvailable()          WebAssembly SIMD usable here (compiles the module on first call)
 *   wasmInfo()               { available, simd, relaxedSimd, shared, threads }
 *   sgemm(a, b, out, args)   the float32 kernel itself, same contract as Backend.matmul
 *   GemmError, WasmMemoryError   typed errors (bad arguments; operands beyond 2 GiB of wasm memory)
 *
 * Results are bitwise deterministic across runs and across thread counts. Set
 * BACKPROP_WASM_RELAXED=1 on Node 20 to enable relaxed SIMD (fused multiply-add, ~4% faster,
 * different rounding); engines that ship relaxed SIMD use it automatically.
 */
import type { MatmulArgs, TypedArray } from '../backend.js';
import { JsBackend } from '../js/index.js';
import { registerBackend } from '../registry.js';
import { sgemm, WasmMemoryError, wasmAvailable } from './gemm.js';

export { GemmError, getNumThreads, setNumThreads, sgemm, WasmMemoryError, wasmAvailable, wasmInfo } from './gemm.js';

/** Below this many multiply-adds the copy-in/out costs more than the JS loop. */
const WASM_MIN_MACS = 512;

export class WasmBackend extends JsBackend {
  override readonly name: string = 'wasm';
  /** resolved on first matmul, so constructing the backend compiles nothing */
  private useWasm: boolean | null = null;

  override matmul(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void {
    if (
      (this.useWasm ??= wasmAvailable()) && a instanceof Float32Array && b instanceof Float32Array
      && out instanceof Float32Array && args.batch * args.m * args.n * args.k >= WASM_MIN_MACS
    ) {
      try {
        sgemm(a, b, out, args);
        return;
      } catch (e) {
        if (!(e instanceof WasmMemoryError)) throw e;
        // too big for wasm memory: the JS kernel still works on the original arrays
      }
    }
    super.matmul(a, b, out, args);
  }
}

// Selectable as 'wasm' as soon as this module is loaded, and the default unless BACKPROP_BACKEND
// says otherwise (it falls back to JS kernels by itself where wasm SIMD is missing).
registerBackend('wasm', () => new WasmBackend(), { preferred: true });
