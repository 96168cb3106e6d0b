import test from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, gradcheck, randn, rand, randint, tensor, Generator, setCheckNumerics, NumericsError, ValueError, ShapeError, DTypeError, logSoftmax, sigmoid,
} from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import { assertClose, f64 } from './helpers.js';

const g = new Generator(11);
const int = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'int32' });
const reductions = ['mean', 'sum', 'none'] as const;

/** Reference cross-entropy of one row, straight from the definition. */
function refCE(z: number[], t: number, eps = 0, w?: number[]): number {
  const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
  const c = z.length;
  let loss = (1 - eps) * (w ? w[t]! : 1) * (lse - z[t]!);
  for (let k = 0; k < c; k++) loss += (eps / c) * (w ? w[k]! : 1) * (lse - z[k]!);
  return loss;
}

test('crossEntropy of known logits, each reduction', () => {
  const z = [[1, 2, 3], [1, -1, 0.5]];
  const t = [2, 0];
  const rows = [refCE(z[0]!, 2), refCE(z[1]!, 0)];
  assertClose(rows[0]!, Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3, 1e-12);
  assertClose(F.crossEntropy(f64(z), int(t), { reduction: 'none' }), rows, 1e-12);
  assertClose(F.crossEntropy(f64(z), int(t), { reduction: 'sum' }), rows[0]! + rows[1]!, 1e-12);
  assertClose(F.crossEntropy(f64(z), int(t)), (rows[0]! + rows[1]!) / 2, 1e-12);
  // unbatched: logits [C] with a scalar target
  assertClose(F.crossEntropy(f64(z[0]!), tensor(2, { dtype: 'int32' }), { reduction: 'none' }), rows[0]!, 1e-12);
  // float32 agrees to float32 precision
  assertClose(F.crossEntropy(tensor(z), int(t)), (rows[0]! + rows[1]!) / 2, 1e-6);
});

test('crossEntropy with label smoothing, class weights and ignoreIndex matches PyTorch\'s formula', () => {
  const z = [[0.2, -1, 2], [3, 0, 0], [1, 1, 1], [-2, 0.5, 0]];
  const t = [2, 0, 1, 1];
  const w = [0.5, 2, 1];
  const eps = 0.1;
  const rows = z.map((r, i) => (t[i] === 0 ? 0 : refCE(r, t[i]!, eps, w))); // target 0 ignored
  const opts = { labelSmoothing: eps, weight: tensor(w, { dtype: 'float64' }), ignoreIndex: 0 };
  assertClose(F.crossEntropy(f64(z), int(t), { ...opts, reduction: 'none' }), rows, 1e-12);
  // the mean divides by the summed weights of the counted targets
  const denom = w[2]! + w[1]! + w[1]!;
  assertClose(F.crossEntropy(f64(z), int(t), opts), rows.reduce((a, b) => a + b) / denom, 1e-12);
});

test('crossEntropy over [N, C, d] logits equals the per-position loss', () => {
  const z = randn([2, 3, 4], { dtype: 'float64', generator: g });
  const t = randint(0, 3, [2, 4], { generator: g });
  const out = F.crossEntropy(z, t, { reduction: 'none' });
  assert.deepEqual(out.shape, [2, 4]);
  const zz = z.toArray() as number[][][];
  const expected: number[] = [];
  for (let n = 0; n < 2; n++) for (let d = 0; d < 4; d++) expected.push(refCE([0, 1, 2].map((c) => zz[n]![c]![d]!), t.data[n * 4 + d]!));
  assertClose(out, expected, 1e-12);
});

test('crossEntropy stays finite for huge logits, and so does its gradient', () => {
  const z = tensor([[1e4, 0, -1e4], [0, 1e4, 1e4]], { requiresGrad: true });
  const loss = F.crossEntropy(z, int([2, 0]), { reduction: 'none' });
  assertClose(loss, [2e4, 1e4 + Math.log(2)], 1e-2);
  loss.sum().backward();
  assert.ok(Array.from(z.grad!.data).every(Number.isFinite));
  assertClose(z.grad!, [1, 0, -1, -1, 0.5, 0.5], 1e-6);
});

test('crossEntropy gradient is softmax − smoothed one-hot', () => {
  const z = tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
  F.crossEntropy(z, int([0]), { labelSmoothing: 0.3 }).backward();
  const e = [1, 2, 3].map(Math.exp);
  const s = e.reduce((a, b) => a + b);
  assertClose(z.grad!, [e[0]! / s - (0.7 + 0.1), e[1]! / s - 0.1, e[2]! / s - 0.1], 1e-12);
});

test('crossEntropy accepts class probabilities as float targets', () => {
  const z = f64([[1, 2, 3], [0, 0, 1]]);
  const p = f64([[0, 0, 1], [1, 0, 0]]);
  assertClose(F.crossEntropy(z, p), F.crossEntropy(z, int([2, 0])).item(), 1e-12);
  const smoothedHard = F.crossEntropy(z, int([2, 0]), { labelSmoothing: 0.2 }).item();
  assertClose(F.crossEntropy(z, p, { labelSmoothing: 0.2 }), smoothedHard, 1e-12);
});

test('crossEntropy rejects out-of-range and non-int32 targets, naming the loss, label and class count', () => {
  assert.throws(() => F.crossEntropy(randn([2, 10]), int([3, 10])), (e: unknown) =>
    e instanceof ValueError && /crossEntropy: target 10 \(at index 1\) is out of range for 10 classes/.test(e.message));
  assert.throws(() => F.crossEntropy(randn([2, 10]), int([-1, 0])), /target -1/);
  assert.throws(() => F.crossEntropy(randn([2, 10]), tensor([1, 2])), DTypeError);
  assert.throws(() => F.crossEntropy(randn([2, 10]), int([1, 2, 3])), ShapeError);
  assert.throws(() => F.nllLoss(randn([2, 4]), int([4, 0])), /nllLoss: target 4 .* 4 classes/);
});

test('NaN logits propagate, or raise a NumericsError naming the loss when checkNumerics is on', () => {
  const z = tensor([[NaN, 1], [0, 1]]);
  assert.ok(Number.isNaN(F.crossEntropy(z, int([0, 1])).item()));
  setCheckNumerics(true);
  try {
    assert.throws(() => F.crossEntropy(z, int([0, 1])), (e: unknown) => e instanceof NumericsError && /crossEntropy: logits contains NaN at flat index 0/.test(e.message));
    assert.throws(() => F.mse(tensor([1, NaN]), tensor([0, 0])), /mse: input contains NaN/);
  } finally {
    setCheckNumerics(false);
  }
});

test('nllLoss of logSoftmax equals crossEntropy, weights and ignoreIndex included', () => {
  const z = randn([5, 4, 2], { dtype: 'float64', generator: g });
  const t = int([[0, 3], [1, 1], [2, -100], [3, 0], [1, 2]]);
  const w = tensor([1, 0.5, 2, 1.5], { dtype: 'float64' });
  for (const reduction of reductions) {
    const a = F.nllLoss(logSoftmax(z, 1), t, { weight: w, reduction });
    const b = F.crossEntropy(z, t, { weight: w, reduction });
    assertClose(a, b.data, 1e-12, reduction);
  }
});

test('mse, l1 and binary cross-entropies against their definitions', () => {
  const x = [0.2, 0.9, 0.5, 0.01];
  const y = [0, 1, 1, 0];
  const mean = (v: number[]): number => v.reduce((a, b) => a + b) / v.length;
  assertClose(F.mse(f64(x), f64(y)), mean(x.map((v, i) => (v - y[i]!) ** 2)), 1e-12);
  assertClose(F.l1(f64(x), f64(y), { reduction: 'sum' }), x.reduce((s, v, i) => s + Math.abs(v - y[i]!), 0), 1e-12);
  const bce = x.map((p, i) => -(y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p)));
  assertClose(F.binaryCrossEntropy(f64(x), f64(y), { reduction: 'none' }), bce, 1e-12);
  // logits version: same value from z = logit(p)
  const z = x.map((p) => Math.log(p / (1 - p)));
  assertClose(F.binaryCrossEntropyWithLogits(f64(z), f64(y), { reduction: 'none' }), bce, 1e-9);
  // pos_weight scales the positive term only
  const pw = 3;
  const weighted = x.map((p, i) => -(pw * y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p)));
  assertClose(F.binaryCrossEntropyWithLogits(f64(z), f64(y), { reduction: 'none', posWeight: f64([pw]) }), weighted, 1e-9);
  // int targets are accepted
  assertClose(F.binaryCrossEntropy(f64(x), int(y)), mean(bce), 1e-12);
});

test('binaryCrossEntropy clamps the log at −100; the logits form is stable for huge logits', () => {
  const p = tensor([0, 1, 0.5], { requiresGrad: true });
  const loss = F.binaryCrossEntropy(p, tensor([1, 0, 1]), { reduction: 'none' });
  assertClose(loss, [100, 100, Math.LN2], 1e-5);
  loss.sum().backward();
  assert.ok(Array.from(p.grad!.data).every(Number.isFinite));
  assert.throws(() => F.binaryCrossEntropy(tensor([1.5]), tensor([1])), /probabilities in \[0, 1\], got 1.5/);
  const z = tensor([1e4, -1e4, 1e4], { requiresGrad: true });
  const l = F.binaryCrossEntropyWithLogits(z, tensor([1, 0, 0]), { reduction: 'none' });
  assertClose(l, [0, 0, 1e4], 1e-3);
  l.sum().backward();
  assertClose(z.grad!, [0, 0, 1], 1e-6);
});

test('elementwise losses reject mismatched shapes with a hint', () => {
  assert.throws(() => F.mse(randn([4, 1]), randn([4])), (e: unknown) => e instanceof ShapeError && /mse: input \[4,1\] and target \[4\] must have the same shape \(reshape/.test(e.message));
  assert.throws(() => F.mse(randn([2]), randn([2]), { reduction: 'avg' as 'mean' }), /reduction must be/);
});

test('gradcheck: every loss under every reduction', () => {
  const n = 4, c = 3;
  const t = randint(0, c, [n], { generator: g });
  const y01 = rand([n, 2], { dtype: 'float64', generator: g });
  const probs = () => rand([n, 2], { dtype: 'float64', generator: g }).mul(0.8).add(0.1);
  for (const reduction of reductions) {
    const cases: [string, (...xs: Tensor[]) => Tensor, Tensor[]][] = [
      ['crossEntropy', (z) => F.crossEntropy(z!, t, { reduction }), [randn([n, c], { dtype: 'float64', generator: g })]],
      ['crossEntropy smoothed', (z) => F.crossEntropy(z!, t, { reduction, labelSmoothing: 0.25 }), [randn([n, c], { dtype: 'float64', generator: g })]],
      ['crossEntropy probs', (z, p) => F.crossEntropy(z!, p!.softmax(1), { reduction, labelSmoothing: 0.1 }), [randn([n, c], { dtype: 'float64', generator: g }), randn([n, c], { dtype: 'float64', generator: g })]],
      ['nllLoss', (z) => F.nllLoss(z!, t, { reduction, weight: f64([1, 2, 0.5]) }), [randn([n, c], { dtype: 'float64', generator: g })]],
      ['mse', (a, b) => F.mse(a!, b!, { reduction }), [randn([n, 2], { dtype: 'float64', generator: g }), randn([n, 2], { dtype: 'float64', generator: g })]],
      ['l1', (a, b) => F.l1(a!, b!, { reduction }), [randn([n, 2], { dtype: 'float64', generator: g }), randn([n, 2], { dtype: 'float64', generator: g }).add(5)]],
      ['binaryCrossEntropy', (p, y) => F.binaryCrossEntropy(p!, y!, { reduction, weight: f64([0.5, 2]) }), [probs(), y01]],
      ['binaryCrossEntropyWithLogits', (z, y) => F.binaryCrossEntropyWithLogits(z!, y!, { reduction, posWeight: f64([2, 0.5]) }), [randn([n, 2], { dtype: 'float64', generator: g }).mul(3), y01]],
    ];
    for (const [name, fn, inputs] of cases) {
      assert.equal(gradcheck(fn, inputs).passed, true, `${name} (${reduction})`);
    }
  }
});

test('crossEntropy supports second derivatives through its rule', () => {
  const z = tensor([[0.3, -0.2, 1]], { dtype: 'float64', requiresGrad: true });
  // d²/dz² of the loss is the softmax Jacobian diag(p) − ppᵀ; check one entry via grad of grad
  const loss = F.crossEntropy(z, int([1]));
  loss.backward({ createGraph: true });
  const gz = z.grad!;
  z.grad = null;
  gz.sliceDim(1, 0, 1).sum().backward();
  const e = [0.3, -0.2, 1].map(Math.exp);
  const s = e.reduce((a, b) => a + b);
  const p = e.map((v) => v / s);
  assertClose(z.grad!, [p[0]! - p[0]! * p[0]!, -p[0]! * p[1]!, -p[0]! * p[2]!], 1e-12);
});

test('sigmoid then binaryCrossEntropy equals the logits form', () => {
  const z = randn([6], { dtype: 'float64', generator: g });
  const y = rand([6], { dtype: 'float64', generator: g });
  assertClose(F.binaryCrossEntropy(sigmoid(z), y), F.binaryCrossEntropyWithLogits(z, y).item(), 1e-12);
});
