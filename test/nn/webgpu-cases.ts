/**
 * The layer suite on the webgpu device: every layer (and loss) is built twice from one seed,
 * one copy moved to webgpu with module.to('webgpu'); both run forward and backward in float32
 * from the same inputs, and outputs, input gradients and parameter gradients must agree.
 * No Node APIs: runs in headless Chromium (test/web/webgpu.test.ts).
 */
import { Generator, Tensor, manualSeed, nn, rand, randint, randn, setDefaultDevice, type Device } from '../../src/browser.js';
import { agree, type DeviceCase } from '../ops/webgpu-cases.js';

interface LayerCase {
  name: string;
  build: () => nn.AnyModule;
  /** CPU inputs; float ones get gradients */
  inputs: () => Tensor[];
  run: (m: nn.AnyModule, x: Tensor[]) => Tensor[];
  tol?: number;
}

const g = new Generator(21);
const r = (shape: number[]): Tensor => randn(shape, { generator: g });
const call = (m: nn.AnyModule, ...x: unknown[]): Tensor => (m as unknown as { forward(...a: unknown[]): Tensor }).forward(...x);

const one = (name: string, build: () => nn.AnyModule, inputs: () => Tensor[], tol?: number): LayerCase => ({
  name, build, inputs, run: (m, x) => [call(m, ...x)], ...(tol === undefined ? {} : { tol }),
});

const LAYERS: LayerCase[] = [
  one('Linear', () => new nn.Linear(7, 5), () => [r([3, 7])]),
  one('Linear without bias, 3-D input', () => new nn.Linear(4, 6, { bias: false }), () => [r([2, 3, 4])]),
  one('Conv2d stride 2, padding 1', () => new nn.Conv2d(3, 4, 3, { stride: 2, padding: 1 }), () => [r([2, 3, 9, 8])]),
  one('Conv2d groups 2, dilation 2', () => new nn.Conv2d(4, 6, [3, 2], { groups: 2, dilation: 2, padding: [2, 1] }), () => [r([1, 4, 8, 7])]),
  one('Conv1d', () => new nn.Conv1d(3, 5, 3, { padding: 1 }), () => [r([2, 3, 11])]),
  one('ConvTranspose2d', () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2 }), () => [r([1, 3, 4, 5])]),
  one('MaxPool2d', () => new nn.MaxPool2d(2), () => [r([2, 3, 8, 9])]),
  one('MaxPool2d overlapping, padded', () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }), () => [r([2, 2, 9, 9])]),
  one('AvgPool2d', () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }), () => [r([2, 3, 9, 8])]),
  one('AdaptiveAvgPool2d', () => new nn.AdaptiveAvgPool2d(3), () => [r([2, 3, 7, 8])]),
  one('BatchNorm1d (training)', () => new nn.BatchNorm1d(5), () => [r([6, 5])]),
  one('BatchNorm2d (training)', () => new nn.BatchNorm2d(3), () => [r([4, 3, 5, 5])]),
  one('LayerNorm', () => new nn.LayerNorm([4, 5]), () => [r([3, 4, 5])]),
  one('GroupNorm', () => new nn.GroupNorm(2, 4), () => [r([3, 4, 3, 3])]),
  one('Embedding', () => new nn.Embedding(11, 4), () => [randint(0, 11, [3, 7], { generator: g })]),
  one('Sequential MLP with Flatten', () => new nn.Sequential(new nn.Flatten(), new nn.Linear(12, 8), new nn.ReLU(), new nn.Linear(8, 3)), () => [r([5, 3, 4])]),
  ...[['ReLU', () => new nn.ReLU()], ['Sigmoid', () => new nn.Sigmoid()], ['Tanh', () => new nn.Tanh()], ['GELU', () => new nn.GELU()],
    ['Softplus', () => new nn.Softplus()], ['LeakyReLU', () => new nn.LeakyReLU(0.1)], ['ELU', () => new nn.ELU(0.7)],
    ['Softmax', () => new nn.Softmax(1)], ['LogSoftmax', () => new nn.LogSoftmax(-1)]].map(([name, build]) =>
    one(name as string, build as () => nn.AnyModule, () => [r([4, 9]).mul(2)])),
  {
    name: 'MultiheadAttention (self, masked)',
    build: () => new nn.MultiheadAttention(8, 2, { batchFirst: true }),
    inputs: () => [r([2, 5, 8])],
    run: (m, [x]) => {
      const mha = m as nn.MultiheadAttention;
      const [y, w] = mha.forward(x!, x!, x!, { needWeights: true });
      return w ? [y, w] : [y];
    },
  },
  one('TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), () => [r([5, 2, 8])]),
  {
    name: 'TransformerDecoderLayer',
    build: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, dropout: 0, normFirst: true }),
    inputs: () => [r([4, 2, 8]), r([6, 2, 8])],
    run: (m, [t, mem]) => [call(m, t, mem)],
  },
  { name: 'RNN (2 layers, bidirectional)', build: () => new nn.RNN(3, 5, { numLayers: 2, bidirectional: true }), inputs: () => [r([6, 2, 3])], run: (m, [x]) => (m as nn.RNN).forward(x!) },
  { name: 'LSTM', build: () => new nn.LSTM(4, 6, { batchFirst: true }), inputs: () => [r([2, 5, 4])], run: (m, [x]) => { const [y, [h, c]] = (m as nn.LSTM).forward(x!); return [y, h, c]; } },
  { name: 'GRU', build: () => new nn.GRU(4, 3), inputs: () => [r([5, 2, 4])], run: (m, [x]) => (m as nn.GRU).forward(x!) },
  {
    name: 'CrossEntropyLoss (label smoothing)', build: () => new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }),
    inputs: () => [r([6, 5]), randint(0, 5, [6], { generator: g })], run: (m, [z, t]) => [call(m, z, t)],
  },
  { name: 'NLLLoss', build: () => new nn.NLLLoss(), inputs: () => [r([6, 5]).logSoftmax(1), randint(0, 5, [6], { generator: g })], run: (m, [z, t]) => [call(m, z, t)] },
  ...[['MSELoss', () => new nn.MSELoss()], ['L1Loss', () => new nn.L1Loss()], ['SmoothL1Loss', () => new nn.SmoothL1Loss()],
    ['HuberLoss', () => new nn.HuberLoss()], ['BCEWithLogitsLoss', () => new nn.BCEWithLogitsLoss()]].map(([name, build]) => ({
    name: name as string, build: build as () => nn.AnyModule, inputs: () => [r([4, 3]), rand([4, 3], { generator: g })], run: (m: nn.AnyModule, [a, b]: Tensor[]) => [call(m, a, b)],
  })),
  { name: 'BCELoss', build: () => new nn.BCELoss(), inputs: () => [rand([4, 3], { generator: g }).mul(0.8).add(0.1), rand([4, 3], { generator: g })], run: (m, [a, b]) => [call(m, a, b)] },
  { name: 'KLDivLoss', build: () => new nn.KLDivLoss({ reduction: 'batchmean' }), inputs: () => [r([4, 3]).logSoftmax(1), rand([4, 3], { generator: g }).softmax(1)], run: (m, [a, b]) => [call(m, a, b)] },
];

interface Ran { outs: ArrayLike<number>[]; inputGrads: (ArrayLike<number> | null)[]; paramGrads: [string, ArrayLike<number> | null][] }

async function runOn(c: LayerCase, seed: number, inputs: Tensor[], device: Device): Promise<Ran> {
  manualSeed(seed);
  const m = c.build();
  if (device !== 'cpu') m.to(device);
  setDefaultDevice(device);
  try {
    const xs = inputs.map((t) => { const x = t.to(device).detach(); if (x.dtype !== 'int32') x.requiresGrad = true; return x; });
    const outs = c.run(m, xs);
    // Σ_i sum(out_i · s_i) with fixed seeds s_i, so every output and gradient is exercised
    let loss: Tensor | null = null;
    outs.forEach((o, i) => {
      const s = randn([...o.shape], { generator: new Generator(100 + i) }).to(device);
      const term = o.mul(s).sum();
      loss = loss === null ? term : loss.add(term);
    });
    loss!.backward();
    return {
      outs: await Promise.all(outs.map((o) => o.dataAsync())),
      inputGrads: await Promise.all(xs.map((x) => (x.grad ? x.grad.dataAsync() : null))),
      paramGrads: await Promise.all(m.namedParameters().map(async ([k, p]) => [k, p.grad ? await p.grad.dataAsync() : null] as [string, ArrayLike<number> | null])),
    };
  } finally {
    setDefaultDevice('cpu');
  }
}

/** Every layer case, as device cases. */
export function layerDeviceCases(): DeviceCase[] {
  return LAYERS.map((c, n) => ({
    name: `layer ${c.name}`,
    run: async () => {
      setDefaultDevice('cpu');
      const inputs = c.inputs();
      const cpu = await runOn(c, 1000 + n, inputs, 'cpu');
      const gpu = await runOn(c, 1000 + n, inputs, 'webgpu');
      cpu.outs.forEach((o, i) => agree(`${c.name}: output ${i}`, gpu.outs[i]!, o, c.tol));
      cpu.inputGrads.forEach((gr, i) => { if (gr) agree(`${c.name}: ∂/∂input ${i}`, gpu.inputGrads[i]!, gr, c.tol); });
      if (gpu.paramGrads.length !== cpu.paramGrads.length) throw new Error(`${c.name}: ${gpu.paramGrads.length} parameters on webgpu, ${cpu.paramGrads.length} on the CPU`);
      cpu.paramGrads.forEach(([k, gr], i) => {
        if (gr === null) return;
        const other = gpu.paramGrads[i]![1];
        if (other === null) throw new Error(`${c.name}: ${k} has no gradient on webgpu`);
        agree(`${c.name}: ∂/∂${k}`, other, gr, c.tol);
      });
    },
  }));
}
