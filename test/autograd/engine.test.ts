import test from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor, randn, Generator, noGrad, grad, valueAndGrad, setCheckNumerics, autogradGrad, Tensor,
  AutogradError, ShapeError, NumericsError, DTypeError, matmul, sigmoid, gradcheck,
} from '../../src/index.js';

const f64 = (shape: number[], seed: number): Tensor => randn(shape, { dtype: 'float64', generator: new Generator(seed) });

test('backward accumulates into leaves; several paths add up', () => {
  const x = tensor([2, 3], { requiresGrad: true });
  // x feeds y twice: dy/dx = 2x + 1
  const y = x.mul(x).add(x).sum();
  y.backward();
  assert.deepEqual(Array.from(x.grad!.data), [5, 7]);
  // a second graph accumulates, as in PyTorch
  x.mul(3).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data), [8, 10]);
  x.zeroGrad();
  assert.equal(x.grad, null);
});

test('a broadcast input gets its gradient summed back to its shape', () => {
  const w = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const b = tensor([10, 20, 30], { requiresGrad: true });
  const s = tensor(2, { requiresGrad: true });
  w.add(b).mul(s).sum().backward();
  assert.deepEqual(b.grad!.shape, [3]);
  assert.deepEqual(Array.from(b.grad!.data), [4, 4, 4]);
  assert.deepEqual(s.grad!.shape, []);
  assert.equal(s.grad!.item(), 21 + 120);
});

test('backward(gradient) for a non-scalar, and the error without one', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(2);
  assert.throws(() => y.backward(), (e: unknown) => e instanceof AutogradError && /only for a scalar output.*shape \[3\]/.test((e as Error).message));
  y.backward(tensor([1, 0, -1]));
  assert.deepEqual(Array.from(x.grad!.data), [2, 0, -2]);
  assert.throws(() => x.mul(2).backward(tensor([1, 2])), ShapeError);
});

test('a second backward needs retainGraph', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.exp().sum();
  y.backward();
  assert.throws(() => y.backward(), (e: unknown) => e instanceof AutogradError && /second time.*retainGraph/.test((e as Error).message));
  const z = x.exp().sum();
  z.backward({ retainGraph: true });
  z.backward();
  const e = Array.from(x.data).map(Math.exp);
  // 1 (first y) + 2 (z twice) contributions of e^x
  assert.ok(Math.abs(x.grad!.data[0]! - 3 * e[0]!) < 1e-5);
});

test('buffers saved for backward are released after backward', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.sigmoid().mul(x).sum();
  const node = y.node!;
  y.backward();
  assert.equal(node.released, true);
  assert.equal(node.inputs.length, 0);
});

test('backward on a tensor without a graph is an AutogradError', () => {
  assert.throws(() => tensor([1]).sum().backward(), AutogradError);
});

test('noGrad and detach stop the graph', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = noGrad(() => x.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.node, null);
  const z = x.detach().mul(2);
  assert.equal(z.requiresGrad, false);
  x.mul(x.detach()).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data), [1, 2]);
});

test('a chain of 100,000 ops does not overflow the stack', () => {
  const x = tensor(1, { requiresGrad: true, dtype: 'float64' });
  let y = x;
  for (let i = 0; i < 100_000; i++) y = y.mul(1.00001);
  y.backward();
  assert.ok(Math.abs(x.grad!.item() - Math.pow(1.00001, 100_000)) < 1e-6);
});

test('second derivative: d²/dx² of x³ is 6x', () => {
  const x = tensor([2, -1, 0.5], { requiresGrad: true, dtype: 'float64' });
  const y = x.pow(3).sum();
  const [dx] = autogradGrad(y, [x], { createGraph: true });
  assert.deepEqual(Array.from(dx!.data), [12, 3, 0.75]);
  dx!.sum().backward();
  assert.deepEqual(Array.from(x.grad!.data), [12, -6, 3]);
  // the same through the functional API
  const d2 = grad((t: Tensor) => grad((u: Tensor) => u.pow(3).sum())(t).sum())(tensor([2], { dtype: 'float64' }));
  assert.deepEqual(Array.from(d2.data), [12]);
});

test('Hessian-vector product of a small MLP matches finite differences of gradients', () => {
  const x = f64([5, 3], 1);
  const params = { w1: f64([4, 3], 2), b1: f64([4], 3), w2: f64([2, 4], 4) };
  const loss = (p: typeof params): Tensor => matmul(sigmoid(matmul(x, p.w1.T).add(p.b1)).tanh(), p.w2.T).pow(2).mean();
  const v = { w1: f64([4, 3], 5), b1: f64([4], 6), w2: f64([2, 4], 7) };
  // Hv = d/dθ (∇L(θ) · v), by double backprop
  const gv = (p: typeof params): Tensor => {
    const g = grad(loss)(p);
    return g.w1.mul(v.w1).sum().add(g.b1.mul(v.b1).sum()).add(g.w2.mul(v.w2).sum());
  };
  const hv = grad(gv)(params);
  // finite differences of the gradient along v
  const eps = 1e-5;
  const shifted = (s: number) => grad(loss)({
    w1: params.w1.add(v.w1.mul(s)), b1: params.b1.add(v.b1.mul(s)), w2: params.w2.add(v.w2.mul(s)),
  });
  const gp = shifted(eps), gm = shifted(-eps);
  for (const k of ['w1', 'b1', 'w2'] as const) {
    const fd = gp[k].sub(gm[k]).div(2 * eps);
    const err = fd.sub(hv[k]).abs().max().item();
    assert.ok(err < 1e-6, `${k}: Hv error ${err}`);
  }
});

test('valueAndGrad over an array and an object of tensors', () => {
  const [value, g] = valueAndGrad((p: Tensor[]) => p[0]!.mul(p[1]!).sum())([tensor([1, 2]), tensor([3, 4])]);
  assert.equal(value.item(), 11);
  assert.deepEqual(Array.from(g[0]!.data), [3, 4]);
  assert.deepEqual(Array.from(g[1]!.data), [1, 2]);
  const go = grad((p: { a: Tensor; b: { c: Tensor } }) => p.a.mul(p.b.c).sum())({ a: tensor([2]), b: { c: tensor([5]) } });
  assert.deepEqual(Array.from(go.a.data), [5]);
  assert.deepEqual(Array.from(go.b.c.data), [2]);
  // the originals are not touched
  const t = tensor([1]);
  grad((u: Tensor) => u.mul(2).sum())(t);
  assert.equal(t.grad, null);
  assert.throws(() => grad((u: Tensor) => u.sum())(tensor([1], { dtype: 'int32' })), DTypeError);
});

test('retainGrad keeps a non-leaf gradient', () => {
  const x = tensor([1, -1], { requiresGrad: true });
  const z = x.mul(2).retainGrad();
  z.sigmoid().sum().backward();
  const s = 1 / (1 + Math.exp(-2));
  assert.ok(Math.abs(z.grad!.data[0]! - s * (1 - s)) < 1e-6);
});

test('setCheckNumerics names the op that produced a non-finite value', () => {
  setCheckNumerics(true);
  try {
    assert.throws(() => tensor([1, 0]).log(), (e: unknown) => e instanceof NumericsError && /^log: produced -Infinity/.test((e as Error).message));
    assert.throws(() => tensor([-1]).sqrt(), /sqrt: produced NaN/);
  } finally {
    setCheckNumerics(false);
  }
  assert.equal(tensor([0]).log().item(), -Infinity);
});

test('requiresGrad cannot be turned off on a non-leaf', () => {
  const y = tensor([1], { requiresGrad: true }).mul(2);
  assert.throws(() => { y.requiresGrad = false; }, AutogradError);
});

test('gradcheck on a composite function of several inputs', () => {
  const r = gradcheck((a, b) => a!.matmul(b!).softmax().log().sum(), [f64([2, 3], 8), f64([3, 2], 9)]);
  assert.equal(r.passed, true);
  assert.equal(r.inputs.length, 2);
  assert.ok(r.inputs.every((i) => i.maxAbsError < 1e-6));
});
