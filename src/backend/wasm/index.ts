/**
 * The WebAssembly backend: the JS reference backend with the hot kernel (float32 GEMM) replaced
 * by a multi-threaded SIMD wasm implementation generated at runtime.
 */
import type { MatmulArgs, TypedArray } from '../backend.js';
import { JsBackend } from '../js/index.js';
import { sgemm, wasmAvailable } from './gemm.js';

export { GemmError, getNumThreads, setNumThreads, sgemm, wasmAvailable, wasmInfo } from './gemm.js';

/** Below this many multiply-adds the copy-in/out costs more than the JS loop. */
const WASM_MIN_MACS = 512;

export class WasmBackend extends JsBackend {
  override readonly name: string = 'wasm';
  /** resolved on first matmul, so constructing the backend compiles nothing */
  private useWasm: boolean | null = null;

  override matmul(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void {
    if (
      (this.useWasm ??= wasmAvailable()) && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array
      && args.batch * args.m * args.n * args.k >= WASM_MIN_MACS
    ) {
      sgemm(a, b, out, args);
      return;
    }
    super.matmul(a, b, out, args);
  }
}
