import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, gradcheck, randn, ShapeError, tensor, ValueError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose, f64 } from './helpers.js';

const g = new Generator(8);

test('BatchNorm1d: batch statistics in train mode, running statistics after two steps', () => {
  const bn = new nn.BatchNorm1d(2).to('float64');
  // batch 1: mean [2, 4], biased var [1, 4], unbiased [2, 8]
  const y1 = bn.forward(f64([[1, 2], [3, 6]]));
  assertClose(y1, [-1, -1, 1, 1].map((v, i) => v / Math.sqrt((i % 2 ? 4 : 1) + 1e-5) * (i % 2 ? 2 : 1)), 1e-9);
  assertClose(bn.runningMean!, [0.2, 0.4], 1e-12);
  assertClose(bn.runningVar!, [0.9 + 0.2, 0.9 + 0.8], 1e-12);
  // batch 2: mean [2, 4], unbiased var [4, 16]
  bn.forward(f64([[0, 0], [2, 4], [4, 8]]));
  assertClose(bn.runningMean!, [0.38, 0.76], 1e-12);
  assertClose(bn.runningVar!, [0.9 * 1.1 + 0.4, 0.9 * 1.7 + 1.6], 1e-12);
  assert.equal(bn.numBatchesTracked, 2);
  // eval: normalized by the running statistics, and they stay put
  bn.eval();
  assertClose(bn.forward(f64([[1, 1]])), [(1 - 0.38) / Math.sqrt(1.39 + 1e-5), (1 - 0.76) / Math.sqrt(3.13 + 1e-5)], 1e-9);
  assertClose(bn.runningMean!, [0.38, 0.76], 1e-12);
  assert.equal(bn.numBatchesTracked, 2);
});

test('BatchNorm2d normalizes each channel over N, H, W and applies the affine', () => {
  const bn = new nn.BatchNorm2d(3).to('float64');
  bn.weight!.data.set([1, 2, 3]);
  bn.bias!.data.set([0, 1, -1]);
  const y = bn.forward(randn([4, 3, 2, 5], { dtype: 'float64', generator: g }));
  const per = [0, 1, 2].map((c) => y.sliceDim(1, c, c + 1));
  per.forEach((t, c) => {
    assertClose(t.mean(), [0, 1, -1][c]!, 1e-9);
    assertClose(t.var(undefined, { correction: 0 }), [1, 4, 9][c]! * (1 - 1e-5 / (1 + 1e-5)), 2e-4);
  });
});

test('BatchNorm momentum null gives a cumulative average; trackRunningStats false always uses batch stats', () => {
  const bn = new nn.BatchNorm1d(1, { momentum: null }).to('float64');
  bn.forward(f64([[0], [2]]));
  bn.forward(f64([[4], [6]]));
  assertClose(bn.runningMean!, [3], 1e-12);
  const free = new nn.BatchNorm1d(1, { trackRunningStats: false, affine: false });
  assert.deepEqual(free.namedBuffers(), []);
  assert.deepEqual(free.namedParameters(), []);
  free.eval();
  assertClose(free.forward(tensor([[1], [3]])), [-1, 1], 1e-4);
});

test('BatchNorm errors: wrong shape names the layer; a single value per channel in training', () => {
  assert.throws(() => new nn.BatchNorm2d(16).forward(randn([2, 8, 4, 4])), (e: unknown) =>
    e instanceof ShapeError && e.message === 'BatchNorm2d(16): expected input [N, 16, H, W], got [2,8,4,4]');
  assert.throws(() => new nn.BatchNorm1d(4).forward(randn([1, 4])), ValueError);
  const bn = new nn.BatchNorm1d(4);
  bn.eval();
  assert.deepEqual(bn.forward(randn([1, 4])).shape, [1, 4]);
});

test('LayerNorm normalizes the trailing dims of each sample', () => {
  const ln = new nn.LayerNorm(4).to('float64');
  const y = ln.forward(f64([[1, 2, 3, 4], [2, 2, 2, 6]]));
  const norm = (r: number[]): number[] => {
    const m = r.reduce((a, b) => a + b) / r.length;
    const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length;
    return r.map((x) => (x - m) / Math.sqrt(v + 1e-5));
  };
  assertClose(y, [...norm([1, 2, 3, 4]), ...norm([2, 2, 2, 6])], 1e-12);
  assert.deepEqual(new nn.LayerNorm([2, 3]).forward(randn([5, 2, 3])).shape, [5, 2, 3]);
  assert.throws(() => new nn.LayerNorm([2, 3]).forward(randn([5, 3, 2])), /LayerNorm\(2, 3\): expected input \[\.\.\., 2, 3\], got \[5,3,2\]/);
});

test('gradcheck: BatchNorm (train and eval) and LayerNorm, inputs and affine parameters', () => {
  const bn = new nn.BatchNorm2d(2).to('float64');
  const fn = (x: ReturnType<typeof randn>, w: ReturnType<typeof randn>, b: ReturnType<typeof randn>): ReturnType<typeof randn> => {
    bn.weight = w;
    bn.bias = b;
    return bn.forward(x);
  };
  assert.equal(gradcheck((x, w, b) => fn(x!, w!, b!), [randn([3, 2, 2, 2], { generator: g }), randn([2], { generator: g }), randn([2], { generator: g })]).passed, true);
  bn.eval();
  assert.equal(gradcheck((x, w, b) => fn(x!, w!, b!), [randn([2, 2, 2, 2], { generator: g }), randn([2], { generator: g }), randn([2], { generator: g })]).passed, true);
  const bn1 = new nn.BatchNorm1d(3).to('float64');
  assert.equal(gradcheck((x) => bn1.forward(x!), [randn([4, 3, 2], { generator: g })]).passed, true);
  assert.equal(gradcheck((x, w, b) => nn.F.layerNorm(x!, [2, 3], { weight: w!, bias: b! }),
    [randn([2, 2, 3], { generator: g }), randn([2, 3], { generator: g }), randn([2, 3], { generator: g })]).passed, true);
});
