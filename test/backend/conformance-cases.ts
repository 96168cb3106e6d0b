/**
 * The kernel conformance suite: every kernel of the Backend interface, on inputs with
 * broadcasting, odd sizes, empty tensors and sizes above one GPU workgroup, run on a backend and
 * compared with the reference (js) backend. Written without Node APIs, so the same cases run in
 * Node (js, wasm, webgpu smoke) and in headless Chromium (webgpu).
 */
import type {
  ActGradActivation, AttentionArgs, AttentionLayout, Backend, BiasActivation, BinaryOp, Conv2dArgs, CrossEntropyArgs, MatmulArgs, Storage, TypedArray, UnaryOp,
} from '../../src/backend/backend.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { Generator } from '../../src/tensor/random.js';

export interface ConformanceCase {
  /** kernel name, then what is special about the inputs */
  name: string;
  /** the kernel of the Backend interface it exercises (fused ones are skipped where absent) */
  kernel: keyof Backend;
  /** runs the kernel on a backend; returns the storages to compare (outputs, and updated state) */
  run(b: Backend): Storage[];
  rtol?: number;
  atol?: number;
  /** the largest number of elements the case touches (so a caller can keep to small dispatches) */
  elements: number;
  /** needs float64 (the CPU backends only) */
  f64?: boolean;
}

const UNARY: readonly UnaryOp[] = ['copy', 'neg', 'abs', 'sign', 'floor', 'exp', 'log', 'sqrt', 'erf', 'sigmoid', 'tanh', 'relu', 'softplus', 'gelu', 'leakyRelu', 'elu', 'powScalar', 'clamp', 'isfinite'];
const BINARY: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
/** The maps issue 9 added (they draw their inputs from a generator of their own, so the older cases keep theirs). */
const UNARY_9 = [
  'ceil', 'round', 'trunc', 'expm1', 'log1p', 'log2', 'log10', 'rsqrt', 'reciprocal',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'silu', 'mish', 'hardsigmoid', 'hardswish', 'isnan',
] as const satisfies readonly UnaryOp[];
const BINARY_9 = ['atan2', 'fmod', 'remainder'] as const satisfies readonly BinaryOp[];
/**
 * Every member of UnaryOp and BinaryOp has cases: these fail to compile when a union gains a
 * member that neither list above names (the older lists are typed wide, hence the explicit rest).
 */
type OlderUnary = 'copy' | 'neg' | 'abs' | 'sign' | 'floor' | 'exp' | 'log' | 'sqrt' | 'erf' | 'sigmoid' | 'tanh' | 'relu' | 'softplus' | 'gelu' | 'leakyRelu' | 'elu' | 'powScalar' | 'clamp' | 'isfinite';
type OlderBinary = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const unaryCovered: [Exclude<UnaryOp, OlderUnary | (typeof UNARY_9)[number]>] extends [never] ? true : never = true;
const binaryCovered: [Exclude<BinaryOp, OlderBinary | (typeof BINARY_9)[number]>] extends [never] ? true : never = true;
const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Random float32 and int32 inputs drawn from one generator, in call order. */
function drawers(g: Generator): { f32: (n: number, lo?: number, hi?: number) => Float32Array; i32: (n: number, lo: number, hi: number) => Int32Array } {
  return {
    f32: (n, lo = -2, hi = 2) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * g.random();
      return a;
    },
    i32: (n, lo, hi) => {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = g.randint(lo, hi);
      return a;
    },
  };
}

/** Builds the cases; the same seed gives the same inputs in Node and in the browser. */
export function conformanceCases(seed = 99): ConformanceCase[] {
  const g = new Generator(seed);
  const { f32, i32 } = drawers(g);
  /** host data onto a backend; CPU backends adopt arrays, so each run gets its own copy */
  const up = (b: Backend, a: TypedArray): Storage => b.upload(a.slice());
  const cases: ConformanceCase[] = [];
  const add = (c: ConformanceCase): void => { cases.push(c); };

  // ---- elementwise ----
  for (const n of [0, 1, 7, 1000, 4099, 70001]) {
    const wide = f32(n, -3, 3);
    const positive = f32(n, 0.1, 3);
    // NaN and ±Inf must propagate through every map as on the reference
    if (n >= 7) { wide[1] = NaN; wide[2] = Infinity; wide[3] = -Infinity; wide[4] = 0; }
    for (const op of UNARY) {
      const x = op === 'log' || op === 'sqrt' || op === 'powScalar' ? positive : wide;
      const [p0, p1] = op === 'clamp' ? [-0.5, 0.7] : op === 'powScalar' ? [1.5, 0] : [0.2, 0];
      add({
        name: `unary ${op} n=${n}`, kernel: 'unary', elements: n,
        run: (b) => { const o = b.alloc(op === 'isfinite' ? 'int32' : 'float32', n); b.unary(op, up(b, x), o, p0, p1); return [o]; },
      });
    }
    const toInt = f32(n, -50, 50), toFloat = i32(n, -1000, 1000);
    add({ name: `cast f32→i32 n=${n}`, kernel: 'cast', elements: n, run: (b) => { const o = b.alloc('int32', n); b.cast(up(b, toInt), o); return [o]; } });
    add({ name: `cast i32→f32 n=${n}`, kernel: 'cast', elements: n, run: (b) => { const o = b.alloc('float32', n); b.cast(up(b, toFloat), o); return [o]; } });
  }
  const x64 = Float64Array.from(f32(33)), xi = i32(33, -5, 5);
  add({ name: 'unary exp float64', kernel: 'unary', elements: 33, f64: true, run: (b) => { const o = b.alloc('float64', 33); b.unary('exp', up(b, x64), o); return [o]; } });
  add({ name: 'unary relu int32', kernel: 'unary', elements: 33, run: (b) => { const o = b.alloc('int32', 33); b.unary('relu', up(b, xi), o); return [o]; } });

  const shapes: [number[], number[], number[]][] = [
    [[37], [37], [37]], [[5, 33], [33], [5, 33]], [[5, 1], [1, 17], [5, 17]], [[2, 3, 4], [3, 1], [2, 3, 4]],
    [[64, 130], [], [64, 130]], [[0, 3], [3], [0, 3]], [[300, 257], [300, 1], [300, 257]],
  ];
  for (const [as, bs, os] of shapes) {
    const a = f32(size(as), 0.5, 2), bb = f32(size(bs), 0.5, 2);
    for (const op of BINARY) {
      const outDtype = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op) ? 'int32' : 'float32';
      add({
        name: `binary ${op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, kernel: 'binary', elements: size(os),
        run: (b) => { const o = b.alloc(outDtype, size(os)); b.binary(op, up(b, a), as, up(b, bb), bs, o, os); return [o]; },
      });
    }
    const ia = i32(size(as), -9, 9), ib = i32(size(bs), 1, 9);
    for (const op of ['add', 'mul', 'maximum', 'lt'] as const) {
      add({
        name: `binary ${op} int32 ${JSON.stringify(as)} ${JSON.stringify(bs)}`, kernel: 'binary', elements: size(os),
        run: (b) => { const o = b.alloc('int32', size(os)); b.binary(op, up(b, ia), as, up(b, ib), bs, o, os); return [o]; },
      });
    }
    const c = i32(size(as), 0, 2);
    add({
      name: `where ${JSON.stringify(as)} ${JSON.stringify(bs)}`, kernel: 'where', elements: size(os),
      run: (b) => { const o = b.alloc('float32', size(os)); b.where(up(b, c), as, up(b, a), as, up(b, bb), bs, o, os); return [o]; },
    });
  }
  const nanPair = [f32(8), f32(8)];
  nanPair[0]![2] = NaN; nanPair[1]![5] = NaN;
  for (const op of ['maximum', 'minimum', 'add', 'pow'] as const) {
    add({ name: `binary ${op} with NaN`, kernel: 'binary', elements: 8, run: (b) => { const o = b.alloc('float32', 8); b.binary(op, up(b, nanPair[0]!), [8], up(b, nanPair[1]!), [8], o, [8]); return [o]; } });
  }

  // ---- reductions ----
  for (const shape of [[4, 5, 67], [3, 1, 2050], [2, 0, 3]] as const) {
    const x = f32(size(shape));
    if (x.length > 10) x[7] = NaN;
    for (const axes of [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]]) {
      for (const op of ['sum', 'max', 'min'] as const) {
        if (op !== 'sum' && size(shape) === 0) continue;
        const outSize = size(shape.filter((_, i) => !axes.includes(i)));
        add({
          name: `reduce ${op} ${JSON.stringify(shape)} axes ${axes}`, kernel: 'reduce', elements: size(shape), rtol: 1e-4, atol: 1e-4,
          run: (b) => { const o = b.alloc('float32', outSize); b.reduce(op, up(b, x), shape, axes, o); return [o]; },
        });
      }
    }
    if (size(shape) === 0) continue;
    for (const axis of [0, 1, 2]) {
      const outSize = size(shape.filter((_, i) => i !== axis));
      for (const op of ['argmax', 'argmin'] as const) {
        add({
          name: `argReduce ${op} ${JSON.stringify(shape)} axis ${axis}`, kernel: 'argReduce', elements: size(shape),
          run: (b) => { const o = b.alloc('int32', outSize); b.argReduce(op, up(b, x), shape, axis, o); return [o]; },
        });
      }
    }
  }
  const big = f32(1 << 17);
  add({ name: 'reduce sum 131072 → 1', kernel: 'reduce', elements: big.length, rtol: 1e-4, atol: 1e-3, run: (b) => { const o = b.alloc('float32', 1); b.reduce('sum', up(b, big), [big.length], [0], o); return [o]; } });

  // ---- matmul ----
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 33, 65], [64, 64, 64], [130, 70, 129], [0, 4, 3], [2, 3, 0]] as const) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const batch = 2;
      const a = f32(batch * m * k), bm = f32(k * n);
      const args: MatmulArgs = { batch, m, n, k, transA, transB, aOffsets: null, bOffsets: new Int32Array(batch) };
      add({
        name: `matmul ${m}x${n}x${k} tA=${transA} tB=${transB}`, kernel: 'matmul', elements: batch * m * Math.max(n, k), rtol: 1e-4, atol: 1e-4,
        run: (b) => { const o = b.alloc('float32', batch * m * n); b.matmul(up(b, a), up(b, bm), o, args); return [o]; },
      });
    }
  }
  const [bm, bn, bk] = [300, 260, 270];
  const ba = f32(bm * bk), bb2 = f32(bk * bn);
  add({
    name: `matmul ${bm}x${bn}x${bk} (many tiles)`, kernel: 'matmul', elements: bm * bn, rtol: 1e-4, atol: 1e-3,
    run: (b) => { const o = b.alloc('float32', bm * bn); b.matmul(up(b, ba), up(b, bb2), o, { batch: 1, m: bm, n: bn, k: bk, transA: false, transB: false, aOffsets: null, bOffsets: null }); return [o]; },
  });

  // ---- layout ----
  const x4 = f32(2 * 3 * 4 * 5);
  const strideCases: [string, number, number[], number[]][] = [
    ['permute [2,3,4,5] → (3,1,0,2)', 0, [1, 20, 60, 5], [5, 3, 2, 4]],
    ['expand [2,3,4,5,1] → [..,2]', 0, [60, 20, 5, 1, 0], [2, 3, 4, 5, 2]],
    ['slice step 3,2', 80, [60, 20, 15, 2], [1, 2, 2, 3]],
    ['flip last dim', 4, [60, 20, 5, -1], [2, 3, 4, 5]],
    ['rank 0', 17, [], []],
    ['empty', 0, [1, 20], [0, 3]],
  ];
  for (const [what, offset, strides, outShape] of strideCases) {
    add({ name: `strided ${what}`, kernel: 'strided', elements: size(outShape), run: (b) => { const o = b.alloc('float32', size(outShape)); b.strided(up(b, x4), offset, strides, o, outShape); return [o]; } });
  }
  const bigShape = [3, 300, 257];
  const xb = f32(size(bigShape));
  add({ name: 'strided transpose [3,300,257]', kernel: 'strided', elements: xb.length, run: (b) => { const o = b.alloc('float32', xb.length); b.strided(up(b, xb), 0, [77100, 1, 257], o, [3, 257, 300]); return [o]; } });
  const piece = f32(12);
  add({
    name: 'stridedAdd into a slice', kernel: 'stridedAdd', elements: x4.length,
    run: (b) => { const o = b.upload(x4.slice()); b.stridedAdd(up(b, piece), [1, 2, 2, 3], o, 80, [60, 20, 15, 2]); return [o]; },
  });
  add({
    name: 'stridedAdd big', kernel: 'stridedAdd', elements: xb.length,
    run: (b) => { const o = b.alloc('float32', xb.length * 2); b.stridedAdd(up(b, xb), bigShape, o, 1, [2 * 77100, 2 * 257, 2]); return [o]; },
  });
  const idx = new Int32Array([3, 0, 3, 1]);
  add({ name: 'indexSelect axis 2', kernel: 'indexSelect', elements: x4.length, run: (b) => { const o = b.alloc('float32', 2 * 3 * 4 * 5); b.indexSelect(up(b, x4), [2, 3, 4, 5], 2, up(b, idx), o); return [o]; } });
  add({ name: 'indexAdd axis 2, repeated indices', kernel: 'indexAdd', elements: x4.length, run: (b) => { const o = b.alloc('float32', x4.length); b.indexAdd(up(b, x4), 2, up(b, idx), o, [2, 3, 4, 5]); return [o]; } });
  const emb = f32(65 * 33), tokens = i32(3000, 0, 65);
  add({ name: 'indexSelect embedding rows', kernel: 'indexSelect', elements: 3000 * 33, run: (b) => { const o = b.alloc('float32', 3000 * 33); b.indexSelect(up(b, emb), [65, 33], 0, up(b, tokens), o); return [o]; } });
  const gemb = f32(3000 * 33);
  add({ name: 'indexAdd embedding grad (many collisions)', kernel: 'indexAdd', elements: 3000 * 33, rtol: 1e-4, atol: 1e-4, run: (b) => { const o = b.alloc('float32', 65 * 33); b.indexAdd(up(b, gemb), 0, up(b, tokens), o, [65, 33]); return [o]; } });
  const gidx = i32(2 * 3, 0, 4), x2 = f32(2 * 4), g6 = f32(6);
  add({ name: 'gather axis 1', kernel: 'gather', elements: 8, run: (b) => { const o = b.alloc('float32', 6); b.gather(up(b, x2), [2, 4], 1, up(b, gidx), [2, 3], o); return [o]; } });
  add({ name: 'scatterAdd axis 1', kernel: 'scatterAdd', elements: 8, run: (b) => { const o = b.alloc('float32', 8); b.scatterAdd(up(b, g6), [2, 3], 1, up(b, gidx), o, [2, 4]); return [o]; } });
  const flatIdx = i32(5000, 0, 700), gflat = f32(5000), xflat = f32(700);
  add({ name: 'gather flat 5000 of 700', kernel: 'gather', elements: 5000, run: (b) => { const o = b.alloc('float32', 5000); b.gather(up(b, xflat), [700], 0, up(b, flatIdx), [5000], o); return [o]; } });
  add({ name: 'scatterAdd flat 5000 into 700', kernel: 'scatterAdd', elements: 5000, rtol: 1e-4, atol: 1e-4, run: (b) => { const o = b.alloc('float32', 700); b.scatterAdd(up(b, gflat), [5000], 0, up(b, flatIdx), o, [700]); return [o]; } });

  // ---- convolution layout ----
  const convArgs: Conv2dArgs = { n: 2, cIn: 4, h: 9, w: 8, cOut: 6, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 2, groups: 2, outH: 5, outW: 7 };
  const img = f32(2 * 4 * 9 * 8);
  const colsLen = 2 * 2 * 2 * 3 * 2 * 5 * 7;
  const cols = f32(colsLen);
  add({ name: 'im2col groups 2, stride, dilation', kernel: 'im2col', elements: colsLen, run: (b) => { const o = b.alloc('float32', colsLen); b.im2col(up(b, img), o, convArgs); return [o]; } });
  add({ name: 'col2im groups 2, stride, dilation', kernel: 'col2im', elements: colsLen, rtol: 1e-5, atol: 1e-5, run: (b) => { const o = b.alloc('float32', img.length); b.col2im(up(b, cols), o, convArgs); return [o]; } });
  const lenet: Conv2dArgs = { n: 8, cIn: 6, h: 14, w: 14, cOut: 16, kh: 5, kw: 5, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1, outH: 10, outW: 10 };
  const limg = f32(8 * 6 * 14 * 14), lcolsLen = 8 * 6 * 25 * 100, lcols = f32(lcolsLen);
  add({ name: 'im2col LeNet layer 2', kernel: 'im2col', elements: lcolsLen, run: (b) => { const o = b.alloc('float32', lcolsLen); b.im2col(up(b, limg), o, lenet); return [o]; } });
  add({ name: 'col2im LeNet layer 2', kernel: 'col2im', elements: lcolsLen, rtol: 1e-4, atol: 1e-4, run: (b) => { const o = b.alloc('float32', limg.length); b.col2im(up(b, lcols), o, lenet); return [o]; } });
  const poolArgs: Conv2dArgs = { n: 2, cIn: 3, h: 9, w: 8, cOut: 3, kh: 3, kw: 2, strideH: 2, strideW: 2, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1, outH: 5, outW: 5 };
  const planes = f32(2 * 3 * 9 * 8);
  planes[10] = NaN;
  add({ name: 'poolArgmax padding, NaN', kernel: 'poolArgmax', elements: planes.length, run: (b) => { const o = b.alloc('int32', 2 * 3 * 5 * 5); b.poolArgmax(up(b, planes), poolArgs, o); return [o]; } });

  // ---- fused kernels ----
  for (const act of ['none', 'relu', 'sigmoid', 'tanh', 'gelu'] as BiasActivation[]) {
    for (const [rows, colsN] of [[5, 3], [128, 1024], [0, 7]] as const) {
      const z = f32(rows * colsN), bias = f32(colsN);
      add({ name: `biasAct ${act} ${rows}x${colsN}`, kernel: 'biasAct', elements: rows * colsN, run: (b) => { const o = b.alloc('float32', rows * colsN); b.biasAct!(act, up(b, z), up(b, bias), o); return [o]; } });
    }
  }
  for (const act of ['sigmoid', 'tanh', 'relu'] as ActGradActivation[]) {
    const gr = f32(1031), y = f32(1031, -1, 1);
    add({ name: `actGrad ${act}`, kernel: 'actGrad', elements: 1031, run: (b) => { const o = b.alloc('float32', 1031); b.actGrad!(act, up(b, gr), up(b, y), o); return [o]; } });
  }
  for (const [rows, colsN] of [[3, 5], [64, 1000], [1, 4099], [0, 3]] as const) {
    const x = f32(rows * colsN, -20, 20);
    add({ name: `logSoftmax ${rows}x${colsN}`, kernel: 'logSoftmax', elements: rows * colsN, rtol: 1e-5, atol: 1e-5, run: (b) => { const o = b.alloc('float32', rows * colsN); b.logSoftmax!(up(b, x), rows, colsN, o); return [o]; } });
  }
  for (const [rows, colsN, eps, weighted] of [[7, 10, 0, false], [64, 10, 0.1, true], [33, 65, 0, true], [300, 3, 0.2, false]] as const) {
    const z = f32(rows * colsN, -5, 5), t = i32(rows, 0, colsN), w = f32(colsN, 0.5, 2), gr = f32(rows);
    t[0] = -100; // ignored
    const args: CrossEntropyArgs = { rows, cols: colsN, labelSmoothing: eps, ignoreIndex: -100 };
    add({
      name: `crossEntropy ${rows}x${colsN} ε=${eps} weighted=${weighted}`, kernel: 'crossEntropy', elements: rows * colsN, rtol: 1e-5, atol: 1e-5,
      run: (b) => { const o = b.alloc('float32', rows); b.crossEntropy!(up(b, z), up(b, t), weighted ? up(b, w) : null, args, o); return [o]; },
    });
    add({
      name: `crossEntropyGrad ${rows}x${colsN} ε=${eps} weighted=${weighted}`, kernel: 'crossEntropyGrad', elements: rows * colsN, rtol: 1e-5, atol: 1e-6,
      run: (b) => { const o = b.alloc('float32', rows * colsN); b.crossEntropyGrad!(up(b, z), up(b, t), weighted ? up(b, w) : null, up(b, gr), args, o); return [o]; },
    });
  }
  for (const n of [5, 4099]) {
    const x = f32(n), gr = f32(n), buf = f32(n), m = f32(n), v = f32(n, 0, 1), vmax = f32(n, 0, 1);
    for (const [momentum, nesterov, weightDecay, maximize, first] of [[0, false, 0, false, false], [0.9, true, 0.01, false, false], [0.9, false, 0, true, true]] as const) {
      add({
        name: `sgdStep n=${n} μ=${momentum} nesterov=${nesterov} wd=${weightDecay} maximize=${maximize} first=${first}`, kernel: 'sgdStep', elements: n, rtol: 1e-6, atol: 1e-6,
        run: (b) => {
          const xs = up(b, x), bs = momentum ? up(b, buf) : null;
          b.sgdStep!(xs, up(b, gr), bs, { lr: 0.1, momentum, dampening: 0, nesterov, weightDecay, maximize, first });
          return bs ? [xs, bs] : [xs];
        },
      });
    }
    for (const [amsgrad, decoupled, weightDecay] of [[false, false, 0], [true, true, 0.01], [false, false, 0.1]] as const) {
      add({
        name: `adamStep n=${n} amsgrad=${amsgrad} decoupled=${decoupled} wd=${weightDecay}`, kernel: 'adamStep', elements: n, rtol: 1e-5, atol: 1e-6,
        run: (b) => {
          const xs = up(b, x), ms = up(b, m), vs = up(b, v), vm = amsgrad ? up(b, vmax) : null;
          b.adamStep!(xs, up(b, gr), ms, vs, vm, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, maximize: false, decoupled, step: 3 });
          return vm ? [xs, ms, vs, vm] : [xs, ms, vs];
        },
      });
    }
  }
  for (const [rows, colsN, affine] of [[5, 7, true], [768, 128, true], [3, 1, false], [0, 4, true], [3, 1000, true], [70, 300, false]] as const) {
    const x = f32(rows * colsN, -3, 5), w = f32(colsN), bias = f32(colsN), gr = f32(rows * colsN);
    add({
      name: `layerNorm ${rows}x${colsN} affine=${affine}`, kernel: 'layerNorm', elements: rows * colsN, rtol: 1e-4, atol: 1e-5,
      run: (b) => { const o = b.alloc('float32', rows * colsN); b.layerNorm!(up(b, x), affine ? up(b, w) : null, affine ? up(b, bias) : null, rows, colsN, 1e-5, o); return [o]; },
    });
    add({
      name: `layerNormGrad ${rows}x${colsN} affine=${affine}`, kernel: 'layerNormGrad', elements: rows * colsN, rtol: 1e-4, atol: 1e-4,
      run: (b) => {
        const dx = b.alloc('float32', rows * colsN), dw = b.alloc('float32', colsN), db = b.alloc('float32', colsN);
        b.layerNormGrad!(up(b, gr), up(b, x), affine ? up(b, w) : null, rows, colsN, 1e-5, dx, affine ? dw : null, affine ? db : null);
        return affine ? [dx, dw, db] : [dx];
      },
    });
  }
  for (const n of [7, 1000, 70001]) {
    const gr = f32(n), x = f32(n, -6, 6);
    if (n >= 7) { x[1] = NaN; x[2] = 0; x[3] = -40; x[4] = 40; x[5] = 1e-30; x[6] = -3e-8; }
    // y = gelu(x) as the forward gives it (a kernel may read Φ(x) = y/x from it)
    const y = new Float32Array(n);
    new JsBackend().unary('gelu', x, y);
    add({ name: `geluGrad n=${n}`, kernel: 'geluGrad', elements: n, rtol: 1e-4, atol: 1e-6, run: (b) => { const o = b.alloc('float32', n); b.geluGrad!(up(b, gr), up(b, x), up(b, y), o); return [o]; } });
  }
  // attention: separate [batch, l|s, d] operands, and a packed [B, T, 3·H·d] projection; more
  // features than a GPU workgroup has threads (d = 70) and than webgpu caches in workgroup
  // memory (d = 1100), keys no causal query sees (l < s), no keys, no queries
  // (test/backend/webgpu/cases.ts runs some of these with dispatches split over x and y)
  const lay = (offset: number, batchStride: number, headStride: number, rowStride: number): AttentionLayout => ({ offset, batchStride, headStride, rowStride });
  for (const [batch, l, sN, d, causal] of [
    [3, 5, 7, 4, false], [2, 9, 9, 13, true], [1, 70, 66, 32, true], [2, 3, 5, 70, false], [1, 4, 9, 5, true],
    [2, 3, 0, 4, false], [2, 0, 3, 4, true], [1, 3, 4, 1100, true],
  ] as const) {
    const q = f32(batch * l * d), k = f32(batch * sN * d), v = f32(batch * sN * d), gr = f32(batch * l * d);
    const args: AttentionArgs = { batch, heads: 1, l, s: sN, d, scale: 1 / Math.sqrt(d), causal, q: lay(0, l * d, 0, d), k: lay(0, sN * d, 0, d), v: lay(0, sN * d, 0, d), out: lay(0, l * d, 0, d) };
    add({
      name: `attention ${batch}x${l}x${sN}x${d} causal=${causal}`, kernel: 'attention', elements: batch * l * sN, rtol: 1e-4, atol: 1e-5,
      run: (b) => { const o = b.alloc('float32', batch * l * d); b.attention!(up(b, q), up(b, k), up(b, v), args, o); return [o]; },
    });
    add({
      name: `attentionGrad ${batch}x${l}x${sN}x${d} causal=${causal}`, kernel: 'attentionGrad', elements: batch * l * sN, rtol: 1e-4, atol: 1e-5,
      run: (b) => {
        const dq = b.alloc('float32', q.length), dk = b.alloc('float32', k.length), dv = b.alloc('float32', v.length);
        b.attentionGrad!(up(b, q), up(b, k), up(b, v), up(b, gr), args, dq, dk, dv);
        return [dq, dk, dv];
      },
    });
  }
  for (const [batch, t, heads, d] of [[2, 6, 2, 3], [12, 64, 4, 32]] as const) {
    const c = heads * d, qkv = f32(batch * t * 3 * c), gr = f32(batch * t * c);
    const at = (o: number): AttentionLayout => lay(o, t * 3 * c, d, 3 * c);
    const args: AttentionArgs = { batch, heads, l: t, s: t, d, scale: 1 / Math.sqrt(d), causal: true, q: at(0), k: at(c), v: at(2 * c), out: lay(0, t * c, d, c) };
    add({
      name: `attention packed ${batch}x${t} heads=${heads} d=${d}`, kernel: 'attention', elements: batch * heads * t * t, rtol: 1e-4, atol: 1e-5,
      run: (b) => { const o = b.alloc('float32', batch * t * c); const s = up(b, qkv); b.attention!(s, s, s, args, o); return [o]; },
    });
    add({
      name: `attentionGrad packed ${batch}x${t} heads=${heads} d=${d}`, kernel: 'attentionGrad', elements: batch * heads * t * t, rtol: 1e-4, atol: 1e-5,
      run: (b) => { const o = b.alloc('float32', qkv.length); const s = up(b, qkv); b.attentionGrad!(s, s, s, up(b, gr), args, o, o, o); return [o]; },
    });
  }
  issue9Cases(seed + 9, up, add);
  return cases;
}

/**
 * The kernels and union members added by issue 9: the new maps and binary ops, reduce prod, scan,
 * argsort and scatter, with broadcasting, odd sizes, empty tensors, NaN and sizes above one GPU
 * workgroup.
 */
function issue9Cases(seed: number, up: (b: Backend, a: TypedArray) => Storage, add: (c: ConformanceCase) => void): void {
  const g = new Generator(seed);
  const { f32, i32 } = drawers(g);
  /** a copy of x with NaN, ±∞ and 0 at the start (where there is room) */
  const special = (x: Float32Array): Float32Array => {
    const y = x.slice();
    if (y.length >= 7) { y[1] = NaN; y[2] = Infinity; y[3] = -Infinity; y[4] = 0; }
    return y;
  };
  const domain = (op: UnaryOp, n: number): Float32Array => {
    switch (op) {
      case 'log2': case 'log10': case 'rsqrt': return special(f32(n, 0.1, 3));
      case 'log1p': return special(f32(n, -0.9, 3));
      case 'asin': case 'acos': return special(f32(n, -1, 1));
      // away from tan's poles at ±π/2, where float32 rounding of x decides the sign of huge values
      case 'tan': return special(f32(n, -1.4, 1.4));
      default: return special(f32(n, -4, 4));
    }
  };
  for (const n of [0, 1, 7, 1000, 4099, 70001]) {
    for (const op of UNARY_9) {
      const x = domain(op, n);
      add({
        name: `unary ${op} n=${n}`, kernel: 'unary', elements: n,
        run: (b) => { const o = b.alloc(op === 'isnan' ? 'int32' : 'float32', n); b.unary(op, up(b, x), o); return [o]; },
      });
    }
  }
  // round is half to even: the halves themselves
  const halves = Float32Array.from({ length: 41 }, (_, i) => (i - 20) / 2);
  add({ name: 'unary round halves to even', kernel: 'unary', elements: 41, run: (b) => { const o = b.alloc('float32', 41); b.unary('round', up(b, halves), o); return [o]; } });
  const x64 = Float64Array.from(f32(33, -3, 3));
  for (const op of ['sin', 'expm1', 'silu'] as const) {
    add({ name: `unary ${op} float64`, kernel: 'unary', elements: 33, f64: true, run: (b) => { const o = b.alloc('float64', 33); b.unary(op, up(b, x64), o); return [o]; } });
  }

  const shapes: [number[], number[], number[]][] = [
    [[37], [37], [37]], [[5, 1], [1, 17], [5, 17]], [[2, 3, 4], [3, 1], [2, 3, 4]], [[64, 130], [], [64, 130]], [[0, 3], [3], [0, 3]],
    [[300, 257], [300, 1], [300, 257]],
  ];
  for (const [as, bs, os] of shapes) {
    const a = special(f32(size(as), -5, 5));
    // divisors of either sign, away from 0
    const d = f32(size(bs), 0.5, 2).map((v) => (g.random() < 0.5 ? -v : v));
    for (const op of BINARY_9) {
      add({
        name: `binary ${op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, kernel: 'binary', elements: size(os),
        run: (b) => { const o = b.alloc('float32', size(os)); b.binary(op, up(b, a), as, up(b, d), bs, o, os); return [o]; },
      });
    }
    const ia = i32(size(as), -20, 20), ib = i32(size(bs), 1, 7).map((v) => (g.random() < 0.5 ? -v : v));
    for (const op of ['fmod', 'remainder'] as const) {
      add({
        name: `binary ${op} int32 ${JSON.stringify(as)} ${JSON.stringify(bs)}`, kernel: 'binary', elements: size(os),
        run: (b) => { const o = b.alloc('int32', size(os)); b.binary(op, up(b, ia), as, up(b, ib), bs, o, os); return [o]; },
      });
    }
  }

  // reduce prod: values near 1, so long products stay in range
  for (const shape of [[4, 5, 67], [3, 1, 2050], [2, 0, 3]] as const) {
    const x = f32(size(shape), 0.95, 1.05);
    if (x.length > 10) { x[7] = NaN; x[9] = 0; }
    for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
      const outSize = size(shape.filter((_, i) => !axes.includes(i)));
      add({
        name: `reduce prod ${JSON.stringify(shape)} axes ${axes}`, kernel: 'reduce', elements: size(shape), rtol: 1e-3, atol: 1e-5,
        run: (b) => { const o = b.alloc('float32', outSize); b.reduce('prod', up(b, x), shape, axes, o); return [o]; },
      });
    }
  }

  // scans: both ops, both directions, every axis; a long line; NaN; int32
  for (const shape of [[4, 5, 67], [3, 1, 2050], [2, 0, 3], [1]] as const) {
    const xs = f32(size(shape), -1, 1), xp = f32(size(shape), 0.95, 1.05);
    if (xs.length > 10) { xs[7] = NaN; xp[9] = 0; }
    for (let axis = 0; axis < shape.length; axis++) {
      for (const reverse of [false, true]) {
        add({
          name: `scan sum ${JSON.stringify(shape)} axis ${axis} reverse=${reverse}`, kernel: 'scan', elements: size(shape), rtol: 1e-4, atol: 1e-4,
          run: (b) => { const o = b.alloc('float32', size(shape)); b.scan('sum', up(b, xs), shape, axis, reverse, o); return [o]; },
        });
        add({
          name: `scan prod ${JSON.stringify(shape)} axis ${axis} reverse=${reverse}`, kernel: 'scan', elements: size(shape), rtol: 1e-3, atol: 1e-5,
          run: (b) => { const o = b.alloc('float32', size(shape)); b.scan('prod', up(b, xp), shape, axis, reverse, o); return [o]; },
        });
      }
    }
  }
  const si = i32(6 * 77, -9, 9);
  add({ name: 'scan sum int32 [6,77] axis 1', kernel: 'scan', elements: si.length, run: (b) => { const o = b.alloc('int32', si.length); b.scan('sum', up(b, si), [6, 77], 1, false, o); return [o]; } });
  const big = f32(1 << 17, -1, 1);
  add({ name: 'scan sum 131072', kernel: 'scan', elements: big.length, rtol: 1e-3, atol: 1e-2, run: (b) => { const o = b.alloc('float32', big.length); b.scan('sum', up(b, big), [big.length], 0, false, o); return [o]; } });

  // argsort: ties (stability), NaN, both directions, every axis, lines above a workgroup
  for (const shape of [[4, 5, 67], [3, 1, 2050], [2, 0, 3], [1], [7]] as const) {
    // few distinct values, so there are many ties whose order stability fixes
    const x = Float32Array.from(i32(size(shape), -5, 5));
    if (x.length > 10) { x[3] = NaN; x[8] = NaN; x[9] = -Infinity; x[10] = Infinity; }
    for (let axis = 0; axis < shape.length; axis++) {
      for (const descending of [false, true]) {
        add({
          name: `argsort ${JSON.stringify(shape)} axis ${axis} descending=${descending}`, kernel: 'argsort', elements: size(shape),
          run: (b) => { const o = b.alloc('int32', size(shape)); b.argsort(up(b, x), shape, axis, descending, o); return [o]; },
        });
      }
    }
  }
  const distinct = f32(5000, -1, 1);
  add({ name: 'argsort 5000 distinct', kernel: 'argsort', elements: 5000, run: (b) => { const o = b.alloc('int32', 5000); b.argsort(up(b, distinct), [5000], 0, false, o); return [o]; } });
  const sorti = i32(3 * 40, -3, 3);
  add({ name: 'argsort int32 [3,40] axis 1', kernel: 'argsort', elements: sorti.length, run: (b) => { const o = b.alloc('int32', sorti.length); b.argsort(up(b, sorti), [3, 40], 1, true, o); return [o]; } });

  // scatter: distinct destinations per line (repeats have an unspecified winner), odd sizes, empty
  const permRows = (rows: number, n: number, k: number): Int32Array => {
    const out = new Int32Array(rows * k);
    for (let r = 0; r < rows; r++) out.set(g.permutation(n).subarray(0, k), r * k);
    return out;
  };
  const base = f32(5 * 7), src = f32(5 * 3), idx = permRows(5, 7, 3);
  add({
    name: 'scatter axis 1 [5,7] ← [5,3]', kernel: 'scatter', elements: base.length,
    run: (b) => { const o = b.upload(base.slice()); b.scatter(up(b, src), [5, 3], 1, up(b, idx), o, [5, 7]); return [o]; },
  });
  // axis 0 of [700, 9]: each column gets 300 distinct rows
  const tall = f32(700 * 9), tallSrc = f32(300 * 9);
  const tallIdx = new Int32Array(300 * 9);
  for (let c = 0; c < 9; c++) { const p = g.permutation(700); for (let r = 0; r < 300; r++) tallIdx[r * 9 + c] = p[r]!; }
  add({
    name: 'scatter axis 0 [700,9] ← [300,9]', kernel: 'scatter', elements: tall.length,
    run: (b) => { const o = b.upload(tall.slice()); b.scatter(up(b, tallSrc), [300, 9], 0, up(b, tallIdx), o, [700, 9]); return [o]; },
  });
  const flatSrc = f32(3000), flatIdx = g.permutation(5000).subarray(0, 3000), flatBase = f32(5000);
  add({
    name: 'scatter flat 3000 into 5000', kernel: 'scatter', elements: 5000,
    run: (b) => { const o = b.upload(flatBase.slice()); b.scatter(up(b, flatSrc), [3000], 0, up(b, Int32Array.from(flatIdx)), o, [5000]); return [o]; },
  });
  add({
    name: 'scatter empty index', kernel: 'scatter', elements: 6,
    run: (b) => { const o = b.upload(base.slice(0, 6)); b.scatter(up(b, new Float32Array(0)), [2, 0], 1, up(b, new Int32Array(0)), o, [2, 3]); return [o]; },
  });
  void unaryCovered; void binaryCovered;
}

/** Whether a backend has a case's kernel (fused kernels are optional) and can run its dtype. */
export function applies(c: ConformanceCase, b: Backend): boolean {
  if (c.f64 && b.device !== 'cpu') return false;
  return typeof b[c.kernel] === 'function';
}

/**
 * Runs one case on `b` and on the reference; returns null when they agree, else a message
 * naming the case, the element and both values.
 */
export async function checkCase(c: ConformanceCase, b: Backend, ref: Backend = new JsBackend()): Promise<string | null> {
  const got = await Promise.all(c.run(b).map((s) => b.read(s)));
  const want = await Promise.all(c.run(ref).map((s) => ref.read(s)));
  const rtol = c.rtol ?? 1e-5, atol = c.atol ?? 1e-5;
  for (let k = 0; k < want.length; k++) {
    const g = got[k]!, w = want[k]!;
    if (g.length !== w.length) return `${c.name}: output ${k} has ${g.length} values, the reference ${w.length}`;
    const exact = w instanceof Int32Array;
    for (let i = 0; i < w.length; i++) {
      const a = g[i]!, e = w[i]!;
      if (Number.isNaN(e) || Number.isNaN(a)) {
        if (Number.isNaN(e) !== Number.isNaN(a)) return `${c.name}: output ${k}[${i}] is ${a}, the reference ${e}`;
        continue;
      }
      if (a === e) continue;
      if (exact || !(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `${c.name}: output ${k}[${i}] is ${a}, the reference ${e}`;
    }
  }
  return null;
}
