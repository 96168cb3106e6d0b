/**
 * The WebGPU kernel conformance cases: every WGSL kernel against the reference backend
 * (src/backend/js) on shapes with broadcasting, odd sizes, empty tensors and sizes above one
 * workgroup. Environment-free, so the same cases run under node:test (Dawn) and inside headless
 * Chromium (navigator.gpu). Each case throws an Error naming the kernel, the index and both
 * values on a mismatch.
 */
import { JsBackend } from '../../../src/backend/js/index.js';
import type {
  ActGradActivation, BiasActivation, BinaryOp, Conv2dArgs, CrossEntropyArgs, DType, MatmulArgs, TypedArray, UnaryOp,
} from '../../../src/backend/backend.js';
import type { GpuBuffer, WebGpuBackend } from '../../../src/backend/webgpu/index.js';
import { UNARY, BINARY } from '../../../src/backend/webgpu/kernels/elementwise.js';
import { checkCase, conformanceCases as sharedCases } from '../conformance-cases.js';

export interface ConformanceCase {
  name: string;
  /** part of the small set Node runs when asked for a smoke test */
  smoke: boolean;
  run(gpu: WebGpuBackend): Promise<void>;
}

const ref = new JsBackend();

/** mulberry32: a small seeded generator, so both environments draw the same inputs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(1234);
const randF32 = (n: number, lo = -2, hi = 2): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
const randI32 = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => lo + Math.floor((hi - lo) * rand()));
const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
const stridesOf = (s: readonly number[]): number[] => {
  const r = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) { r[i] = acc; acc *= s[i]!; }
  return r;
};

export function close(name: string, got: TypedArray, want: ArrayLike<number>, rtol = 1e-5, atol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`${name}: length ${got.length}, reference ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (a === b) continue;
    if (Number.isNaN(b)) { if (Number.isNaN(a)) continue; throw new Error(`${name}[${i}]: expected NaN, got ${a}`); }
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) throw new Error(`${name}[${i}]: webgpu ${a} vs reference ${b}`);
  }
}

const exact = (name: string, got: TypedArray, want: ArrayLike<number>): void => close(name, got, want, 0, 0);

function f32(a: ArrayLike<number>): Float32Array { return Float32Array.from(a); }

/** Runs a kernel on the GPU and returns its output read back. */
async function onGpu(gpu: WebGpuBackend, dtype: DType, n: number, k: (out: GpuBuffer) => void): Promise<TypedArray> {
  const out = gpu.alloc(dtype, n);
  k(out);
  return gpu.read(out);
}

const cases: ConformanceCase[] = [];
function add(name: string, smoke: boolean, run: (gpu: WebGpuBackend) => Promise<void>): void {
  cases.push({ name, smoke, run });
}

// ---- elementwise -------------------------------------------------------------------------

const SPECIAL = f32([0, -0, 1, -1, 0.5, -0.5, 1e-6, -1e-6, 20, -20, 90, -90, Infinity, -Infinity, NaN, 3.5, -2.5]);
const POSITIVE_ONLY: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['log', 'sqrt', 'powScalar']);
const unaryParams = (op: UnaryOp): [number, number] =>
  op === 'powScalar' ? [1.5, 0] : op === 'clamp' ? [-0.5, 0.75] : op === 'leakyRelu' ? [0.2, 0] : op === 'elu' ? [1.3, 0] : [0, 0];

function unaryRef(op: UnaryOp, x: Float32Array, p0: number, p1: number): Float32Array {
  const out = new Float32Array(x.length);
  ref.unary(op, x, out, p0, p1);
  return out;
}

for (const op of Object.keys(UNARY) as UnaryOp[]) {
  add(`unary ${op} float32`, op === 'exp' || op === 'sigmoid' || op === 'gelu', async (gpu) => {
    const [p0, p1] = unaryParams(op);
    for (const n of [0, 1, 7, 1000, 4099]) {
      const x = POSITIVE_ONLY.has(op) ? randF32(n, 0.1, 3) : randF32(n, -3, 3);
      const got = await onGpu(gpu, 'float32', n, (o) => gpu.unary(op, gpu.upload(x), o, p0, p1));
      close(`unary ${op} n=${n}`, got, unaryRef(op, x, p0, p1), 2e-5, 2e-6);
    }
    const got = await onGpu(gpu, 'float32', SPECIAL.length, (o) => gpu.unary(op, gpu.upload(SPECIAL), o, p0, p1));
    close(`unary ${op} at ${Array.from(SPECIAL).join(',')}`, got, unaryRef(op, SPECIAL, p0, p1), 2e-5, 2e-6);
  });
}

add('unary int32 (stays integral) and isfinite into int32', true, async (gpu) => {
  const x = Int32Array.from([0, 1, -1, 7, -7, 123456, -99999, 46340]);
  for (const op of ['neg', 'abs', 'sign', 'relu', 'copy', 'floor'] as const) {
    const want = new Int32Array(x.length);
    ref.unary(op, x, want);
    exact(`unary ${op} int32`, await onGpu(gpu, 'int32', x.length, (o) => gpu.unary(op, gpu.upload(x), o)), want);
  }
  const want = new Int32Array(SPECIAL.length);
  ref.unary('isfinite', SPECIAL, want);
  exact('isfinite float32 → int32', await onGpu(gpu, 'int32', SPECIAL.length, (o) => gpu.unary('isfinite', gpu.upload(SPECIAL), o)), want);
});

const BROADCASTS: [number[], number[], number[]][] = [
  [[37], [37], [37]], [[5, 33], [33], [5, 33]], [[5, 1], [1, 17], [5, 17]], [[2, 3, 4], [3, 1], [2, 3, 4]],
  [[64, 130], [], [64, 130]], [[], [3, 4], [3, 4]], [[0, 4], [4], [0, 4]], [[3, 1, 2, 1, 5], [4, 1, 5], [3, 4, 2, 1, 5]],
  [[300, 257], [300, 1], [300, 257]],
];

for (const op of Object.keys(BINARY) as BinaryOp[]) {
  add(`binary ${op} float32 with broadcasting`, op === 'add' || op === 'mul', async (gpu) => {
    for (const [as, bs, os] of BROADCASTS) {
      const a = randF32(size(as), 0.5, 2), b = randF32(size(bs), 0.5, 2);
      if (op === 'eq' || op === 'ne' || op === 'le' || op === 'ge') for (let i = 0; i < Math.min(a.length, b.length); i += 3) a[i] = b[i]!;
      const want = new Float32Array(size(os));
      ref.binary(op, a, as, b, bs, want, os);
      const got = await onGpu(gpu, 'float32', size(os), (o) => gpu.binary(op, gpu.upload(a), as, gpu.upload(b), bs, o, os));
      close(`binary ${op} ${JSON.stringify([as, bs])}`, got, want, 2e-6, 1e-6);
    }
  });
}

add('binary on int32 (wrapping, truncating division, division by zero gives 0, integer pow)', true, async (gpu) => {
  const a = Int32Array.from([7, -7, 7, -7, 0, 5, 2147483647, -3, 2, 3, -2, 1]);
  const b = Int32Array.from([2, 2, -2, -2, 0, 0, 1, 3, 10, -1, 3, 0]);
  for (const op of Object.keys(BINARY) as BinaryOp[]) {
    const want = new Int32Array(a.length);
    ref.binary(op, a, [a.length], b, [b.length], want, [a.length]);
    exact(`binary ${op} int32`, await onGpu(gpu, 'int32', a.length, (o) => gpu.binary(op, gpu.upload(a), [a.length], gpu.upload(b), [b.length], o, [a.length])), want);
  }
  // comparisons of float32 operands written as int32
  const x = randF32(50), y = randF32(50);
  const want = new Int32Array(50);
  ref.binary('lt', x, [50], y, [50], want, [50]);
  exact('lt float32 → int32', await onGpu(gpu, 'int32', 50, (o) => gpu.binary('lt', gpu.upload(x), [50], gpu.upload(y), [50], o, [50])), want);
});

add('binary maximum/minimum propagate NaN like the CPU', false, async (gpu) => {
  const a = f32([NaN, 1, NaN, -Infinity, 2]), b = f32([1, NaN, NaN, 3, Infinity]);
  for (const op of ['maximum', 'minimum', 'pow', 'eq', 'ne'] as const) {
    const want = new Float32Array(5);
    ref.binary(op, a, [5], b, [5], want, [5]);
    close(`binary ${op} NaN`, await onGpu(gpu, 'float32', 5, (o) => gpu.binary(op, gpu.upload(a), [5], gpu.upload(b), [5], o, [5])), want);
  }
});

add('where with broadcasting (float32 and int32 conditions)', false, async (gpu) => {
  for (const [as, bs, os] of BROADCASTS) {
    const c = randI32(size(as), 0, 2), a = randF32(size(as)), b = randF32(size(bs));
    const want = new Float32Array(size(os));
    ref.where(c, as, a, as, b, bs, want, os);
    close(`where ${JSON.stringify([as, bs])}`, await onGpu(gpu, 'float32', size(os), (o) => gpu.where(gpu.upload(c), as, gpu.upload(a), as, gpu.upload(b), bs, o, os)), want);
    const cf = Float32Array.from(c);
    close(`where float cond ${JSON.stringify([as, bs])}`, await onGpu(gpu, 'float32', size(os), (o) => gpu.where(gpu.upload(cf), as, gpu.upload(a), as, gpu.upload(b), bs, o, os)), want);
  }
});

add('cast float32 ↔ int32 (truncation toward zero, NaN → 0)', true, async (gpu) => {
  const x = f32([0, 0.9, -0.9, 1.5, -1.5, 2.99, -2.99, 1e6 + 0.5, NaN, 123.456]);
  exact('cast f32→i32', await onGpu(gpu, 'int32', x.length, (o) => gpu.cast(gpu.upload(x), o)), Int32Array.from(x, (v) => (Number.isNaN(v) ? 0 : Math.trunc(v))));
  const y = Int32Array.from([0, 1, -1, 16777217, -5]);
  exact('cast i32→f32', await onGpu(gpu, 'float32', y.length, (o) => gpu.cast(gpu.upload(y), o)), Float32Array.from(y));
  const z = randF32(1000);
  exact('cast f32→f32 copies', await onGpu(gpu, 'float32', 1000, (o) => gpu.cast(gpu.upload(z), o)), z);
});

add('biasAct for every activation', false, async (gpu) => {
  for (const act of ['none', 'relu', 'sigmoid', 'tanh', 'gelu'] as BiasActivation[]) {
    for (const [rows, cols] of [[0, 5], [1, 1], [7, 33], [130, 257]] as const) {
      const z = randF32(rows * cols, -3, 3), bias = randF32(cols);
      const want = new Float32Array(rows * cols);
      ref.biasAct(act, z, bias, want);
      close(`biasAct ${act} [${rows},${cols}]`, await onGpu(gpu, 'float32', rows * cols, (o) => gpu.biasAct(act, gpu.upload(z), gpu.upload(bias), o)), want, 2e-5, 2e-6);
    }
  }
});

add('actGrad for every activation', true, async (gpu) => {
  for (const act of ['sigmoid', 'tanh', 'relu'] as ActGradActivation[]) {
    for (const n of [0, 1, 1031, 70000]) {
      const g = randF32(n), y = randF32(n, -1, 1);
      const want = new Float32Array(n);
      ref.actGrad(act, g, y, want);
      close(`actGrad ${act} n=${n}`, await onGpu(gpu, 'float32', n, (o) => gpu.actGrad(act, gpu.upload(g), gpu.upload(y), o)), want);
    }
  }
});

// ---- reductions --------------------------------------------------------------------------

const REDUCE_CASES: [number[], number[][]][] = [
  [[4, 5, 67], [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2], []]],
  [[3, 70000], [[1], [0]]],
  [[2000, 33], [[1], [0]]],
  [[600, 500], [[0, 1]]],
  [[0, 5], [[0], [1]]],
  [[5, 0], [[1], [0]]],
  [[], [[]]],
];

add('reduce sum/max/min over any axes (one thread, one workgroup, and two passes per output)', false, async (gpu) => {
  for (const [shape, axesList] of REDUCE_CASES) {
    const x = randF32(size(shape));
    for (const axes of axesList) {
      for (const op of ['sum', 'max', 'min'] as const) {
        const outSize = size(shape.filter((_, i) => !axes.includes(i)));
        const want = new Float32Array(outSize);
        ref.reduce(op, x, shape, axes, want);
        const red = size(axes.map((a) => shape[a]!));
        close(`reduce ${op} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`, await onGpu(gpu, 'float32', outSize, (o) => gpu.reduce(op, gpu.upload(x), shape, axes, o)), want, 1e-5, 1e-6 * Math.max(1, Math.sqrt(red)));
      }
    }
  }
});

add('reduce on int32 is exact, and max/min let NaN win', false, async (gpu) => {
  const x = randI32(3 * 1000, -1000, 1000);
  for (const op of ['sum', 'max', 'min'] as const) {
    for (const axes of [[0], [1], [0, 1]]) {
      const outSize = size([3, 1000].filter((_, i) => !axes.includes(i)));
      const want = new Int32Array(outSize);
      ref.reduce(op, x, [3, 1000], axes, want);
      exact(`reduce ${op} int32 axes ${axes}`, await onGpu(gpu, 'int32', outSize, (o) => gpu.reduce(op, gpu.upload(x), [3, 1000], axes, o)), want);
    }
  }
  const y = randF32(4 * 300);
  y[5] = NaN; y[900] = NaN;
  for (const op of ['max', 'min'] as const) {
    for (const axes of [[1], [0], [0, 1]]) {
      const outSize = size([4, 300].filter((_, i) => !axes.includes(i)));
      const want = new Float32Array(outSize);
      ref.reduce(op, y, [4, 300], axes, want);
      close(`reduce ${op} NaN axes ${axes}`, await onGpu(gpu, 'float32', outSize, (o) => gpu.reduce(op, gpu.upload(y), [4, 300], axes, o)), want);
    }
  }
});

add('argmax/argmin along each axis (first index on ties, NaN wins)', false, async (gpu) => {
  const shapes: number[][] = [[4, 5, 67], [2, 5000], [3000, 7]];
  for (const shape of shapes) {
    const x = randF32(size(shape));
    for (let i = 0; i < x.length; i += 11) x[i] = 1.5; // ties
    if (x.length > 4000) x[4000] = NaN;
    for (let axis = 0; axis < shape.length; axis++) {
      for (const op of ['argmax', 'argmin'] as const) {
        const outSize = size(shape.filter((_, i) => i !== axis));
        const want = new Int32Array(outSize);
        ref.argReduce(op, x, shape, axis, want);
        exact(`${op} ${JSON.stringify(shape)} axis ${axis}`, await onGpu(gpu, 'int32', outSize, (o) => gpu.argReduce(op, gpu.upload(x), shape, axis, o)), want);
      }
    }
  }
});

// ---- matmul ------------------------------------------------------------------------------

add('matmul NN/TN/NT/TT on odd sizes', false, async (gpu) => {
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 33, 65], [64, 64, 64], [130, 70, 129], [300, 260, 100], [5, 3, 0]] as const) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = randF32(m * k), b = randF32(k * n);
      const args: MatmulArgs = { batch: 1, m, n, k, transA, transB, aOffsets: null, bOffsets: null };
      const want = new Float32Array(m * n);
      ref.matmul(a, b, want, args);
      close(`matmul ${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, await onGpu(gpu, 'float32', m * n, (o) => gpu.matmul(gpu.upload(a), gpu.upload(b), o, args)), want, 1e-5, 1e-5 * Math.sqrt(Math.max(k, 1)));
    }
  }
});

add('matmul on 128×128 tiles (an output of over 128 of them)', false, async (gpu) => {
  const [m, n, k] = [1500, 1450, 33];
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const a = randF32(m * k), b = randF32(k * n);
    const args: MatmulArgs = { batch: 1, m, n, k, transA, transB, aOffsets: null, bOffsets: null };
    const want = new Float32Array(m * n);
    ref.matmul(a, b, want, args);
    close(`matmul ${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, await onGpu(gpu, 'float32', m * n, (o) => gpu.matmul(gpu.upload(a), gpu.upload(b), o, args)), want, 1e-5, 1e-5 * Math.sqrt(k));
  }
});

add('matmul split along K (few output tiles, long K), batched too', false, async (gpu) => {
  for (const [batch, m, n, k] of [[1, 17, 33, 2000], [3, 20, 30, 1500], [1, 128, 200, 784]] as const) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true]] as const) {
      const a = randF32(batch * m * k), b = randF32(batch * k * n);
      const args: MatmulArgs = { batch, m, n, k, transA, transB, aOffsets: null, bOffsets: null };
      const want = new Float32Array(batch * m * n);
      ref.matmul(a, b, want, args);
      close(`matmul split-K ${batch}x${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, await onGpu(gpu, 'float32', batch * m * n, (o) => gpu.matmul(gpu.upload(a), gpu.upload(b), o, args)), want, 1e-5, 1e-5 * Math.sqrt(k));
    }
  }
});

add('matmul batched, with broadcast batch offsets, and int32', false, async (gpu) => {
  const [batch, m, n, k] = [6, 9, 11, 13];
  const a = randF32(batch * m * k), b = randF32(k * n * 2);
  const bOffsets = Int32Array.from({ length: batch }, (_, i) => (i % 2) * k * n);
  for (const [transA, transB] of [[false, false], [true, true]] as const) {
    const dense: MatmulArgs = { batch: 2, m, n, k, transA, transB, aOffsets: null, bOffsets: null };
    const want = new Float32Array(2 * m * n);
    ref.matmul(a, b, want, dense);
    close(`matmul batch=2 ${transA}${transB}`, await onGpu(gpu, 'float32', 2 * m * n, (o) => gpu.matmul(gpu.upload(a), gpu.upload(b), o, dense)), want, 1e-5, 1e-5);
    const bcast: MatmulArgs = { batch, m, n, k, transA, transB, aOffsets: null, bOffsets };
    const want2 = new Float32Array(batch * m * n);
    ref.matmul(a, b, want2, bcast);
    close(`matmul broadcast offsets ${transA}${transB}`, await onGpu(gpu, 'float32', batch * m * n, (o) => gpu.matmul(gpu.upload(a), gpu.upload(b), o, bcast)), want2, 1e-5, 1e-5);
  }
  const ai = randI32(20 * 30, -50, 50), bi = randI32(30 * 10, -50, 50);
  const args: MatmulArgs = { batch: 1, m: 20, n: 10, k: 30, transA: false, transB: false, aOffsets: null, bOffsets: null };
  const want = new Int32Array(200);
  ref.matmul(ai, bi, want, args);
  exact('matmul int32', await onGpu(gpu, 'int32', 200, (o) => gpu.matmul(gpu.upload(ai), gpu.upload(bi), o, args)), want);
});

// ---- layout ------------------------------------------------------------------------------

function stridedRef(x: TypedArray, offset: number, strides: readonly number[], outShape: readonly number[]): Float32Array {
  const out = new Float32Array(size(outShape));
  const os = stridesOf(outShape);
  for (let i = 0; i < out.length; i++) {
    let src = offset;
    for (let d = 0; d < outShape.length; d++) src += (Math.floor(i / os[d]!) % outShape[d]!) * strides[d]!;
    out[i] = x[src]!;
  }
  return out;
}

add('strided: permute, expand, slice with steps, flip (negative strides), empty', true, async (gpu) => {
  const x = randF32(3 * 4 * 5);
  const views: [string, number, number[], number[]][] = [
    ['permute [2,0,1]', 0, [1, 20, 5], [5, 3, 4]],
    ['expand [3,1,5]→[3,4,5] of a [3,5] slice', 0, [20, 0, 1], [3, 4, 5]],
    ['slice [1:3, ::2, 1:5:3]', 21, [20, 10, 3], [2, 2, 2]],
    ['flip dims 0 and 2', 44, [-20, 5, -1], [3, 4, 5]],
    ['scalar at 17', 17, [], []],
    ['empty', 0, [20, 5], [0, 4]],
    ['contiguous copy', 0, [20, 5, 1], [3, 4, 5]],
  ];
  for (const [name, offset, strides, outShape] of views) {
    close(`strided ${name}`, await onGpu(gpu, 'float32', size(outShape), (o) => gpu.strided(gpu.upload(x), offset, strides, o, outShape)), stridedRef(x, offset, strides, outShape));
  }
  const big = randF32(300 * 257);
  close('strided transpose 300x257', await onGpu(gpu, 'float32', big.length, (o) => gpu.strided(gpu.upload(big), 0, [1, 257], o, [257, 300])), stridedRef(big, 0, [1, 257], [257, 300]));
});

add('stridedAdd: slice backward and concat into zeros and into existing values', true, async (gpu) => {
  const base = randF32(3 * 4 * 5);
  const cases: [string, number[], number, number[]][] = [
    ['slice [1:3, ::2, 1:5:3]', [2, 2, 2], 21, [20, 10, 3]],
    ['concat half along dim 1', [3, 2, 5], 10, [20, 5, 1]],
    ['flip', [3, 4, 5], 44, [-20, 5, -1]],
    ['empty', [0, 5], 0, [5, 1]],
  ];
  for (const [name, xShape, offset, strides] of cases) {
    const x = randF32(size(xShape));
    for (const start of ['zeros', 'values'] as const) {
      const want = start === 'zeros' ? new Float32Array(base.length) : base.slice();
      const xs = stridesOf(xShape);
      for (let i = 0; i < x.length; i++) {
        let d = offset;
        for (let k = 0; k < xShape.length; k++) d += (Math.floor(i / xs[k]!) % xShape[k]!) * strides[k]!;
        want[d]! += x[i]!;
      }
      const out = start === 'zeros' ? gpu.alloc('float32', base.length) : gpu.upload(base);
      gpu.stridedAdd(gpu.upload(x), xShape, out, offset, strides);
      close(`stridedAdd ${name} into ${start}`, await gpu.read(out), want);
    }
  }
});

// ---- indexing ----------------------------------------------------------------------------

add('indexSelect and indexAdd (repeated indices; scan and sort paths)', false, async (gpu) => {
  const configs: [number[], number, number][] = [[[10, 4], 0, 7], [[3, 9, 5], 1, 20], [[3000, 8], 0, 5000], [[2, 700], 1, 3000], [[4, 3], 0, 0]];
  for (const [shape, axis, m] of configs) {
    const x = randF32(size(shape));
    const index = randI32(m, 0, shape[axis]!);
    if (m > 10) for (let i = 0; i < m; i += 5) index[i] = 1; // a hot row
    const outShape = shape.map((d, i) => (i === axis ? m : d));
    const want = new Float32Array(size(outShape));
    ref.indexSelect(x, shape, axis, index, want);
    close(`indexSelect ${JSON.stringify(shape)} axis ${axis} m=${m}`, await onGpu(gpu, 'float32', want.length, (o) => gpu.indexSelect(gpu.upload(x), shape, axis, gpu.upload(index), o)), want);
    const g = randF32(size(outShape));
    const wantAdd = new Float32Array(size(shape));
    ref.indexAdd(g, axis, index, wantAdd, shape);
    close(`indexAdd ${JSON.stringify(shape)} axis ${axis} m=${m}`, await onGpu(gpu, 'float32', wantAdd.length, (o) => gpu.indexAdd(gpu.upload(g), axis, gpu.upload(index), o, shape)), wantAdd, 1e-6, 1e-6);
  }
});

add('gather and scatterAdd (collisions; scan and sort paths)', false, async (gpu) => {
  const configs: [number[], number, number[]][] = [
    [[5, 7], 1, [5, 3]], [[5, 7], 0, [4, 7]], [[4, 3, 6], 2, [4, 2, 9]], [[4, 3, 6], 0, [2, 3, 6]],
    [[20000], 0, [9000]], [[50, 40], 1, [50, 300]], [[6], 0, [0]],
  ];
  for (const [shape, axis, indexShape] of configs) {
    const x = randF32(size(shape));
    const index = randI32(size(indexShape), 0, shape[axis]!);
    const want = new Float32Array(size(indexShape));
    ref.gather(x, shape, axis, index, indexShape, want);
    close(`gather ${JSON.stringify(shape)} axis ${axis} index ${JSON.stringify(indexShape)}`, await onGpu(gpu, 'float32', want.length, (o) => gpu.gather(gpu.upload(x), shape, axis, gpu.upload(index), indexShape, o)), want);
    const g = randF32(size(indexShape));
    const wantAdd = new Float32Array(size(shape));
    ref.scatterAdd(g, indexShape, axis, index, wantAdd, shape);
    close(`scatterAdd ${JSON.stringify(shape)} axis ${axis} index ${JSON.stringify(indexShape)}`, await onGpu(gpu, 'float32', wantAdd.length, (o) => gpu.scatterAdd(gpu.upload(g), indexShape, axis, gpu.upload(index), o, shape)), wantAdd, 1e-6, 1e-6);
  }
});

add('scatterAdd and indexAdd give identical bits run to run', false, async (gpu) => {
  const index = randI32(30000, 0, 500), g = randF32(30000);
  const run = async (): Promise<TypedArray> => onGpu(gpu, 'float32', 500, (o) => gpu.scatterAdd(gpu.upload(g), [30000], 0, gpu.upload(index), o, [500]));
  exact('scatterAdd rerun', await run(), await run());
  const gi = randF32(10000 * 3), ii = index.subarray(0, 10000);
  const runI = async (): Promise<TypedArray> => onGpu(gpu, 'float32', 500 * 3, (o) => gpu.indexAdd(gpu.upload(gi), 0, gpu.upload(ii), o, [500, 3]));
  exact('indexAdd rerun', await runI(), await runI());
});

// ---- convolution -------------------------------------------------------------------------

function convArgs(n: number, cIn: number, h: number, w: number, kh: number, kw: number, s: number, p: number, d: number, groups: number): Conv2dArgs {
  const outH = Math.floor((h + 2 * p - d * (kh - 1) - 1) / s) + 1, outW = Math.floor((w + 2 * p - d * (kw - 1) - 1) / s) + 1;
  return { n, cIn, h, w, cOut: groups, kh, kw, strideH: s, strideW: s, padH: p, padW: p, dilationH: d, dilationW: d, groups, outH, outW };
}

const CONVS: Conv2dArgs[] = [
  convArgs(2, 3, 8, 9, 3, 3, 1, 1, 1, 1), convArgs(1, 4, 11, 7, 3, 2, 2, 1, 1, 2), convArgs(2, 2, 10, 10, 3, 3, 1, 2, 2, 1),
  convArgs(3, 6, 28, 28, 5, 5, 1, 0, 1, 1), convArgs(1, 1, 5, 5, 2, 2, 2, 0, 1, 1),
];

add('im2col and col2im on strided, padded, dilated and grouped convolutions', false, async (gpu) => {
  for (const a of CONVS) {
    const x = randF32(a.n * a.cIn * a.h * a.w);
    const colsLen = a.n * a.cIn * a.kh * a.kw * a.outH * a.outW;
    const want = new Float32Array(colsLen);
    ref.im2col(x, want, a);
    close(`im2col ${JSON.stringify(a)}`, await onGpu(gpu, 'float32', colsLen, (o) => gpu.im2col(gpu.upload(x), o, a)), want);
    const cols = randF32(colsLen);
    const back = randF32(x.length);
    const wantBack = back.slice();
    ref.col2im(cols, wantBack, a);
    const out = gpu.upload(back);
    gpu.col2im(gpu.upload(cols), out, a);
    close(`col2im ${JSON.stringify(a)}`, await gpu.read(out), wantBack, 1e-6, 1e-6);
  }
});

add('poolArgmax (padding never wins, NaN does, ties go first)', true, async (gpu) => {
  for (const a of [convArgs(2, 3, 8, 9, 2, 2, 2, 0, 1, 3), convArgs(2, 3, 9, 9, 3, 3, 2, 1, 1, 3), convArgs(1, 2, 10, 10, 3, 3, 1, 1, 2, 2), convArgs(16, 6, 28, 28, 2, 2, 2, 0, 1, 6)]) {
    const x = randF32(a.n * a.cIn * a.h * a.w);
    for (let i = 0; i < x.length; i += 7) x[i] = 1.25;
    x[3] = NaN;
    const n = a.n * a.cIn * a.outH * a.outW;
    const want = new Int32Array(n);
    ref.poolArgmax(x, a, want);
    exact(`poolArgmax ${JSON.stringify(a)}`, await onGpu(gpu, 'int32', n, (o) => gpu.poolArgmax(gpu.upload(x), a, o)), want);
  }
});

// ---- fused -------------------------------------------------------------------------------

function logSoftmaxRef(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, x[r * cols + c]!);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c]! - mx);
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c]! - mx - Math.log(s);
  }
  return out;
}

add('logSoftmax on narrow and wide rows', true, async (gpu) => {
  for (const [rows, cols] of [[0, 10], [1, 1], [128, 10], [33, 300], [3, 5000]] as const) {
    const x = randF32(rows * cols, -8, 8);
    close(`logSoftmax [${rows},${cols}]`, await onGpu(gpu, 'float32', rows * cols, (o) => gpu.logSoftmax(gpu.upload(x), rows, cols, o)), logSoftmaxRef(x, rows, cols), 1e-5, 2e-5);
  }
});

add('crossEntropy and its gradient (weights, label smoothing, ignoreIndex; narrow and wide rows)', false, async (gpu) => {
  for (const [rows, cols] of [[1, 1], [128, 10], [37, 1000]] as const) {
    for (const weighted of [false, true]) {
      for (const [labelSmoothing, ignoreIndex] of [[0, -100], [0.1, 2]] as const) {
        const z = randF32(rows * cols, -5, 5), targets = randI32(rows, 0, cols);
        if (rows > 3) targets[3] = ignoreIndex >= 0 ? ignoreIndex : targets[3]!;
        const w = weighted ? randF32(cols, 0.2, 2) : null;
        const args: CrossEntropyArgs = { rows, cols, labelSmoothing, ignoreIndex };
        const name = `[${rows},${cols}] w=${weighted} eps=${labelSmoothing} ignore=${ignoreIndex}`;
        const want = new Float32Array(rows);
        ref.crossEntropy(z, targets, w, args, want);
        const wg = w ? gpu.upload(w) : null;
        close(`crossEntropy ${name}`, await onGpu(gpu, 'float32', rows, (o) => gpu.crossEntropy(gpu.upload(z), gpu.upload(targets), wg, args, o)), want, 2e-5, 2e-5);
        const g = randF32(rows);
        const wantG = new Float32Array(rows * cols);
        ref.crossEntropyGrad(z, targets, w, g, args, wantG);
        close(`crossEntropyGrad ${name}`, await onGpu(gpu, 'float32', rows * cols, (o) => gpu.crossEntropyGrad(gpu.upload(z), gpu.upload(targets), wg, gpu.upload(g), args, o)), wantG, 2e-5, 2e-6);
      }
    }
  }
});

add('sgdStep (plain, momentum, nesterov, dampening, weight decay, maximize) over three steps', true, async (gpu) => {
  const n = 1031;
  for (const [momentum, nesterov, dampening, weightDecay, maximize] of [[0, false, 0, 0, false], [0.9, false, 0, 0, false], [0.9, true, 0, 0.01, false], [0.5, false, 0.3, 0.1, true]] as const) {
    const x0 = randF32(n), grads = [randF32(n), randF32(n), randF32(n)];
    const xr = x0.slice(), br = momentum ? new Float64Array(n) : null;
    const xg = gpu.upload(x0), bg = momentum ? gpu.alloc('float32', n) : null;
    grads.forEach((g, step) => {
      const h = { lr: 0.1, momentum, dampening, nesterov, weightDecay, maximize, first: step === 0 };
      ref.sgdStep(xr, g, br, h);
      gpu.sgdStep(xg, gpu.upload(g), bg, h);
    });
    close(`sgdStep momentum=${momentum} nesterov=${nesterov}`, await gpu.read(xg), xr, 1e-5, 1e-6);
    if (bg && br) close(`sgdStep velocity momentum=${momentum}`, await gpu.read(bg), br, 1e-5, 1e-6);
  }
});

add('adamStep (Adam, AdamW, AMSGrad, maximize) over three steps', true, async (gpu) => {
  const n = 1031;
  for (const [decoupled, amsgrad, weightDecay, maximize] of [[false, false, 0, false], [true, false, 0.01, false], [false, true, 0.1, true]] as const) {
    const x0 = randF32(n), grads = [randF32(n), randF32(n), randF32(n)];
    const xr = x0.slice(), mr = new Float64Array(n), vr = new Float64Array(n), vmr = amsgrad ? new Float64Array(n) : null;
    const xg = gpu.upload(x0), mg = gpu.alloc('float32', n), vg = gpu.alloc('float32', n), vmg = amsgrad ? gpu.alloc('float32', n) : null;
    grads.forEach((g, i) => {
      const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, maximize, decoupled, step: i + 1 };
      ref.adamStep(xr, g, mr, vr, vmr, h);
      gpu.adamStep(xg, gpu.upload(g), mg, vg, vmg, h);
    });
    close(`adamStep decoupled=${decoupled} amsgrad=${amsgrad}`, await gpu.read(xg), xr, 1e-5, 1e-6);
    close(`adamStep m decoupled=${decoupled} amsgrad=${amsgrad}`, await gpu.read(mg), mr, 1e-5, 1e-7);
  }
});

add('smoke: one small case per kernel family', true, async (gpu) => {
  const a = randF32(6 * 5), b = randF32(5 * 4), bias = randF32(4);
  const mm: MatmulArgs = { batch: 1, m: 6, n: 4, k: 5, transA: false, transB: false, aOffsets: null, bOffsets: null };
  const want = new Float32Array(24);
  ref.matmul(a, b, want, mm);
  close('matmul 6x4x5', await onGpu(gpu, 'float32', 24, (o) => gpu.matmul(gpu.upload(a), gpu.upload(b), o, mm)), want, 1e-5, 1e-5);
  const wantT = new Float32Array(24);
  const mmT = { ...mm, transA: true, transB: true };
  ref.matmul(a, b, wantT, mmT);
  close('matmul 6x4x5 TT', await onGpu(gpu, 'float32', 24, (o) => gpu.matmul(gpu.upload(a), gpu.upload(b), o, mmT)), wantT, 1e-5, 1e-5);
  const ba = new Float32Array(24);
  ref.biasAct('sigmoid', want, bias, ba);
  close('biasAct sigmoid', await onGpu(gpu, 'float32', 24, (o) => gpu.biasAct('sigmoid', gpu.upload(want), gpu.upload(bias), o)), ba, 2e-5, 2e-6);
  for (const axes of [[0], [1], [0, 1]]) {
    const n = axes.length === 2 ? 1 : axes[0] === 0 ? 4 : 6;
    const r = new Float32Array(n);
    ref.reduce('sum', want, [6, 4], axes, r);
    close(`reduce sum axes ${axes}`, await onGpu(gpu, 'float32', n, (o) => gpu.reduce('sum', gpu.upload(want), [6, 4], axes, o)), r, 1e-5, 1e-6);
  }
  const am = new Int32Array(6);
  ref.argReduce('argmax', want, [6, 4], 1, am);
  exact('argmax', await onGpu(gpu, 'int32', 6, (o) => gpu.argReduce('argmax', gpu.upload(want), [6, 4], 1, o)), am);
  const t = Int32Array.from([0, 3, 1, 2, 3, 0]);
  const args: CrossEntropyArgs = { rows: 6, cols: 4, labelSmoothing: 0, ignoreIndex: -100 };
  const ce = new Float32Array(6);
  ref.crossEntropy(want, t, null, args, ce);
  close('crossEntropy', await onGpu(gpu, 'float32', 6, (o) => gpu.crossEntropy(gpu.upload(want), gpu.upload(t), null, args, o)), ce, 2e-5, 2e-5);
  const x = randF32(40), idx = Int32Array.from([3, 0, 3, 9, 3]);
  const sel = new Float32Array(20);
  ref.indexSelect(x, [10, 4], 0, idx, sel);
  close('indexSelect', await onGpu(gpu, 'float32', 20, (o) => gpu.indexSelect(gpu.upload(x), [10, 4], 0, gpu.upload(idx), o)), sel);
  const ia = new Float32Array(40);
  ref.indexAdd(sel, 0, idx, ia, [10, 4]);
  close('indexAdd', await onGpu(gpu, 'float32', 40, (o) => gpu.indexAdd(gpu.upload(sel), 0, gpu.upload(idx), o, [10, 4])), ia);
  const conv = convArgs(1, 2, 5, 5, 3, 3, 1, 1, 1, 1);
  const img = randF32(50), cols = new Float32Array(2 * 9 * 25);
  ref.im2col(img, cols, conv);
  close('im2col', await onGpu(gpu, 'float32', cols.length, (o) => gpu.im2col(gpu.upload(img), o, conv)), cols);
});

// ---- memory, batching, errors ------------------------------------------------------------

add('alloc reads as zeros, and accumulating kernels start from zeros', true, async (gpu) => {
  exact('fresh alloc', await gpu.read(gpu.alloc('float32', 777)), new Float32Array(777));
  const used = gpu.upload(randF32(777));
  gpu.release(used);
  // the pooled buffer now holds old values; a new alloc of its size class must still read zeros
  const again = gpu.alloc('float32', 777);
  exact('alloc reusing a pooled buffer', await gpu.read(again), new Float32Array(777));
  const out = gpu.alloc('float32', 10);
  gpu.stridedAdd(gpu.upload(f32([1, 2, 3])), [3], out, 2, [3]);
  exact('stridedAdd into a fresh alloc', await gpu.read(out), f32([0, 0, 1, 0, 0, 2, 0, 0, 3, 0]));
});

add('float64 is a DTypeError naming WGSL', true, async (gpu) => {
  const expectThrow = (what: string, f: () => unknown): void => {
    try { f(); } catch (e) {
      if ((e as Error).name !== 'DTypeError' || !/WGSL has no f64/.test((e as Error).message)) throw new Error(`${what}: wrong error ${(e as Error).name}: ${(e as Error).message}`);
      return;
    }
    throw new Error(`${what}: no error`);
  };
  expectThrow('alloc float64', () => gpu.alloc('float64', 3));
  expectThrow('upload Float64Array', () => gpu.upload(new Float64Array(3)));
});

add('kernels batch into few submissions; released buffers are reused; pipelines are cached', true, async (gpu) => {
  await gpu.sync();
  const before = gpu.dispatchStats();
  const x = gpu.upload(randF32(4096));
  let y = x;
  for (let i = 0; i < 100; i++) {
    const o = gpu.alloc('float32', 4096);
    gpu.unary('tanh', y, o);
    if (y !== x) gpu.release(y);
    y = o;
  }
  await gpu.read(y);
  const after = gpu.dispatchStats();
  if (after.dispatches - before.dispatches !== 100) throw new Error(`expected 100 dispatches, counted ${after.dispatches - before.dispatches}`);
  if (after.submissions - before.submissions > 2) throw new Error(`100 kernels took ${after.submissions - before.submissions} submissions`);
  if (after.pipelines - before.pipelines > 1) throw new Error(`one kernel compiled ${after.pipelines - before.pipelines} pipelines`);
  const m = gpu.memoryStats();
  if (m.pooledBuffers < 1) throw new Error(`released buffers did not reach the pool: ${JSON.stringify(m)}`);
  const live = m.liveBytes;
  for (let i = 0; i < 50; i++) gpu.release(gpu.alloc('float32', 4096));
  if (gpu.memoryStats().liveBytes !== live) throw new Error('alloc + release changed live bytes');
});

// ---- fused row kernels and attention: split dispatches, run-to-run bits -------------------

/** The shared cases whose names start with one of `names`. */
const sharedNamed = (names: readonly string[]): ReturnType<typeof sharedCases> => sharedCases().filter((c) => names.some((n) => c.name.startsWith(n)));

add('layerNorm, geluGrad and attention with every dispatch split over x and y (the per-dimension limit lowered to 7)', true, async (gpu) => {
  // one workgroup per row (or key) means more rows than 65535 need the split; lowering the limit
  // exercises it on small inputs, including the surplus workgroups of a rounded-up grid
  const rt = gpu.runtime;
  const spread = rt.spread.bind(rt);
  rt.spread = (n: number): [number, number, number] => (n <= 7 ? [n, 1, 1] : [Math.ceil(n / Math.ceil(n / 7)), Math.ceil(n / 7), 1]);
  try {
    const picked = sharedNamed(['layerNorm 70x300', 'layerNormGrad 70x300', 'layerNormGrad 5x7', 'geluGrad n=1000', 'attention 2x9x9x13', 'attentionGrad 2x9x9x13', 'attentionGrad packed 2x6']);
    if (picked.length !== 7) throw new Error(`expected 7 shared cases, found ${picked.map((c) => c.name).join('; ')}`);
    for (const c of picked) {
      const msg = await checkCase(c, gpu as unknown as Parameters<typeof checkCase>[1]);
      if (msg !== null) throw new Error(`with split dispatches: ${msg}`);
    }
  } finally {
    rt.spread = spread;
  }
});

add('layerNormGrad and attentionGrad give the same bits run to run', false, async (gpu) => {
  for (const c of sharedNamed(['layerNormGrad 768x128', 'attentionGrad packed 12x64'])) {
    const b = gpu as unknown as Parameters<typeof checkCase>[1];
    const first = await Promise.all(c.run(b).map((s) => gpu.read(s as GpuBuffer)));
    const second = await Promise.all(c.run(b).map((s) => gpu.read(s as GpuBuffer)));
    first.forEach((a, k) => exact(`${c.name} output ${k}, second run`, second[k]!, a));
  }
});

/** Every case, or only the smoke set. */
export function conformanceCases(only: 'all' | 'smoke' = 'all'): ConformanceCase[] {
  return only === 'all' ? cases : cases.filter((c) => c.smoke);
}
