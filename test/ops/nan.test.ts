import test from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor, nn, listBackends, setBackend, getBackend, relu, sigmoid, tanh, gelu, elu, leakyRelu, softplus, exp, log, sqrt, abs,
  erf, neg, clamp, maximum, minimum, pow, max, min, sum, mean, variance, logSumExp, softmax, logSoftmax, argmax, matmul,
  conv2d, ones, zerosLike, type Tensor,
} from '../../src/index.js';

/**
 * NaN must propagate through every op as it does in PyTorch: a diverged weight has to show up in
 * the output and the loss, never hide behind relu(NaN) = 0 or a max that skips it. Each case is
 * run on every registered backend at sizes that take both the plain and the vectorised kernels
 * (the wasm maps start at 256 elements), with NaN at an aligned and at a tail position.
 */

const SIZES = [7, 300, 1031];

/** Values -3..3 with NaN at index 5 and at the last index. */
function withNaN(n: number): Tensor {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (i % 7) - 3;
  a[5] = NaN;
  a[n - 1] = NaN;
  return tensor(a);
}

/** Linear(1, 1) with weight 1 and bias 0 then `act`, so the fused bias + activation path runs. */
function fusedLayer(act: nn.Module, x: Tensor): Tensor {
  const lin = new nn.Linear(1, 1);
  lin.weight.data[0] = 1;
  lin.bias!.data[0] = 0;
  return new nn.Sequential(lin, act).forward(x.reshape([x.size, 1])).reshape([x.size]);
}

const ELEMENTWISE: Record<string, (x: Tensor) => Tensor> = {
  relu, sigmoid, tanh, gelu, elu: (x) => elu(x), leakyRelu: (x) => leakyRelu(x), softplus, exp, log, sqrt, abs, erf, neg,
  clamp: (x) => clamp(x, -1, 1), clampMin: (x) => clamp(x, 0), clampMax: (x) => clamp(x, null, 0),
  maximumLeft: (x) => maximum(x, 0), maximumRight: (x) => maximum(zerosLike(x), x),
  minimumLeft: (x) => minimum(x, 0), minimumRight: (x) => minimum(zerosLike(x), x),
  powScalar: (x) => pow(x, 2), powTensor: (x) => pow(ones(x.shape).mul(2), x),
  linearRelu: (x) => fusedLayer(new nn.ReLU(), x), linearSigmoid: (x) => fusedLayer(new nn.Sigmoid(), x),
  linearTanh: (x) => fusedLayer(new nn.Tanh(), x), linearGelu: (x) => fusedLayer(new nn.GELU(), x),
  reluModule: (x) => new nn.ReLU().forward(x), dropout: (x) => nn.F.dropout(x, 0.5, { training: true }),
};

/** Row reductions of [3, n/3]: a row holding a NaN must reduce to NaN. */
const ROW_REDUCTIONS: Record<string, (y: Tensor) => Tensor> = {
  max: (y) => max(y, 1), min: (y) => min(y, 1), sum: (y) => sum(y, 1), mean: (y) => mean(y, 1), variance: (y) => variance(y, 1),
  logSumExp: (y) => logSumExp(y, 1), softmax: (y) => softmax(y, 1).sum(1), logSoftmax: (y) => logSoftmax(y, 1).sum(1),
  maxKeepdim: (y) => max(y, 1, true).reshape([3]), maxOverRows: (y) => max(y.transpose(0, 1), 0),
};

function eachBackend(fn: (backend: string) => void): void {
  const prev = getBackend().name;
  try {
    for (const name of listBackends()) {
      setBackend(name);
      fn(name);
    }
  } finally {
    setBackend(prev);
  }
}

test('every elementwise op and activation passes NaN through, on every backend', () => {
  eachBackend((backend) => {
    for (const n of SIZES) {
      const x = withNaN(n);
      for (const [name, f] of Object.entries(ELEMENTWISE)) {
        const y = f(x);
        for (const i of [5, n - 1]) assert.ok(Number.isNaN(y.data[i]!), `${backend}: ${name}(NaN) at [${i}] of ${n} gave ${y.data[i]}`);
        // and the finite inputs stay finite where PyTorch keeps them so
        if (name === 'relu') assert.equal(y.data[0], 0, `${backend}: relu(-3)`);
      }
    }
  });
});

test('reductions, softmax and arg-max see a NaN in their row', () => {
  eachBackend((backend) => {
    for (const n of [21, 300]) {
      // NaN at 5 (row 0) and n-1 (row 2); row 1 is finite
      const y = withNaN(n).reshape([3, n / 3]);
      for (const [name, f] of Object.entries(ROW_REDUCTIONS)) {
        const r = f(y);
        assert.ok(Number.isNaN(r.data[0]!) && Number.isNaN(r.data[2]!), `${backend}: ${name} of a row with NaN gave ${Array.from(r.data)}`);
        assert.ok(Number.isFinite(r.data[1]!), `${backend}: ${name} of a finite row gave ${r.data[1]}`);
      }
      // the index of the NaN, as torch.argmax gives
      assert.deepEqual(Array.from(argmax(y, 1).data).filter((_, i) => i !== 1), [5, n / 3 - 1], backend);
      assert.ok(Number.isNaN(max(y).item()), `${backend}: max over all`);
    }
  });
});

test('matmul, conv2d, pooling and the losses propagate NaN', () => {
  eachBackend((backend) => {
    const a = withNaN(64 * 64).reshape([64, 64]);
    const prod = matmul(a, ones([64, 64]));
    // a NaN in row r of a spoils all of row r of the product, and nothing else
    for (let r = 0; r < 64; r++) {
      const nans = Array.from(prod.data.subarray(r * 64, (r + 1) * 64)).filter(Number.isNaN).length;
      assert.equal(nans, r === 0 || r === 63 ? 64 : 0, `${backend}: matmul row ${r}`);
    }
    const img = withNaN(2 * 8 * 8).reshape([2, 1, 8, 8]);
    const countNaN = (t: Tensor): number => Array.from(t.data).filter(Number.isNaN).length;
    // pixel (0,5) of image 0 and (7,7) of image 1: one 2x2 window each; 3 + 1 valid 3x3 windows
    assert.equal(countNaN(nn.F.maxPool2d(img, 2)), 2, `${backend}: maxPool2d`);
    assert.equal(countNaN(nn.F.avgPool2d(img, 2)), 2, `${backend}: avgPool2d`);
    assert.equal(countNaN(conv2d(img, ones([1, 1, 3, 3]))), 4, `${backend}: conv2d`);
    const logits = tensor([[NaN, 1, 2], [0, 1, 2]]);
    const ce = nn.F.crossEntropy(logits, tensor([1, 1], { dtype: 'int32' }), { reduction: 'none' });
    assert.ok(Number.isNaN(ce.data[0]!) && Number.isFinite(ce.data[1]!), `${backend}: crossEntropy ${Array.from(ce.data)}`);
    assert.ok(Number.isNaN(nn.F.mse(tensor([NaN, 1]), tensor([1, 1])).item()), `${backend}: mse`);
    assert.ok(Number.isNaN(nn.F.layerNorm(tensor([[NaN, 1, 2]]), [3]).data[1]!), `${backend}: layerNorm`);
  });
});

test('relu passes the gradient at NaN on, as torch threshold_backward does', () => {
  eachBackend((backend) => {
    const x = tensor([NaN, 1, -1], { requiresGrad: true });
    relu(x).sum().backward();
    assert.deepEqual(Array.from(x.grad!.data), [1, 1, 0], backend);
    // the fused Linear + ReLU backward takes the same rule
    const lin = new nn.Linear(1, 1);
    lin.weight.data[0] = 1;
    lin.bias!.data[0] = 0;
    const z = tensor([[NaN], [2], [-2]], { requiresGrad: true });
    new nn.Sequential(lin, new nn.ReLU()).forward(z).sum().backward();
    assert.deepEqual(Array.from(z.grad!.data), [1, 1, 0], backend);
  });
});

test('the layers\' compositions propagate NaN: conv1d, convTranspose2d, groupNorm, pad, interpolate, the robust losses', () => {
  eachBackend((backend) => {
    const countNaN = (t: Tensor): number => Array.from(t.data).filter(Number.isNaN).length;
    // one NaN pixel at (row 1, col 1) of channel 0
    const img = ones([1, 2, 6, 6]);
    img.data[7] = NaN;
    const seq = ones([1, 2, 8]);
    seq.data[3] = NaN;
    const v = tensor([[1, NaN, 2, 3], [1, 2, 3, 4]]);
    // the counts PyTorch 1.13 gives for the same inputs
    assert.equal(countNaN(nn.F.conv1d(seq, ones([1, 2, 3]))), 3, `${backend}: conv1d`);
    assert.equal(countNaN(nn.F.convTranspose2d(img, ones([2, 1, 3, 3]))), 9, `${backend}: convTranspose2d`);
    assert.equal(countNaN(nn.F.groupNorm(img, 2)), 36, `${backend}: groupNorm`);
    assert.equal(countNaN(nn.F.pad(img, [1, 1, 1, 1], { mode: 'reflect' })), 4, `${backend}: pad reflect`);
    assert.equal(countNaN(nn.F.interpolate(img, { scaleFactor: 2, mode: 'nearest' })), 4, `${backend}: interpolate nearest`);
    // a NaN in a row makes its norm NaN; it used to count as a zero norm, and gave 1e12s
    assert.equal(countNaN(nn.F.normalize(v)), 4, `${backend}: normalize`);
    assert.deepEqual(Array.from(nn.F.cosineSimilarity(v, ones([2, 4])).data, Number.isNaN), [true, false], `${backend}: cosineSimilarity`);
    // binaryCrossEntropy clamps log(q) at −100, as PyTorch, but log(NaN) stays NaN there too
    const bce = nn.F.binaryCrossEntropy(tensor([NaN, 0.5, 0]), tensor([1, 1, 1]), { reduction: 'none' });
    assert.ok(Number.isNaN(bce.data[0]!) && Number.isFinite(bce.data[1]!), `${backend}: binaryCrossEntropy ${Array.from(bce.data)}`);
    assert.equal(bce.data[2], 100, `${backend}: binaryCrossEntropy keeps its clamp`);
    for (const loss of [nn.F.smoothL1Loss, nn.F.huberLoss, nn.F.binaryCrossEntropyWithLogits]) {
      assert.deepEqual(Array.from(loss(v, zerosLike(v), { reduction: 'none' }).data, Number.isNaN), [false, true, false, false, false, false, false, false], `${backend}: ${loss.name}`);
    }
  });
});

test('adaptiveAvgPool2d and bilinear interpolate keep a NaN in its own window (PyTorch: 1 and 25 outputs)', () => {
  const img = ones([1, 2, 6, 6]);
  img.data[7] = NaN;
  const countNaN = (t: Tensor): number => Array.from(t.data).filter(Number.isNaN).length;
  assert.equal(countNaN(nn.F.adaptiveAvgPool2d(img, 2)), 1);
  assert.equal(countNaN(nn.F.interpolate(img, { scaleFactor: 2, mode: 'bilinear' })), 25);
});
