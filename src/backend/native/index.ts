/**
 * The native CPU backend, for Node: the wasm backend with its float32 matrix products, same-shape
 * arithmetic, GELU, attention, layer norm, cross-entropy and Adam step run by a C++ addon (native/*.cc), which `npm run build` (and so
 * `npm install` in a clone) compiles with g++ for the machine's own vector width. It works on the
 * tensors' own arrays (no copies into wasm memory) with AVX-512 or AVX2 FMA where the CPU has
 * them: on the 2-core dev box its products run at 220-290 GFLOPS against the wasm GEMM's 40-50,
 * since WebAssembly stops at 128-bit vectors.
 *
 * It registers itself as the preferred CPU backend when the addon loads; where it does not (a
 * browser, no compiler at install, BACKPROP_NATIVE=0, an addon built for another CPU) the wasm
 * backend stays the default. `nativeInfo()` says which and why. BACKPROP_NATIVE_ADDON=FILE loads
 * an addon from elsewhere (with its stamp, FILE with .json for .node, beside it).
 *
 *   NativeBackend            Backend; 'native' in setBackend / BACKPROP_BACKEND
 *   nativeInfo()             { available, reason, path, vectorFloats }
 */
import type { AdamHyper, AttentionArgs, AttentionLayout, BinaryOp, CrossEntropyArgs, MatmulArgs, Shape, TypedArray, UnaryOp } from '../backend.js';
import { markBackendUnavailable, registerBackend } from '../registry.js';
import { checkMatmulArgs } from '../wasm/gemm.js';
import { adamScalars, WASM_MIN_ELEMENTS, WasmBackend } from '../wasm/index.js';
import { requestedThreadCount } from '../wasm/runtime.js';

/** What native/addon.cc exports (ABI 4). */
interface NativeAddon {
  abi(): number;
  /** out = a op b, op 0..3 = + − × ÷, b of out's length or one element */
  arith(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  adam(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number, c1: number, c2: number,
    eps: number, stepSize: number, bc2Sqrt: number, decay: number, l2: number): void;
  vectorFloats(): number;
  /** out = gelu(x), the wasm backend's float32 formula */
  gelu(x: Float32Array, out: Float32Array, threads: number): void;
  /** out = g·gelu'(x), y = gelu(x) */
  geluGrad(g: Float32Array, x: Float32Array, y: Float32Array, out: Float32Array, threads: number): void;
  /** args: attentionInts(); see AttentionArgs */
  attention(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, args: Int32Array, scale: number, threads: number): void;
  attentionGrad(q: Float32Array, k: Float32Array, v: Float32Array, g: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array,
    args: Int32Array, scale: number, threads: number): void;
  layerNorm(x: Float32Array, w: Float32Array | null, b: Float32Array | null, rows: number, cols: number, eps: number, out: Float32Array): void;
  layerNormGrad(g: Float32Array, x: Float32Array, w: Float32Array | null, rows: number, cols: number, eps: number, dx: Float32Array,
    dw: Float32Array | null, db: Float32Array | null): void;
  crossEntropy(z: Float32Array, targets: Int32Array, w: Float32Array | null, rows: number, cols: number, labelSmoothing: number,
    ignoreIndex: number, out: Float32Array): void;
  crossEntropyGrad(z: Float32Array, targets: Int32Array, w: Float32Array | null, g: Float32Array, rows: number, cols: number,
    labelSmoothing: number, ignoreIndex: number, out: Float32Array): void;
  sgemm(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aOffsets: Int32Array | null, bOffsets: Int32Array | null, threads: number): void;
}

/** The addon's interface version this file was written against (native/addon.cc's ABI). */
const ABI = 4;
/** Below this many multiply-adds the JS loop beats a call into the addon. */
const NATIVE_MIN_MACS = 2048;
/** Below this many elements an arithmetic map stays in JS (the call costs about as much). */
const NATIVE_MIN_ELEMENTS = 1024;
const ARITH: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };

/**
 * Whether the native kernels are in use, and if not, why.
 * @example const { available, reason } = nativeInfo(); if (!available) console.log(reason);
 */
export interface NativeInfo {
  available: boolean;
  /** why it is not available (empty when it is) */
  reason: string;
  /** the addon file that was loaded or looked for */
  path: string | null;
  /** float32 lanes per vector the addon was compiled for (16: AVX-512, 8: AVX2, 4: SSE/NEON); 0 when unavailable */
  vectorFloats: number;
}

interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  dlopen?: (module: { exports: unknown }, filename: string) => void;
}
const proc = (globalThis as { process?: NodeProcess }).process;
const isNode = !!proc?.versions?.node;
const fs = isNode ? await import('node:fs') : null;
const url = isNode ? await import('node:url') : null;
const path = isNode ? await import('node:path') : null;
const os = isNode ? await import('node:os') : null;

/** native/build/backprop.node under the package root: the nearest directory above this module with a package.json. */
function findAddon(): string | null {
  if (!fs || !url || !path) return null;
  let dir = path.dirname(url.fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      const candidate = path.join(dir, 'native', 'build', 'backprop.node');
      return fs.existsSync(candidate) ? candidate : null;
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The CPU's feature flags from /proc/cpuinfo (Linux), else null. */
function cpuFlags(): Set<string> | null {
  try {
    const line = fs!.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    return line ? new Set(line.split(':')[1]!.trim().split(/\s+/)) : null;
  } catch {
    return null;
  }
}

function load(): { addon: NativeAddon | null; info: NativeInfo } {
  const none = (reason: string, p: string | null = null): { addon: null; info: NativeInfo } =>
    ({ addon: null, info: { available: false, reason, path: p, vectorFloats: 0 } });
  if (!isNode || !proc?.dlopen) return none('not running in Node');
  if (proc.env?.BACKPROP_NATIVE === '0') return none('BACKPROP_NATIVE=0');
  const file = proc.env?.BACKPROP_NATIVE_ADDON || findAddon();
  if (!file) return none('native/build/backprop.node is not built (in a clone npm run build compiles it, in an installed package node node_modules/backprop/scripts/build-native.mjs; either needs g++)');
  // a -march=native build runs only on a CPU with the features it was compiled for (elsewhere: SIGILL)
  const stampFile = file.replace(/\.node$/, '.json');
  let stamp: { cpu?: string; arch?: string; native?: boolean; flags?: string[] | null };
  try {
    stamp = JSON.parse(fs!.readFileSync(stampFile, 'utf8')) as typeof stamp;
  } catch {
    return none(`${stampFile} is missing or unreadable, so ${file} may be for another CPU; rerun npm run build`, file);
  }
  const here = os?.cpus()[0]?.model ?? 'unknown';
  const arch = (proc as { arch?: string }).arch;
  if (stamp.arch !== arch) return none(`${file} was compiled for ${stamp.arch}, this machine is ${arch}; rerun npm run build`, file);
  if (stamp.native !== false) {
    // Linux: every CPU feature the build machine had must be here; elsewhere, the same CPU model
    const flags = cpuFlags();
    const missing = stamp.flags && flags ? stamp.flags.filter((f) => !flags.has(f)) : null;
    if (missing ? missing.length > 0 : stamp.cpu !== here) {
      const why = missing ? `lacks ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', …' : ''}` : `is ${here}`;
      return none(`${file} was compiled for the CPU of the machine that built it (${stamp.cpu}); this one ${why}; rerun npm run build`, file);
    }
  }
  const mod: { exports: unknown } = { exports: {} };
  try {
    proc.dlopen(mod, file);
  } catch (e) {
    return none(`loading ${file} failed: ${(e as Error).message}`, file);
  }
  const addon = mod.exports as NativeAddon;
  if (typeof addon.abi !== 'function' || addon.abi() !== ABI) {
    return none(`${file} is a stale build (ABI ${typeof addon.abi === 'function' ? addon.abi() : '?'}, expected ${ABI}); rerun npm run build`, file);
  }
  return { addon, info: { available: true, reason: '', path: file, vectorFloats: addon.vectorFloats() } };
}

const loaded = load();
const addon = loaded.addon;

/**
 * Whether the native CPU kernels loaded here, and if not, why.
 * @example if (!nativeInfo().available) console.log(`on wasm: ${nativeInfo().reason}`);
 */
export function nativeInfo(): NativeInfo {
  return { ...loaded.info };
}

/** Whether two arrays share any bytes (the addon writes the output while it reads the inputs). */
function overlaps(x: TypedArray, y: TypedArray): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

/**
 * The attention arguments as the addon takes them: [batch, heads, l, s, d, causal, then offset,
 * batchStride, headStride, rowStride of q, k, v and out], or null where one does not fit an int32.
 */
function attentionInts(a: AttentionArgs): Int32Array | null {
  const layout = (l: AttentionLayout): number[] => [l.offset, l.batchStride, l.headStride, l.rowStride];
  const xs = [a.batch, a.heads, a.l, a.s, a.d, a.causal ? 1 : 0, ...layout(a.q), ...layout(a.k), ...layout(a.v), ...layout(a.out)];
  return xs.every((x) => Number.isInteger(x) && x >= 0 && x <= 0x7fffffff) ? Int32Array.from(xs) : null;
}

/** Float32 arrays, or null where an optional operand is absent (false for any other array). */
function f32OrNull(...xs: (TypedArray | null)[]): boolean {
  return xs.every((x) => x === null || x instanceof Float32Array);
}

/** Whether every target is a class index below `cols` or the ignored index (the addon indexes by them). */
function validTargets(t: Int32Array, a: CrossEntropyArgs): boolean {
  if (t.length < a.rows) return false;
  for (let i = 0; i < a.rows; i++) {
    const c = t[i]!;
    if (c !== a.ignoreIndex && (c < 0 || c >= a.cols)) return false;
  }
  return true;
}

/**
 * The wasm backend with the float32 GEMM, same-shape arithmetic, GELU, attention, layer norm,
 * cross-entropy and the Adam step replaced by the native addon's. The arithmetic, GELU and Adam
 * give the wasm backend's results bit for bit; the others differ in rounding only (the addon's
 * GEMM fuses multiply-adds; its sums run in another order).
 * @example
 * import { setBackend, nativeInfo } from 'backprop';
 * if (nativeInfo().available) setBackend('native');
 */
export class NativeBackend extends WasmBackend {
  override readonly name: string = 'native';

  override matmul(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void {
    if (addon && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array
      && args.batch * args.m * args.n * args.k >= NATIVE_MIN_MACS && !overlaps(a, out) && !overlaps(b, out)) {
      checkMatmulArgs(a, b, out, args);
      addon.sgemm(a, b, out, args.batch, args.m, args.n, args.k, args.transA, args.transB, args.aOffsets, args.bOffsets,
        requestedThreadCount());
      return;
    }
    super.matmul(a, b, out, args);
  }

  override binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void {
    const code = ARITH[op];
    // same-length float32 operands (or a scalar b): residual adds, gradient sums and scalings
    if (addon && code !== undefined && out.length >= NATIVE_MIN_ELEMENTS && out instanceof Float32Array && a instanceof Float32Array
      && b instanceof Float32Array && a.length === out.length && (b.length === out.length || b.length === 1)) {
      addon.arith(code, a, b, out);
      return;
    }
    super.binary(op, a, aShape, b, bShape, out, outShape);
  }

  override unary(op: UnaryOp, x: TypedArray, out: TypedArray, p0 = 0, p1 = 0): void {
    // GELU at the wasm backend's size rule, so that the fused bias + GELU (its kernel) and the
    // unfused path still agree bit for bit
    if (addon && op === 'gelu' && x.length >= WASM_MIN_ELEMENTS && x instanceof Float32Array && out instanceof Float32Array
      && out.length === x.length && !overlaps(x, out)) {
      addon.gelu(x, out, requestedThreadCount());
      return;
    }
    super.unary(op, x, out, p0, p1);
  }

  override geluGrad(g: TypedArray, x: TypedArray, y: TypedArray, out: TypedArray): void {
    if (addon && x.length >= WASM_MIN_ELEMENTS && g instanceof Float32Array && x instanceof Float32Array && y instanceof Float32Array
      && out instanceof Float32Array && g.length === x.length && y.length === x.length && out.length === x.length
      && !overlaps(g, out) && !overlaps(x, out) && !overlaps(y, out)) {
      addon.geluGrad(g, x, y, out, requestedThreadCount());
      return;
    }
    super.geluGrad(g, x, y, out);
  }

  override attention(q: TypedArray, k: TypedArray, v: TypedArray, args: AttentionArgs, out: TypedArray): void {
    const ints = addon && args.l > 0 && args.s > 0 && args.d > 0 ? attentionInts(args) : null;
    if (ints && q instanceof Float32Array && k instanceof Float32Array && v instanceof Float32Array && out instanceof Float32Array
      && !overlaps(q, out) && !overlaps(k, out) && !overlaps(v, out)) {
      addon!.attention(q, k, v, out, ints, args.scale, requestedThreadCount());
      return;
    }
    super.attention(q, k, v, args, out);
  }

  override attentionGrad(q: TypedArray, k: TypedArray, v: TypedArray, g: TypedArray, args: AttentionArgs, dq: TypedArray, dk: TypedArray, dv: TypedArray): void {
    const ints = addon && args.l > 0 && args.s > 0 && args.d > 0 ? attentionInts(args) : null;
    if (ints && q instanceof Float32Array && k instanceof Float32Array && v instanceof Float32Array && g instanceof Float32Array
      && dq instanceof Float32Array && dk instanceof Float32Array && dv instanceof Float32Array
      && [dq, dk, dv].every((d) => [q, k, v, g].every((x) => !overlaps(d, x)))) {
      addon!.attentionGrad(q, k, v, g, dq, dk, dv, ints, args.scale, requestedThreadCount());
      return;
    }
    super.attentionGrad(q, k, v, g, args, dq, dk, dv);
  }

  override layerNorm(x: TypedArray, w: TypedArray | null, b: TypedArray | null, rows: number, cols: number, eps: number, out: TypedArray): void {
    if (addon && rows > 0 && cols > 0 && x instanceof Float32Array && out instanceof Float32Array && f32OrNull(w, b)
      && x.length >= rows * cols && out.length >= rows * cols && !overlaps(x, out)
      && [w, b].every((p) => p === null || (p.length >= cols && !overlaps(p, out)))) {
      addon.layerNorm(x, w as Float32Array | null, b as Float32Array | null, rows, cols, eps, out);
      return;
    }
    super.layerNorm(x, w, b, rows, cols, eps, out);
  }

  override layerNormGrad(g: TypedArray, x: TypedArray, w: TypedArray | null, rows: number, cols: number, eps: number, dx: TypedArray,
    dw: TypedArray | null, db: TypedArray | null): void {
    const outs = [dx, dw, db].filter((o): o is TypedArray => o !== null);
    if (addon && rows > 0 && cols > 0 && g instanceof Float32Array && x instanceof Float32Array && dx instanceof Float32Array && f32OrNull(w, dw, db)
      && g.length >= rows * cols && x.length >= rows * cols && dx.length >= rows * cols
      && [w, dw, db].every((p) => p === null || p.length >= cols)
      && outs.every((o) => [g, x, w].every((i) => i === null || !overlaps(o, i)))) {
      addon.layerNormGrad(g, x, w as Float32Array | null, rows, cols, eps, dx, dw as Float32Array | null, db as Float32Array | null);
      return;
    }
    super.layerNormGrad(g, x, w, rows, cols, eps, dx, dw, db);
  }

  // the wasm backend's are properties (the reference's functions), so these are too
  readonly #crossEntropy: WasmBackend['crossEntropy'] = (this as WasmBackend).crossEntropy;
  override readonly crossEntropy = (z: TypedArray, targets: TypedArray, weight: TypedArray | null, a: CrossEntropyArgs, out: TypedArray): void => {
    if (addon && a.rows > 0 && a.cols > 0 && z instanceof Float32Array && targets instanceof Int32Array && out instanceof Float32Array
      && f32OrNull(weight) && z.length >= a.rows * a.cols && out.length >= a.rows && (weight === null || weight.length >= a.cols)
      && !overlaps(z, out) && (weight === null || !overlaps(weight, out)) && validTargets(targets, a)) {
      addon.crossEntropy(z, targets, weight as Float32Array | null, a.rows, a.cols, a.labelSmoothing, a.ignoreIndex, out);
      return;
    }
    this.#crossEntropy(z, targets, weight, a, out);
  };

  readonly #crossEntropyGrad: WasmBackend['crossEntropyGrad'] = (this as WasmBackend).crossEntropyGrad;
  override readonly crossEntropyGrad = (z: TypedArray, targets: TypedArray, weight: TypedArray | null, g: TypedArray, a: CrossEntropyArgs, out: TypedArray): void => {
    if (addon && a.rows > 0 && a.cols > 0 && z instanceof Float32Array && targets instanceof Int32Array && g instanceof Float32Array
      && out instanceof Float32Array && f32OrNull(weight) && z.length >= a.rows * a.cols && out.length >= a.rows * a.cols && g.length >= a.rows
      && (weight === null || weight.length >= a.cols) && !overlaps(z, out) && !overlaps(g, out) && (weight === null || !overlaps(weight, out))
      && validTargets(targets, a)) {
      addon.crossEntropyGrad(z, targets, weight as Float32Array | null, g, a.rows, a.cols, a.labelSmoothing, a.ignoreIndex, out);
      return;
    }
    this.#crossEntropyGrad(z, targets, weight, g, a, out);
  };

  override adamStep(x: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, vmax: TypedArray | null, h: AdamHyper): void {
    if (addon && vmax === null && !h.maximize && x instanceof Float32Array && g instanceof Float32Array && m instanceof Float32Array
      && v instanceof Float32Array && g.length === x.length && m.length === x.length && v.length === x.length) {
      const s = adamScalars(h);
      addon.adam(x, g, m, v, s.b1, s.b2, s.c1, s.c2, s.eps, s.stepSize, s.bc2Sqrt, s.decay, s.l2);
      return;
    }
    super.adamStep(x, g, m, v, vmax, h);
  }
}

if (addon) registerBackend('native', () => new NativeBackend(), { preferred: true });
else markBackendUnavailable('native', loaded.info.reason);
