import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adam, AdamW, Adagrad, RMSprop, SGD, type Optimizer, type BaseHyper } from '../../src/optim/index.js';
import { ShapeError, ValueError } from '../../src/errors.js';
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
