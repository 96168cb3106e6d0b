import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adam, AdamW, Adagrad, RMSprop, SGD, type Optimizer, type BaseHyper } from '../../src/optim/index.js';
import { NumericsError, ShapeError, ValueError } from '../../src/errors.js';
import { setCheckNumerics } from '../../src/autograd/mode.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, param, setGrad } from './helpers.js';

const GRADS = [[0.5, 1, -0.25], [-1, 2, 0.75], [0.3, -0.4, 0.1], [2, 0.5, -1], [-0.2, 0.1, 0.6]];

const makers: Record<string, (ps: Tensor[]) => Optimizer<BaseHyper>> = {
  SGD: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  Adam: (ps) => new Adam(ps, { lr: 0.05, amsgrad: true }),
  AdamW: (ps) => new AdamW(ps, { lr: 0.05 }),
  RMSprop: (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.3 }),
  Adagrad: (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.1 }),
};

for (const [name, make] of Object.entries(makers)) {
  test(`${name}: a state-dict round trip gives identical subsequent steps`, () => {
    const a = [param([1, -2, 3]), param([0.5])];
    const optA = make(a);
    const run = (ps: Tensor[], opt: Optimizer<BaseHyper>, g: number[]): void => {
      setGrad(ps[0]!, g);
      setGrad(ps[1]!, [g[0]! * 2]);
      opt.step();
    };
    for (const g of GRADS.slice(0, 3)) run(a, optA, g);
    const sd = optA.stateDict();
    const b = a.map((p) => p.clone().requiresGrad_());
    const optB = make(b);
    optB.loadStateDict(sd);
    // a snapshot is a copy: stepping A must not change it
    const snapshot = JSON.stringify(sd, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
    for (const g of GRADS.slice(3)) {
      run(a, optA, g);
      run(b, optB, g);
    }
    assert.deepEqual(Array.from(b[0]!.data), Array.from(a[0]!.data));
    assert.deepEqual(Array.from(b[1]!.data), Array.from(a[1]!.data));
    assert.equal(JSON.stringify(sd, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)), snapshot);
  });
}

test('loadStateDict checks the parameter count and sizes', () => {
  const p = param([1, 2]);
  const opt = new Adam([p], { lr: 0.1 });
  setGrad(p, [1, 1]);
  opt.step();
  const sd = opt.stateDict();
  assert.throws(() => new Adam([param([1, 2]), param([3])], { lr: 0.1 }).loadStateDict(sd), ValueError);
  assert.throws(() => new Adam([param([1, 2, 3])], { lr: 0.1 }).loadStateDict(sd), ShapeError);
  assert.throws(() => new Adam([{ params: [param([1, 2])] }, { params: [param([1])] }], { lr: 0.1 }).loadStateDict(sd), /2 parameter groups|1 parameter groups/);
});

test('param groups have their own lr, and loading restores hyper-parameters', () => {
  const a = param([1, 1]);
  const b = param([1, 1]);
  const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
  setGrad(a, [1, 2]);
  setGrad(b, [1, 2]);
  opt.step();
  assertClose(a.data, [0.9, 0.8]);
  assertClose(b.data, [0.5, 0]);
  const sd = opt.stateDict();
  assert.deepEqual(sd.paramGroups.map((g) => [g['lr'], g.params]), [[0.1, [0]], [0.5, [1]]]);
  const opt2 = new SGD([{ params: [a] }, { params: [b] }], { lr: 1 });
  opt2.loadStateDict(sd);
  assert.deepEqual(opt2.paramGroups.map((g) => g.lr), [0.1, 0.5]);
});

test('zeroGrad clears every gradient', () => {
  const a = param([1]);
  const b = param([2]);
  const opt = new RMSprop([a, b]);
  setGrad(a, [1]);
  setGrad(b, [1]);
  opt.zeroGrad();
  assert.equal(a.grad, null);
  assert.equal(b.grad, null);
});

test('loadStateDict checks everything before assigning: a bad lr or betas leaves the optimizer as it was', () => {
  const p = param([1, 2]);
  const opt = new Adam([p], { lr: 0.1 });
  setGrad(p, [1, 1]);
  opt.step();
  const good = opt.stateDict();
  const bad = (edit: (sd: ReturnType<typeof opt.stateDict>) => void): ReturnType<typeof opt.stateDict> => {
    const sd = opt.stateDict();
    edit(sd);
    return sd;
  };
  const cases: [ReturnType<typeof opt.stateDict>, RegExp][] = [
    [bad((sd) => { sd.paramGroups[0]!['lr'] = -1; }), /lr must be a finite non-negative number, got -1/],
    // the constructor rejects these betas, so loading must too
    [bad((sd) => { sd.paramGroups[0]!['betas'] = [2, 0.5]; }), /Adam: betas must be two numbers in \[0, 1\), got \[2,0\.5\]/],
    [bad((sd) => { sd.state['0']!['step'] = -3; }), /state 'step' of parameter 0 must be a non-negative integer, got -3/],
    [bad((sd) => { sd.state['0']!['step'] = 1.5; }), /must be a non-negative integer, got 1\.5/],
    [bad((sd) => { (sd.state as Record<string, unknown>)['0'] = null; }), /the state of parameter 0 must be an object/],
    [bad((sd) => { sd.state['0']!['expAvg'] = new Float64Array([NaN, 0]); }), /state 'expAvg' of parameter 0 holds NaN/],
    [bad((sd) => { sd.paramGroups[0]!.params = [-1]; }), /parameter id 0 of group 0 must be a non-negative integer, got -1/],
    [bad((sd) => { (sd.paramGroups[0]!.params as unknown[]) = ['__proto__']; }), /must be a non-negative integer, got "__proto__"/],
    [bad((sd) => { (sd.paramGroups as unknown[])[0] = null; }), /group 0 has no parameters in the state dict/],
  ];
  for (const [sd, re] of cases) {
    assert.throws(() => opt.loadStateDict(sd), (e: Error) => e instanceof ValueError && re.test(e.message), re.source);
    assert.equal(opt.paramGroups[0]!.lr, 0.1);
    assert.deepEqual(opt.paramGroups[0]!.betas, [0.9, 0.999]);
    assert.equal(opt.state.get(p)!['step'], 1);
  }
  opt.loadStateDict(good);
  assert.equal(opt.state.get(p)!['step'], 1);
});

test('setCheckNumerics covers optimizer.step: a non-finite gradient is not applied, a non-finite update is named', () => {
  setCheckNumerics(true);
  try {
    const p = param([1, 2]);
    const opt = new SGD([param([0]), p], { lr: 0.1 });
    setGrad(p, [0.5, NaN]);
    assert.throws(() => opt.step(), (e: Error) => e instanceof NumericsError
      && /^SGD\.step: the gradient of parameter 1 \(shape \[2\]\) holds NaN at flat index 1; the step was not applied/.test(e.message));
    assert.deepEqual(Array.from(p.data), [1, 2]);
    const big = new SGD([p], { lr: 1e308 });
    setGrad(p, [1e10, 0]);
    assert.throws(() => big.step(), (e: Error) => e instanceof NumericsError && /the update made parameter 0 \(shape \[2\]\) hold -Infinity at flat index 0/.test(e.message));
  } finally {
    setCheckNumerics(false);
  }
  // off: the same step goes through silently, as in PyTorch
  const q = param([1]);
  setGrad(q, [NaN]);
  new SGD([q], { lr: 0.1 }).step();
  assert.ok(Number.isNaN(q.data[0]!));
});
