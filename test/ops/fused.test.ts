import test from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, getBackend, nn, optim, randn, randint, registerBackend, setBackend, softmax, logSoftmax, sigmoid, tanh, relu, tensor, type Tensor,
} from '../../src/index.js';
import { JsBackend } from '../../src/backend/js/index.js';
import type { FusedKernelName } from '../../src/backend/backend.js';
import { biasAct } from '../../src/ops/bias-act.js';
import { layerNormLastDim } from '../../src/ops/layer-norm.js';
import { attention, packedSelfAttention } from '../../src/ops/attention.js';
import { autogradGrad, gelu } from '../../src/index.js';

/**
 * Every fused kernel against the reference composition beside its op: the same ops run on the
 * reference backend with and without its fused kernels ('js-core' has only the core kernels),
 * in float64, forward and backward.
 */
const FUSED: readonly FusedKernelName[] = [
  'biasAct', 'actGrad', 'logSoftmax', 'crossEntropy', 'crossEntropyGrad', 'sgdStep', 'adamStep',
  'layerNorm', 'layerNormGrad', 'geluGrad', 'attention', 'attentionGrad',
];

class CoreOnlyBackend extends JsBackend {
  override readonly name: string = 'js-core';
  constructor() {
    super();
    for (const k of FUSED) Object.defineProperty(this, k, { value: undefined });
  }
}
registerBackend('js-core', () => new CoreOnlyBackend());

test('js-core really lacks every fused kernel (so the compositions run)', () => {
  const prev = getBackend().name;
  const b = setBackend('js-core');
  try {
    for (const k of FUSED) assert.equal(b[k], undefined, k);
  } finally {
    setBackend(prev);
  }
});

/** Runs fn on the fused and the core-only backend; returns both results as flat arrays. */
function both(fn: () => Tensor[]): [number[][], number[][]] {
  const prev = getBackend().name;
  try {
    setBackend('js');
    const fused = fn().map((t) => Array.from(t.data));
    setBackend('js-core');
    const composed = fn().map((t) => Array.from(t.data));
    return [fused, composed];
  } finally {
    setBackend(prev);
  }
}

function assertAgree(name: string, [a, b]: [number[][], number[][]], tol = 1e-12): void {
  assert.equal(a.length, b.length, name);
  a.forEach((xs, k) => {
    assert.equal(xs.length, b[k]!.length, `${name}: output ${k} length`);
    xs.forEach((v, i) => {
      const w = b[k]![i]!;
      if (v === w || (Number.isNaN(v) && Number.isNaN(w))) return;
      assert.ok(Math.abs(v - w) <= tol * (1 + Math.abs(w)), `${name}: output ${k}[${i}] fused ${v} vs composition ${w}`);
    });
  });
}

const f64 = (shape: number[], g: Generator): Tensor => randn(shape, { dtype: 'float64', generator: g });

test('biasAct and actGrad: fused kernels agree with add + activation, forward and backward', () => {
  for (const act of ['none', 'relu', 'sigmoid', 'tanh', 'gelu'] as const) {
    assertAgree(`biasAct ${act}`, both(() => {
      const g = new Generator(1);
      const z = f64([6, 5], g).requiresGrad_(), b = f64([5], g).requiresGrad_();
      const y = biasAct(z, b, act);
      y.mul(f64([6, 5], g)).sum().backward();
      return [y, z.grad!, b.grad!];
    }));
  }
  for (const [name, fn] of [['sigmoid', sigmoid], ['tanh', tanh], ['relu', relu]] as const) {
    assertAgree(`actGrad via ${name} backward (and double backward)`, both(() => {
      const g = new Generator(2);
      const x = f64([4, 7], g).requiresGrad_();
      const [dx] = [fn(x).mul(f64([4, 7], g)).sum()].map((l) => {
        l.backward({ createGraph: true });
        return x.grad!;
      });
      const gx = dx!.detach().clone();
      x.grad = null;
      // relu' is piecewise constant: its double backward has no path to x
      if (name === 'relu') return [gx];
      dx!.pow(2).sum().backward();
      return [gx, x.grad!];
    }));
  }
});

test('logSoftmax and softmax: the fused row kernel agrees with the composition (and on a middle axis)', () => {
  for (const dim of [-1, 1, 0]) {
    assertAgree(`logSoftmax dim ${dim}`, both(() => {
      const g = new Generator(3);
      const x = f64([3, 4, 5], g).mul(10).requiresGrad_();
      const y = logSoftmax(x, dim), s = softmax(x, dim);
      y.add(s).mul(f64([3, 4, 5], g)).sum().backward();
      return [y, s, x.grad!];
    }));
  }
  // rows of −∞ and huge logits
  assertAgree('logSoftmax extremes', both(() => [logSoftmax(tensor([[1e4, -1e4, 0], [-Infinity, 0, 1]], { dtype: 'float64' }))]));
});

test('crossEntropy: fused forward and gradient agree with the composition (weights, smoothing, ignoreIndex, double backward)', () => {
  for (const [eps, weighted] of [[0, false], [0.1, false], [0, true], [0.2, true]] as const) {
    assertAgree(`crossEntropy ε=${eps} weighted=${weighted}`, both(() => {
      const g = new Generator(4);
      const z = f64([9, 6], g).mul(3).requiresGrad_();
      const t = randint(0, 6, [9], { generator: g });
      t.data[2] = -100;
      const weight = weighted ? randn([6], { dtype: 'float64', generator: g }).abs().add(0.5) : undefined;
      const loss = nn.functional.crossEntropy(z, t, { labelSmoothing: eps, ...(weight ? { weight } : {}) });
      const [dz] = [loss].map((l) => { l.backward({ createGraph: true }); return z.grad!; });
      const first = dz!.detach().clone();
      z.grad = null;
      dz!.mul(f64([9, 6], g)).sum().backward();
      return [loss, first, z.grad!];
    }));
  }
});

test('SGD and Adam: fused update kernels agree with the composed updates', () => {
  const configs: [string, (ps: Tensor[]) => optim.Optimizer<optim.BaseHyper>][] = [
    ['SGD plain', (ps) => new optim.SGD(ps, { lr: 0.1 })],
    ['SGD momentum nesterov wd', (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['SGD momentum dampening maximize', (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.5, dampening: 0.3, maximize: true })],
    ['Adam amsgrad wd', (ps) => new optim.Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
    ['AdamW', (ps) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.05 })],
  ];
  for (const [name, make] of configs) {
    assertAgree(name, both(() => {
      const g = new Generator(5);
      const p = f64([17], g).requiresGrad_();
      const opt = make([p]);
      for (let step = 0; step < 4; step++) {
        p.grad = f64([17], g);
        opt.step();
      }
      return [p];
    }), 1e-13);
  }
});

/**
 * First and second derivatives of f at the inputs (seeded by fixed random weights): the first
 * runs the fused gradient kernels, the second (under createGraph) the differentiable compositions.
 */
function derivatives(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], g: Generator): Tensor[] {
  const y = f(...inputs);
  const w = f64([...y.shape], g);
  const first = autogradGrad(y.mul(w).sum(), inputs).map((t) => t.detach());
  const withGraph = autogradGrad(f(...inputs).mul(w).sum(), inputs, { createGraph: true });
  const second = autogradGrad(withGraph.reduce((acc, t) => acc.add(t.pow(2).sum()), tensor(0, { dtype: 'float64' })), inputs);
  return [y, ...first, ...withGraph.map((t) => t.detach()), ...second];
}

test('layerNorm: the fused kernels agree with the composition, forward, backward and double backward', () => {
  for (const affine of [true, false]) {
    assertAgree(`layerNorm affine=${affine}`, both(() => {
      const g = new Generator(6);
      const x = f64([3, 4, 7], g).mul(2).add(1).requiresGrad_();
      const w = f64([7], g).requiresGrad_(), b = f64([7], g).requiresGrad_();
      return affine ? derivatives((x_, w_, b_) => layerNormLastDim(x_!, w_!, b_!, 1e-5), [x, w, b], g) : derivatives((x_) => layerNormLastDim(x_!, null, null, 1e-3), [x], g);
    }), 1e-10);
  }
});

test('gelu: the fused gradient kernel agrees with the composition of its derivative', () => {
  assertAgree('geluGrad', both(() => {
    const g = new Generator(7);
    const x = f64([5, 9], g).mul(3).requiresGrad_();
    return derivatives((x_) => gelu(x_!), [x], g);
  }), 1e-10);
});

test('attention: the fused kernels agree with softmax(q·kᵀ)·v, packed or not, causal or not, to second order', () => {
  for (const causal of [false, true]) {
    assertAgree(`attention causal=${causal}`, both(() => {
      const g = new Generator(8);
      const q = f64([2, 5, 3], g).requiresGrad_(), k = f64([2, 4, 3], g).requiresGrad_(), v = f64([2, 4, 3], g).requiresGrad_();
      return derivatives((a, b, c) => attention(a!, b!, c!, { scale: 0.6, causal }), [q, k, v], g);
    }), 1e-10);
    assertAgree(`packed attention causal=${causal}`, both(() => {
      const g = new Generator(9);
      const qkv = f64([2, 5, 12], g).requiresGrad_();
      return derivatives((a) => packedSelfAttention(a!, 2, { causal }), [qkv], g);
    }), 1e-10);
  }
});
