/**
 * The gradcheck cases, shared by test/ops/gradcheck.test.ts (finite differences on the CPU) and
 * test/ops/device.test.ts (the same functions on a device the host cannot read). Every tensor a
 * case's fn makes itself goes to its inputs' device (`on`), so each fn runs on any device.
 */
import {
  Generator, Tensor, type GradcheckOptions, randn, rand, randint, tensor, type OpName,
  add, sub, mul, div, pow, maximum, minimum, where, clamp, neg, exp, log, sqrt, abs, erf, cast,
  sigmoid, tanh, relu, leakyRelu, elu, gelu, softplus, matmul, reshape, permute, expand, slice, concat,
  indexSelect, gather, sum, softmax, logSoftmax, conv2d,
  mean, variance, max, min, logSumExp, transpose, flatten, squeeze, unsqueeze, stack, split,
  sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, log1p, expm1, log2, log10, rsqrt, reciprocal, square, sign, floor, ceil,
  round, trunc, fmod, remainder, lerp, addcmul, nanToNum, silu, mish, selu, celu, hardtanh, relu6, hardswish, hardsigmoid,
  logsigmoid, softsign, prelu, glu, prod, cumsum, cumprod, norm, std, amax, amin, topk, sort, tril, triu, maskedFill, scatter,
  scatterAdd, indexAdd, takeAlongDim, repeat, tile, repeatInterleave, flip, roll, chunk, unbind, narrow, movedim, einsum, bmm,
  outer, dot, diag, diagonal, trace, autogradGrad, enableGrad,
} from '../../src/index.js';
import { apply } from '../../src/autograd/engine.js';
import { sliceGradOp } from '../../src/ops/shape.js';
import { actGradOp } from '../../src/ops/activation.js';
import { indexAddOp, scatterAddOp } from '../../src/ops/indexing.js';
import { col2imOp } from '../../src/ops/conv.js';
import { crossEntropy, crossEntropyGradOp } from '../../src/ops/loss.js';
import { biasAct } from '../../src/ops/bias-act.js';
import { layerNormLastDim } from '../../src/ops/layer-norm.js';
import { attention, packedSelfAttention } from '../../src/ops/attention.js';
import { cumsumOp } from '../../src/ops/scan.js';
import { asStridedGradOp } from '../../src/ops/strided.js';

/**
 * One gradcheck case per differentiable primitive. The record is typed over OpName, so adding
 * an op to the table without a case here is a compile error. Shapes are random (seeded) and
 * include broadcasting; everything runs in float64.
 */
const g = new Generator(7);
const f64 = { dtype: 'float64' as const, generator: g };
const dims = (lo: number, hi: number): number => g.randint(lo, hi + 1);
const r = (shape: number[]): Tensor => randn(shape, f64);
/** values bounded away from 0, for log/sqrt/div/pow */
const pos = (shape: number[]): Tensor => rand(shape, f64).mul(1.5).add(0.5);
/** values bounded away from kinks (0 for relu/abs, ties for max) */
const awayFromZero = (shape: number[]): Tensor => {
  const x = r(shape);
  return x.add(where(x.ge(0), 0.1, -0.1)).detach();
};

export interface Case {
  fn: (...xs: Tensor[]) => Tensor;
  inputs: () => Tensor[];
  opts?: GradcheckOptions;
}

const m = dims(2, 4), n = dims(2, 4), k = dims(1, 3);
/** values k + 0.3 or k + 0.7 for integers k: away from the jumps of floor, ceil, round, trunc and sign */
const offGrid = (shape: number[]): Tensor => floor(r(shape).mul(3)).add(where(rand(shape, f64).gt(0.5), 0.3, 0.7)).detach();
/** in (−0.9, 0.9), inside asin's and acos's domain */
const unit = (shape: number[]): Tensor => rand(shape, f64).mul(1.8).sub(0.9);
const i32 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'int32' });
/** a constant that a case's fn makes, put on the device of the input it goes with */
const on = (like: Tensor, t: Tensor): Tensor => (like.device === t.device ? t : t.to(like.device));
/** a value away from 0 (rand in [0.5, 2)) with a zero at `at` */
const withZeros = (shape: number[], at: number[]): Tensor => {
  const x = pos(shape).detach();
  for (const i of at) x.data[i] = 0;
  return x;
};

export const cases: { [K in OpName]: Case[] } = {
  // through float32 a tiny eps would only measure rounding, hence the coarser step
  cast: [{ fn: (x) => cast(cast(x!, 'float32'), 'float64').mul(3), inputs: () => [r([m, n])], opts: { eps: 1e-2, atol: 1e-4 } }],
  add: [
    { fn: (a, b) => add(a!, b!), inputs: () => [r([m, n]), r([n])] },
    { fn: (a, b) => add(a!, b!), inputs: () => [r([k, 1, n]), r([m, 1])] },
  ],
  sub: [{ fn: (a, b) => sub(a!, b!), inputs: () => [r([m, 1]), r([1, n])] }],
  mul: [
    { fn: (a, b) => mul(a!, b!), inputs: () => [r([m, n]), r([m, n])] },
    { fn: (a, b) => mul(a!, b!), inputs: () => [r([k, m, n]), r([n])] },
  ],
  div: [{ fn: (a, b) => div(a!, b!), inputs: () => [r([m, n]), pos([m, 1])] }],
  pow: [{ fn: (a, b) => pow(a!, b!), inputs: () => [pos([m, n]), r([n])] }],
  powScalar: [
    { fn: (a) => pow(a!, 3), inputs: () => [r([m, n])] },
    { fn: (a) => pow(a!, -0.5), inputs: () => [pos([n])] },
  ],
  maximum: [{ fn: (a, b) => maximum(a!, b!), inputs: () => [r([m, n]), r([n])] }],
  minimum: [{ fn: (a, b) => minimum(a!, b!), inputs: () => [r([m, 1]), r([m, n])] }],
  where: [{ fn: (a, b) => where(a!.detach().gt(0), a!.mul(b!), b!), inputs: () => [r([m, n]), r([n])] }],
  clamp: [{ fn: (a) => clamp(a!, -0.5, 0.7), inputs: () => [awayFromBounds([m, n], [-0.5, 0.7])] }],
  neg: [{ fn: (a) => neg(a!), inputs: () => [r([m, n])] }],
  exp: [{ fn: (a) => exp(a!), inputs: () => [r([m, n])] }],
  log: [{ fn: (a) => log(a!), inputs: () => [pos([m, n])] }],
  sqrt: [{ fn: (a) => sqrt(a!), inputs: () => [pos([m, n])] }],
  abs: [{ fn: (a) => abs(a!), inputs: () => [awayFromZero([m, n])] }],
  erf: [{ fn: (a) => erf(a!), inputs: () => [r([m, n]).mul(1.5)] }],
  sin: [{ fn: (a) => sin(a!), inputs: () => [r([m, n]).mul(2)] }],
  cos: [{ fn: (a) => cos(a!), inputs: () => [r([m, n]).mul(2)] }],
  tan: [{ fn: (a) => tan(a!), inputs: () => [unit([m, n]).mul(1.3)] }],
  asin: [{ fn: (a) => asin(a!), inputs: () => [unit([m, n])] }],
  acos: [{ fn: (a) => acos(a!), inputs: () => [unit([m, n])] }],
  atan: [{ fn: (a) => atan(a!), inputs: () => [r([m, n]).mul(2)] }],
  sinh: [{ fn: (a) => sinh(a!), inputs: () => [r([m, n])] }],
  cosh: [{ fn: (a) => cosh(a!), inputs: () => [r([m, n])] }],
  log1p: [{ fn: (a) => log1p(a!), inputs: () => [pos([m, n]).sub(0.4)] }],
  expm1: [{ fn: (a) => expm1(a!), inputs: () => [r([m, n])] }],
  log2: [{ fn: (a) => log2(a!), inputs: () => [pos([m, n])] }],
  log10: [{ fn: (a) => log10(a!), inputs: () => [pos([m, n])] }],
  rsqrt: [{ fn: (a) => rsqrt(a!), inputs: () => [pos([m, n])] }],
  reciprocal: [{ fn: (a) => reciprocal(a!), inputs: () => [pos([m, n]).mul(where(r([m, n]).gt(0), 1, -1))] }],
  // step functions: a zero gradient, and finite differences away from the jumps agree
  floor: [{ fn: (a) => floor(a!), inputs: () => [offGrid([m, n])] }],
  ceil: [{ fn: (a) => ceil(a!), inputs: () => [offGrid([m, n])] }],
  round: [{ fn: (a) => round(a!), inputs: () => [offGrid([m, n])] }],
  trunc: [{ fn: (a) => trunc(a!), inputs: () => [offGrid([m, n])] }],
  sign: [{ fn: (a) => sign(a!), inputs: () => [offGrid([m, n])] }],
  atan2: [
    { fn: (a, b) => atan2(a!, b!), inputs: () => [r([m, n]), r([n])] },
    { fn: (a, b) => atan2(a!, b!), inputs: () => [r([m, 1]), pos([m, n])] },
  ],
  // a/b kept well inside one integer step, where the quotient is constant
  fmod: [{ fn: (a, b) => fmod(a!, b!), inputs: () => [offGrid([m, n]), tensor(new Array<number>(n).fill(1), { dtype: 'float64' }).mul(where(r([n]).gt(0), 1, -1))] }],
  remainder: [{ fn: (a, b) => remainder(a!, b!), inputs: () => [offGrid([m, n]), tensor(new Array<number>(n).fill(1), { dtype: 'float64' }).mul(where(r([n]).gt(0), 1, -1))] }],
  actGrad: (['sigmoid', 'tanh', 'relu'] as const).map((act) => ({
    fn: (gr: Tensor, y: Tensor) => apply(actGradOp, [gr, y], { act }),
    // y is an activation output: (0, 1) for sigmoid, (-1, 1) for tanh, away from 0 for relu
    inputs: () => [r([m, n]), act === 'sigmoid' ? rand([m, n], f64).mul(0.8).add(0.1) : act === 'tanh' ? rand([m, n], f64).mul(1.6).sub(0.8) : awayFromZero([m, n])],
  })) as Case[],
  sigmoid: [{ fn: (a) => sigmoid(a!), inputs: () => [r([m, n]).mul(3)] }],
  tanh: [{ fn: (a) => tanh(a!), inputs: () => [r([m, n])] }],
  relu: [{ fn: (a) => relu(a!), inputs: () => [awayFromZero([m, n])] }],
  leakyRelu: [{ fn: (a) => leakyRelu(a!, 0.2), inputs: () => [awayFromZero([m, n])] }],
  elu: [{ fn: (a) => elu(a!, 1.3), inputs: () => [awayFromZero([m, n])] }],
  gelu: [{ fn: (a) => gelu(a!), inputs: () => [r([m, n]).mul(2)] }],
  softplus: [{ fn: (a) => softplus(a!), inputs: () => [r([m, n]).mul(3)] }],
  silu: [{ fn: (a) => silu(a!), inputs: () => [r([m, n]).mul(3)] }],
  mish: [{ fn: (a) => mish(a!), inputs: () => [r([m, n]).mul(3)] }],
  hardsigmoid: [{ fn: (a) => hardsigmoid(a!), inputs: () => [awayFromBounds([m, n], [-3, 3], 3)] }],
  hardswish: [{ fn: (a) => hardswish(a!), inputs: () => [awayFromBounds([m, n], [-3, 3], 3)] }],
  hardtanh: [{ fn: (a) => hardtanh(a!, { minVal: -0.5, maxVal: 0.7 }), inputs: () => [awayFromBounds([m, n], [-0.5, 0.7])] }],
  matmul: [
    { fn: (a, b) => matmul(a!, b!), inputs: () => [r([m, k]), r([k, n])] },
    { fn: (a, b) => matmul(a!, b!), inputs: () => [r([2, m, k]), r([k, n])] },
    { fn: (a, b) => matmul(a!, b!), inputs: () => [r([3, 1, m, k]), r([2, k, n])] },
    { fn: (a, b) => matmul(a!, b!), inputs: () => [r([k]), r([k, n])] },
    { fn: (a, b) => matmul(a!, b!), inputs: () => [r([m, k]), r([k])] },
    { fn: (a, b) => matmul(a!, b!, { transA: true, transB: true }), inputs: () => [r([k, m]), r([n, k])] },
    { fn: (a, b) => matmul(a!, b!, { transB: true }), inputs: () => [r([m, k]), r([n, k])] },
    { fn: (a, b) => matmul(a!, b!, { transA: true }), inputs: () => [r([k, m]), r([k, n])] },
  ],
  reshape: [{ fn: (a, w) => reshape(a!, [-1]).mul(w!), inputs: () => [r([m, n]), r([m * n])] }],
  permute: [{ fn: (a) => permute(a!, [2, 0, 1]), inputs: () => [r([k, m, n])] }],
  expand: [{ fn: (a) => expand(a!, [k, m, n]), inputs: () => [r([m, 1])] }],
  slice: [{ fn: (a) => slice(a!, [{ start: 1 }, { start: -3, step: 2 }]), inputs: () => [r([m + 1, 5])] }],
  sliceGrad: [{ fn: (a) => apply(sliceGradOp, [a!], { begin: [1, 0], step: [1, 2], shape: [m + 1, 5] }), inputs: () => [r([m, 3])] }],
  concat: [{ fn: (a, b) => concat([a!, b!], 1), inputs: () => [r([m, 2]), r([m, n])] }],
  asStrided: [
    { fn: (a) => flip(a!, [0, 2]), inputs: () => [r([k, m, n])] },
    { fn: (a) => diagonal(a!, -1, 2, 0), inputs: () => [r([m + 1, k, m])] },
  ],
  asStridedGrad: [{ fn: (a) => apply(asStridedGradOp, [a!], { offset: 1, strides: [4], viewShape: [2], shape: [3, 3] }), inputs: () => [r([2])] }],
  indexSelect: [{ fn: (a) => indexSelect(a!, 1, on(a!, i32([2, 0, 2]))), inputs: () => [r([m, 3, 2])] }],
  indexAdd: [{ fn: (a) => apply(indexAddOp, [a!, on(a!, i32([1, 1, 0]))], { axis: 0, shape: [2, n] }), inputs: () => [r([3, n])] }],
  gather: [{ fn: (a, idx) => gather(a!, 1, idx!), inputs: () => [r([m, 4]), randint(0, 4, [m, 2], { generator: g })] }],
  scatterAdd: [{ fn: (a) => apply(scatterAddOp, [a!, on(a!, i32([[0, 0], [2, 1]]))], { axis: 1, shape: [2, 3] }), inputs: () => [r([2, 2])] }],
  // distinct indices per row: a src value that a duplicate overwrites has no numeric gradient
  scatter: [
    { fn: (x, s) => scatter(x!, 1, on(x!, i32([[0, 2], [1, 0]])), s!), inputs: () => [r([2, 3]), r([2, 2])] },
    { fn: (x, s) => scatter(x!, 0, on(x!, i32([[2, 0, 1]])), s!), inputs: () => [r([3, 3]), r([2, 4])] },
  ],
  sum: [
    { fn: (a) => sum(a!, 1), inputs: () => [r([m, n, k])] },
    { fn: (a) => sum(a!, [0, 2], true), inputs: () => [r([m, n, k])] },
    { fn: (a) => sum(a!), inputs: () => [r([m, n])] },
  ],
  // a product is a polynomial, smooth through zeros: the cases put one and two zeros in a block
  prod: [
    { fn: (a) => prod(a!, 1), inputs: () => [pos([m, n, k]).mul(where(r([m, n, k]).gt(0), 1, -1))] },
    { fn: (a) => prod(a!, [0, 2], true), inputs: () => [withZeros([3, 2, 2], [1, 7, 9])] },
    { fn: (a) => prod(a!), inputs: () => [withZeros([2, 3], [4])] },
  ],
  amax: [
    { fn: (a) => amax(a!, [0, 2]), inputs: () => [r([m, n, k])] },
    { fn: (a) => amin(a!, 1, true), inputs: () => [r([m, n])] },
    { fn: (a) => max(a!), inputs: () => [r([m, n])] },
  ],
  cumsum: [
    { fn: (a) => cumsum(a!, 1), inputs: () => [r([m, n, k])] },
    { fn: (a) => apply(cumsumOp, [a!], { axis: 0, reverse: true }), inputs: () => [r([m, n])] },
  ],
  cumprod: [
    { fn: (a) => cumprod(a!, 1), inputs: () => [pos([m, n]).mul(where(r([m, n]).gt(0), 1, -1))] },
    // zeros: the first zero of a line, a second one, and a line starting with one
    { fn: (a) => cumprod(a!, 1), inputs: () => [withZeros([3, 5], [1, 3, 5, 12])] },
    { fn: (a) => cumprod(a!, 0), inputs: () => [withZeros([4, 2], [2, 7])] },
  ],
  softmax: [{ fn: (a) => softmax(a!, 0), inputs: () => [r([m, n])] }],
  logSoftmax: [{ fn: (a) => logSoftmax(a!, -1), inputs: () => [r([m, n]).mul(3)] }],
  im2col: [{ fn: (x, w) => conv2d(x!, w!, null, { stride: 2, padding: 1, dilation: 1 }), inputs: () => [r([2, 2, 5, 4]), r([3, 2, 3, 2])] }],
  col2im: [{
    fn: (c) => apply(col2imOp, [c!], {
      args: { n: 1, cIn: 2, h: 4, w: 4, cOut: 1, kh: 2, kw: 2, strideH: 1, strideW: 2, padH: 1, padW: 0, dilationH: 1, dilationW: 1, groups: 1, outH: 5, outW: 2 },
    }),
    inputs: () => [r([1, 1, 8, 10])],
  }],
  crossEntropy: [
    { fn: (z, t) => crossEntropy(z!, t!, { reduction: 'none', labelSmoothing: 0.1 }), inputs: () => [r([m, n]).mul(3), randint(0, n, [m], { generator: g })] },
    {
      fn: (z, t) => crossEntropy(z!, t!, { weight: on(z!, tensor([0.5, 2, 1], { dtype: 'float64' })), ignoreIndex: 1, labelSmoothing: 0.2 }),
      inputs: () => [r([4, 3, 2]), tensor([[0, 1], [2, 2], [1, 0], [0, 2]], { dtype: 'int32' })],
    },
  ],
  // differentiating the gradient kernel itself (w.r.t. logits and the upstream g) is double backward
  crossEntropyGrad: [
    {
      fn: (z, gr) => apply(crossEntropyGradOp, [z!, gr!, on(z!, i32([2, 0, 1, 2]))], { labelSmoothing: 0.1, ignoreIndex: -100 }),
      inputs: () => [r([4, 3]).mul(2), r([4])],
    },
    {
      fn: (z, gr) => apply(crossEntropyGradOp, [z!, gr!, on(z!, i32([1, 0, 1])), on(z!, tensor([0.5, 2], { dtype: 'float64' }))], { labelSmoothing: 0.2, ignoreIndex: 0 }),
      inputs: () => [r([3, 2]).mul(2), r([3])],
    },
  ],
  biasAct: [
    { fn: (z, b) => biasAct(z!, b!, 'sigmoid'), inputs: () => [r([m, n]).mul(2), r([n])] },
    { fn: (z, b) => biasAct(z!, b!, 'tanh'), inputs: () => [r([k, m, n]), r([n])] },
    { fn: (z, b) => biasAct(z!, b!, 'gelu'), inputs: () => [r([m, n]).mul(2), r([n])] },
    { fn: (z, b) => biasAct(z!, b!, 'none'), inputs: () => [r([m, n]), r([n])] },
    // shifted so z + b stays away from relu's kink
    { fn: (z, b) => biasAct(z!, b!, 'relu'), inputs: () => [awayFromZero([m, n]), tensor(new Array<number>(n).fill(0), { dtype: 'float64' })] },
  ],
  layerNormLastDim: [
    { fn: (x, w, b) => layerNormLastDim(x!, w!, b!, 1e-5), inputs: () => [r([k, m, n + 1]), r([n + 1]), r([n + 1])] },
    { fn: (x) => layerNormLastDim(x!, null, null, 0.1), inputs: () => [r([m, n + 1])] },
  ],
  attention: [
    { fn: (q, kk, v) => attention(q!, kk!, v!, { scale: 0.7, causal: false }), inputs: () => [r([2, m, 3]), r([2, n, 3]), r([2, n, 3])] },
    { fn: (q, kk, v) => attention(q!, kk!, v!, { scale: 0.5, causal: true }), inputs: () => [r([m + 1, 2]), r([n, 2]), r([n, 2])] },
    { fn: (qkv) => packedSelfAttention(qkv!, 2, { causal: true }), inputs: () => [r([2, m, 12])] },
  ],
};

/** x ↦ ∂f/∂x as a differentiable function (createGraph), so gradcheck checks second derivatives. */
function gradOf(f: (x: Tensor) => Tensor): (x?: Tensor) => Tensor {
  return (x) => enableGrad(() => autogradGrad(f(x!), [x!], { createGraph: true })[0]!);
}

function awayFromBounds(shape: number[], bounds: number[], scale = 1): Tensor {
  const x = r(shape).mul(scale).detach();
  const d = x.data;
  for (let i = 0; i < d.length; i++) for (const b of bounds) if (Math.abs(d[i]! - b) < 0.05) d[i] = b + 0.1;
  return x;
}


/** Composite ops need no rule of their own, but their gradients are checked all the same. */
export const composites: Record<string, Case> = {
  mean: { fn: (a) => mean(a!, [0, 2], true), inputs: () => [r([m, n, k])] },
  var: { fn: (a) => variance(a!, 1), inputs: () => [r([m, n + 1])] },
  'max (dim)': { fn: (a) => max(a!, 1), inputs: () => [r([m, n])] },
  'max (all)': { fn: (a) => max(a!), inputs: () => [r([m, n])] },
  'min (dims)': { fn: (a) => min(a!, [0, 2]), inputs: () => [r([m, n, k])] },
  logSumExp: { fn: (a) => logSumExp(a!, 1), inputs: () => [r([m, n]).mul(4)] },
  transpose: { fn: (a) => transpose(a!, 0, 2), inputs: () => [r([m, n, k])] },
  flatten: { fn: (a, w) => flatten(a!, 1).mul(w!), inputs: () => [r([m, n, k]), r([m, n * k])] },
  'squeeze/unsqueeze': { fn: (a) => unsqueeze(squeeze(a!, 1), 0), inputs: () => [r([m, 1, n])] },
  stack: { fn: (a, b) => stack([a!, b!], 1), inputs: () => [r([m, n]), r([m, n])] },
  split: { fn: (a) => { const [p, q] = split(a!, [1, n], 1); return p!.mul(q!.sum(1, true)); }, inputs: () => [r([m, n + 1])] },
  square: { fn: (a) => square(a!), inputs: () => [r([m, n])] },
  'lerp (scalar weight)': { fn: (a, b) => lerp(a!, b!, 0.3).mul(lerp(a!, b!, 0.8)), inputs: () => [r([m, n]), r([n])] },
  'lerp (tensor weight)': { fn: (a, b, w) => lerp(a!, b!, w!), inputs: () => [r([m, n]), r([m, n]), rand([n], f64)] },
  addcmul: { fn: (a, b, c) => addcmul(a!, b!, c!, { value: 0.5 }), inputs: () => [r([m, n]), r([n]), r([m, 1])] },
  nanToNum: { fn: (a) => nanToNum(a!), inputs: () => [r([m, n])] },
  selu: { fn: (a) => selu(a!), inputs: () => [awayFromZero([m, n])] },
  celu: { fn: (a) => celu(a!, 1.7), inputs: () => [awayFromZero([m, n])] },
  relu6: { fn: (a) => relu6(a!), inputs: () => [awayFromBounds([m, n], [0, 6], 4)] },
  logsigmoid: { fn: (a) => logsigmoid(a!), inputs: () => [r([m, n]).mul(4)] },
  softsign: { fn: (a) => softsign(a!), inputs: () => [awayFromZero([m, n])] },
  'prelu (shared)': { fn: (x, w) => prelu(x!, w!), inputs: () => [awayFromZero([m, n]), tensor([0.25], { dtype: 'float64' })] },
  'prelu (per channel)': { fn: (x, w) => prelu(x!, w!), inputs: () => [awayFromZero([2, 3, 2]), r([3])] },
  glu: { fn: (a) => glu(a!, 1), inputs: () => [r([m, 4, k])] },
  'norm p=2 (dims)': { fn: (a) => norm(a!, 2, [0, 2], true), inputs: () => [r([m, n, k])] },
  'norm fro (all)': { fn: (a) => norm(a!), inputs: () => [r([m, n])] },
  'norm p=1': { fn: (a) => norm(a!, 1, 1), inputs: () => [awayFromZero([m, n])] },
  'norm p=inf': { fn: (a) => norm(a!, Infinity, 0), inputs: () => [r([m, n])] },
  'norm p=-inf': { fn: (a) => norm(a!, -Infinity), inputs: () => [awayFromZero([m, n])] },
  'norm p=3': { fn: (a) => norm(a!, 3, -1), inputs: () => [awayFromZero([m, n])] },
  std: { fn: (a) => std(a!, 1, { keepdim: true }), inputs: () => [r([m, n + 1])] },
  'std (correction 0, all)': { fn: (a) => std(a!, undefined, { correction: 0 }), inputs: () => [r([m, n])] },
  topk: { fn: (a) => topk(a!, 2, 1).values, inputs: () => [r([m, n + 2])] },
  'topk (smallest, dim 0)': { fn: (a) => topk(a!, 2, 0, false).values, inputs: () => [r([m + 2, n])] },
  'sort (descending)': { fn: (a) => sort(a!, 0, true).values, inputs: () => [r([m, n])] },
  tril: { fn: (a) => tril(a!, -1), inputs: () => [r([k, m, n])] },
  triu: { fn: (a) => triu(a!, 1), inputs: () => [r([m, n])] },
  'maskedFill (tensor value)': { fn: (a, v) => maskedFill(a!, a!.detach().gt(0), v!), inputs: () => [r([m, n]), r([])] },
  'scatterAdd (public)': { fn: (x, s) => scatterAdd(x!, 1, on(x!, i32([[0, 0], [2, 1]])), s!), inputs: () => [r([2, 3]), r([2, 3])] },
  'indexAdd (public)': { fn: (x, s) => indexAdd(x!, 0, on(x!, i32([1, 1, 0])), s!, { alpha: 2 }), inputs: () => [r([2, n]), r([3, n])] },
  takeAlongDim: { fn: (x) => takeAlongDim(x!, on(x!, i32([[0], [2], [1]])), 1), inputs: () => [r([3, 4])] },
  'takeAlongDim (flat)': { fn: (x) => takeAlongDim(x!, on(x!, i32([5, 0, 5]))), inputs: () => [r([2, 3])] },
  repeat: { fn: (a) => repeat(a!, [2, 1, 3]), inputs: () => [r([m, n])] },
  tile: { fn: (a) => tile(a!, [2]), inputs: () => [r([m, n])] },
  'repeatInterleave (count)': { fn: (a) => repeatInterleave(a!, 2, 1), inputs: () => [r([m, n])] },
  'repeatInterleave (per element)': { fn: (a) => repeatInterleave(a!, [0, 2, 1], 0), inputs: () => [r([3, n])] },
  flip: { fn: (a) => flip(a!, -1), inputs: () => [r([m, n])] },
  roll: { fn: (a) => roll(a!, [1, -2], [0, 1]), inputs: () => [r([m, n + 1])] },
  'roll (flat)': { fn: (a) => roll(a!, 3), inputs: () => [r([m, n])] },
  chunk: { fn: (a) => { const [p, q] = chunk(a!, 2, 1); return p!.mul(q!.sum(1, true)); }, inputs: () => [r([m, 4])] },
  unbind: { fn: (a) => { const [p, q] = unbind(a!, 1); return p!.mul(q!); }, inputs: () => [r([m, 2])] },
  narrow: { fn: (a) => narrow(a!, 1, -3, 2), inputs: () => [r([m, 4])] },
  movedim: { fn: (a) => movedim(a!, [0, 1], [2, 0]), inputs: () => [r([m, n, k])] },
  'einsum matmul': { fn: (a, b) => einsum('ij,jk->ik', a!, b!), inputs: () => [r([m, k]), r([k, n])] },
  'einsum batched, implicit output': { fn: (a, b) => einsum('bij,bjk', a!, b!), inputs: () => [r([2, m, k]), r([2, k, n])] },
  'einsum trace and diagonal': { fn: (a, b) => einsum('ii,jj->', a!, b!).add(einsum('iji->ij', b!.reshape([3, 1, 3]).expand([3, 2, 3])).sum()), inputs: () => [r([3, 3]), r([3, 3])] },
  'einsum ellipsis broadcast': { fn: (a, b) => einsum('...ij,...jk->...ik', a!, b!), inputs: () => [r([2, 1, m, k]), r([3, k, n])] },
  'einsum three operands': { fn: (a, b, c) => einsum('ab,bc,ca->a', a!, b!, c!), inputs: () => [r([m, n]), r([n, k]), r([k, m])] },
  'einsum outer and sums': { fn: (a, b) => einsum('i,jk->ij', a!, b!), inputs: () => [r([m]), r([n, k])] },
  bmm: { fn: (a, b) => bmm(a!, b!), inputs: () => [r([2, m, k]), r([2, k, n])] },
  outer: { fn: (a, b) => outer(a!, b!), inputs: () => [r([m]), r([n])] },
  dot: { fn: (a, b) => dot(a!, b!), inputs: () => [r([n]), r([n])] },
  'diag (vector → matrix)': { fn: (a) => diag(a!, -1), inputs: () => [r([n])] },
  'diag (matrix → vector)': { fn: (a) => diag(a!, 1), inputs: () => [r([m, n])] },
  trace: { fn: (a) => trace(a!), inputs: () => [r([m, n])] },
  // second derivatives through the zero-safe rules of prod and cumprod
  'prod double backward (zeros)': { fn: gradOf((a) => prod(a, 1).mul(on(a, tensor([1.5, -2], { dtype: 'float64' }))).sum()), inputs: () => [withZeros([2, 3], [1, 3, 4])] },
  'cumprod double backward (zeros)': { fn: gradOf((a) => cumprod(a, 0).mul(on(a, tensor([1, -2, 0.5, 3], { dtype: 'float64' }))).sum()), inputs: () => [withZeros([4], [1])] },
  'cumprod double backward (no zeros)': { fn: gradOf((a) => cumprod(a, 1).mul(a).sum()), inputs: () => [pos([2, 4])] },
  'amax double backward': { fn: gradOf((a) => amax(a, 0).pow(2).sum()), inputs: () => [r([m, n])] },
  'mish double backward': { fn: gradOf((a) => mish(a).pow(2).sum()), inputs: () => [r([m, n])] },
  'atan2 double backward': { fn: gradOf((a) => atan2(a, a.mul(a).add(1)).sum()), inputs: () => [r([m, n])] },
  // second derivatives through the fused ops' backward compositions (layer norm, attention, gelu)
  'layerNorm double backward': { fn: gradOf((x) => layerNormLastDim(x, on(x, tensor([0.5, -1, 2, 1.5], { dtype: x.dtype })), null, 1e-5).pow(3).sum()), inputs: () => [r([m, 4])] },
  'attention double backward': { fn: gradOf((qkv) => packedSelfAttention(qkv, 2, { causal: true }).pow(2).sum()), inputs: () => [r([1, 3, 6])] },
  'gelu double backward': { fn: gradOf((x) => gelu(x).pow(2).sum()), inputs: () => [r([m, n])] },
  'conv2d groups+bias': {
    fn: (x, w, b) => conv2d(x!, w!, b!, { padding: [1, 0], dilation: [1, 2], groups: 2 }),
    inputs: () => [r([1, 4, 4, 5]), r([2, 2, 2, 2]), r([2])],
  },
};
