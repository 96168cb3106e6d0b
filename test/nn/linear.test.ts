import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, gradcheck, manualSeed, randn, ShapeError, Tensor } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose, f64 } from './helpers.js';

test('Linear computes x·Wᵀ + b over any leading dims', () => {
  const fc = new nn.Linear(3, 2).to('float64');
  fc.weight.data.set([1, 2, 3, -1, 0, 1]);
  fc.bias!.data.set([0.5, -0.5]);
  assertClose(fc.forward(f64([[1, 1, 1], [2, 0, -1]])), [6.5, -0.5, -0.5, -3.5], 1e-12);
  assert.deepEqual(fc.forward(randn([4, 5, 3], { dtype: 'float64' })).shape, [4, 5, 2]);
  assert.deepEqual(fc.forward(f64([1, 0, 0])).shape, [2]);
  assert.equal(new nn.Linear(3, 2, { bias: false }).bias, null);
  assert.deepEqual(new nn.Linear(3, 2, { bias: false }).namedParameters().map(([k]) => k), ['weight']);
});

test('Linear initializes as PyTorch: weight and bias in ±1/√in, reproducible under a seed', () => {
  const fc = new nn.Linear(400, 300);
  const bound = 1 / Math.sqrt(400);
  for (const p of [fc.weight, fc.bias!]) {
    const d = Array.from(p.data);
    assert.ok(d.every((v) => Math.abs(v) <= bound));
    assert.ok(Math.max(...d) > 0.9 * bound && Math.min(...d) < -0.9 * bound, 'fills the range');
  }
  manualSeed(5);
  const a = new nn.Linear(4, 3);
  manualSeed(5);
  const b = new nn.Linear(4, 3);
  assert.deepEqual(Array.from(a.weight.data), Array.from(b.weight.data));
  const c = new nn.Linear(4, 3, { generator: new Generator(5) });
  const d = new nn.Linear(4, 3, { generator: new Generator(5) });
  assert.deepEqual(Array.from(c.bias!.data), Array.from(d.bias!.data));
});

test('gradcheck: Linear with respect to input, weight and bias', () => {
  const fc = new nn.Linear(3, 2);
  assert.equal(gradcheck((x, w, b) => {
    fc.weight = w!;
    fc.bias = b!;
    return fc.forward(x!);
  }, [randn([4, 3]), randn([2, 3]), randn([2])]).passed, true);
});

test('Linear rejects a wrong input width, naming itself', () => {
  const fc = new nn.Linear(784, 256);
  assert.throws(() => fc.forward(randn([32, 100])), (e: unknown) =>
    e instanceof ShapeError && e.message === 'Linear(784→256): expected input [..., 784], got [32,100]');
  assert.throws(() => nn.F.linear(randn([2, 3]), randn([3])), /linear: weight must be 2-D/);
  assert.ok(nn.F.linear(randn([2, 3]), randn([4, 3])) instanceof Tensor);
});
