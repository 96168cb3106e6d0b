import test from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, Tensor, gradcheck, autogradGrad, enableGrad, type GradcheckOptions, randn, rand, randint, tensor, opTable, type OpName,
  add, sub, mul, div, pow, maximum, minimum, where, clamp, neg, exp, log, sqrt, abs, erf, cast,
  sigmoid, tanh, relu, leakyRelu, elu, gelu, softplus, matmul, reshape, permute, expand, slice, concat,
  indexSelect, gather, sum, softmax, logSoftmax, conv2d,
  mean, variance, max, min, logSumExp, transpose, flatten, squeeze, unsqueeze, stack, split,
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

interface Case {
  fn: (...xs: Tensor[]) => Tensor;
  inputs: () => Tensor[];
  opts?: GradcheckOptions;
}

const m = dims(2, 4), n = dims(2, 4), k = dims(1, 3);

const cases: { [K in OpName]: Case[] } = {
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
  indexSelect: [{ fn: (a) => indexSelect(a!, 1, tensor([2, 0, 2], { dtype: 'int32' })), inputs: () => [r([m, 3, 2])] }],
  indexAdd: [{ fn: (a) => apply(indexAddOp, [a!, tensor([1, 1, 0], { dtype: 'int32' })], { axis: 0, shape: [2, n] }), inputs: () => [r([3, n])] }],
  gather: [{ fn: (a, idx) => gather(a!, 1, idx!), inputs: () => [r([m, 4]), randint(0, 4, [m, 2], { generator: g })] }],
  scatterAdd: [{ fn: (a) => apply(scatterAddOp, [a!, tensor([[0, 0], [2, 1]], { dtype: 'int32' })], { axis: 1, shape: [2, 3] }), inputs: () => [r([2, 2])] }],
  sum: [
    { fn: (a) => sum(a!, 1), inputs: () => [r([m, n, k])] },
    { fn: (a) => sum(a!, [0, 2], true), inputs: () => [r([m, n, k])] },
    { fn: (a) => sum(a!), inputs: () => [r([m, n])] },
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
      fn: (z, t) => crossEntropy(z!, t!, { weight: tensor([0.5, 2, 1], { dtype: 'float64' }), ignoreIndex: 1, labelSmoothing: 0.2 }),
      inputs: () => [r([4, 3, 2]), tensor([[0, 1], [2, 2], [1, 0], [0, 2]], { dtype: 'int32' })],
    },
  ],
  // differentiating the gradient kernel itself (w.r.t. logits and the upstream g) is double backward
  crossEntropyGrad: [
    {
      fn: (z, gr) => apply(crossEntropyGradOp, [z!, gr!, tensor([2, 0, 1, 2], { dtype: 'int32' })], { labelSmoothing: 0.1, ignoreIndex: -100 }),
      inputs: () => [r([4, 3]).mul(2), r([4])],
    },
    {
      fn: (z, gr) => apply(crossEntropyGradOp, [z!, gr!, tensor([1, 0, 1], { dtype: 'int32' }), tensor([0.5, 2], { dtype: 'float64' })], { labelSmoothing: 0.2, ignoreIndex: 0 }),
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

function awayFromBounds(shape: number[], bounds: number[]): Tensor {
  const x = r(shape).detach();
  const d = x.data;
  for (let i = 0; i < d.length; i++) for (const b of bounds) if (Math.abs(d[i]! - b) < 0.05) d[i] = b + 0.1;
  return x;
}

for (const name of Object.keys(opTable) as OpName[]) {
  test(`gradcheck: ${name}`, () => {
    const list = cases[name];
    assert.ok(list.length > 0, `no gradcheck case for ${name}`);
    for (const c of list) {
      const res = gradcheck(c.fn, c.inputs(), c.opts);
      assert.equal(res.passed, true);
    }
  });
}

// Composite ops need no rule of their own, but their gradients are checked all the same.
const composites: Record<string, Case> = {
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
  // second derivatives: the backward rules' compositions, differentiated once more
  'layerNorm (double backward)': {
    fn: (x, w) => enableGrad(() => autogradGrad(layerNormLastDim(x!, w!, null, 1e-5).pow(3).sum(), [x!, w!], { createGraph: true })[0]!),
    inputs: () => [r([m, n + 2]), r([n + 2])],
  },
  'attention (double backward)': {
    fn: (qkv) => enableGrad(() => autogradGrad(packedSelfAttention(qkv!, 2, { causal: true }).pow(2).sum(), [qkv!], { createGraph: true })[0]!),
    inputs: () => [r([1, 3, 6])],
  },
  'gelu (double backward)': {
    fn: (x) => enableGrad(() => autogradGrad(gelu(x!).pow(2).sum(), [x!], { createGraph: true })[0]!),
    inputs: () => [r([m, n])],
  },
  'conv2d groups+bias': {
    fn: (x, w, b) => conv2d(x!, w!, b!, { padding: [1, 0], dilation: [1, 2], groups: 2 }),
    inputs: () => [r([1, 4, 4, 5]), r([2, 2, 2, 2]), r([2])],
  },
};
for (const [name, c] of Object.entries(composites)) {
  test(`gradcheck (composite): ${name}`, () => {
    assert.equal(gradcheck(c.fn, c.inputs()).passed, true);
  });
}

test('gradcheck reports a wrong rule', () => {
  // a function whose graph lies: forward x², backward sees only x (detached factor)
  const bad = (x: Tensor): Tensor => x.mul(x.detach()).sum();
  const res = gradcheck(bad, [randn([3], f64)], { raiseOnFailure: false });
  assert.equal(res.passed, false);
  assert.ok(res.inputs[0]!.maxAbsError > 1e-3);
  assert.throws(() => gradcheck(bad, [randn([3], f64)]), /gradcheck: backprop disagrees/);
});
