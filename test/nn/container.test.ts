import test from 'node:test';
import assert from 'node:assert/strict';
import { gradcheck, randn, nn as topLevel, ValueError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from './helpers.js';

test('Sequential runs layers in order and can be indexed, iterated and extended', () => {
  const a = new nn.Linear(3, 4), b = new nn.Linear(4, 2);
  const seq = new nn.Sequential(a, new nn.Tanh());
  seq.append(b);
  assert.equal(seq.length, 3);
  assert.equal(seq.at(-1), b);
  assert.deepEqual([...seq].map((m) => m.label()), ['Linear(3→4)', 'Tanh', 'Linear(4→2)']);
  assert.deepEqual([...seq].map((m) => m.toString()), ['Linear(inFeatures=3, outFeatures=4, bias=true)', 'Tanh()', 'Linear(inFeatures=4, outFeatures=2, bias=true)']);
  const x = randn([5, 3]);
  assertClose(seq.forward(x), b.forward(a.forward(x).tanh()).data, 0);
  assert.equal(seq.call(x).shape[1], 2);
});

test('the package exports this namespace as nn, with F as functional', () => {
  assert.equal(topLevel.Linear, nn.Linear);
  assert.equal(topLevel.F.crossEntropy, nn.functional.crossEntropy);
});

test('Flatten keeps the batch dim by default', () => {
  assert.deepEqual(new nn.Flatten().forward(randn([2, 3, 4, 5])).shape, [2, 60]);
  assert.deepEqual(new nn.Flatten(0, 1).forward(randn([2, 3, 4])).shape, [6, 4]);
});

test('a small CNN classifier composes and differentiates end to end', () => {
  const net = new nn.Sequential(
    new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Dropout(0.1), new nn.Linear(2 * 2 * 2, 3),
  ).to('float64');
  net.eval(); // deterministic (no dropout mask, running statistics)
  const params = net.parameters();
  assert.equal(params.length, 6);
  const owners = new Map(net.namedModules());
  const names = net.namedParameters().map(([k]) => k);
  assert.equal(gradcheck((x, ...ps) => {
    // swap each parameter for gradcheck's float64 copy, so gradients reach it
    names.forEach((name, i) => {
      const cut = name.lastIndexOf('.');
      (owners.get(name.slice(0, cut)) as unknown as Record<string, unknown>)[name.slice(cut + 1)] = ps[i];
    });
    return net.forward(x!);
  }, [randn([2, 1, 4, 4], { dtype: 'float64' }), ...params]).passed, true);
});

test('activation layers apply their functions', () => {
  const x = randn([2, 3]);
  const cases: [nn.Module, (v: number) => number][] = [
    [new nn.ReLU(), (v) => Math.max(v, 0)],
    [new nn.Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
    [new nn.Tanh(), Math.tanh],
    [new nn.LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v)],
    [new nn.Softplus(), (v) => Math.log1p(Math.exp(v))],
    [new nn.Identity(), (v) => v],
  ];
  for (const [m, f] of cases) assertClose(m.forward(x), Array.from(x.data, f), 1e-6, m.toString());
  const gelu = new nn.GELU().forward(x);
  assertClose(gelu.div(x), Array.from(new nn.Sigmoid().forward(x.mul(1.702)).data), 0.03, 'GELU ≈ x·σ(1.702x)');
  const sm = new nn.Softmax(1).forward(x);
  assertClose(sm.sum(1), [1, 1], 1e-6);
  assertClose(new nn.LogSoftmax(1).forward(x).exp(), sm.data, 1e-6);
  for (const m of [new nn.ReLU(), new nn.GELU(), new nn.Softmax(0), new nn.Tanh(), new nn.Sigmoid()]) {
    assert.equal(gradcheck((t) => m.forward(t!), [randn([3, 4]).add(0.05)]).passed, true, m.toString());
  }
});

test('Sequential rejects anything that is not a Module when built, not at forward', () => {
  for (const bad of [{}, null, undefined, [new nn.ReLU()], 3]) {
    assert.throws(() => new nn.Sequential(bad as never), (e: Error) => e instanceof ValueError && /^Sequential: argument 0 is not a Module \(got /.test(e.message), String(bad));
  }
  assert.throws(() => new nn.Sequential(new nn.ReLU(), null as never), /argument 1 is not a Module \(got null\)/);
  assert.throws(() => new nn.Sequential().append({} as never), (e: Error) => e instanceof ValueError && /Sequential\.append is not a Module/.test(e.message));
});

test('Linear then an activation in a Sequential applies the activation when input and weights differ in dtype', () => {
  const linear = new nn.Linear(3, 4);
  const x = randn([5, 3], { dtype: 'float64' });
  for (const [act, fn] of [[new nn.ReLU(), 'relu'], [new nn.Tanh(), 'tanh']] as const) {
    const y = new nn.Sequential(linear, act).forward(x);
    assert.equal(y.dtype, 'float64');
    assertClose(y, linear.forward(x)[fn]().data, 1e-12, fn);
  }
});
