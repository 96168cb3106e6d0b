import test from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, mul, sum, add } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { decode, decodeAll, loadFixtures, maxScaledDiff, type FixtureCase } from './pytorch-fixtures.js';

/**
 * Every layer against PyTorch 1.13 in float64: the PyTorch state dict loads by name (strict), and
 * the outputs and the gradients w.r.t. every float input and every parameter agree to 1e-10
 * (relative to max(1, |value|)).
 */
const TOL = 1e-10;

type Inputs = Record<string, Tensor>;
interface Built {
  module: nn.AnyModule;
  run: (x: Inputs) => (Tensor | null)[];
}

const num = (c: FixtureCase, k: string): number => c.config[k] as number;
const opt = <T>(c: FixtureCase, k: string): T | undefined => c.config[k] as T | undefined;

function rnnOptions(c: FixtureCase): nn.RNNOptions {
  return { numLayers: num(c, 'numLayers'), bidirectional: opt<boolean>(c, 'bidirectional') ?? false, batchFirst: opt<boolean>(c, 'batchFirst') ?? false, bias: opt<boolean>(c, 'bias') ?? true };
}

function transformerOptions(c: FixtureCase): nn.TransformerLayerOptions {
  return {
    dimFeedforward: num(c, 'dimFeedforward'), dropout: 0, activation: opt<'relu' | 'gelu'>(c, 'activation') ?? 'relu',
    batchFirst: opt<boolean>(c, 'batchFirst') ?? false, normFirst: opt<boolean>(c, 'normFirst') ?? false,
  };
}

const lossModule = (m: nn.Module<[Tensor, Tensor]>): Built => ({ module: m, run: (x) => [m.call(x.input!, x.target!)] });

const builders: Record<string, (c: FixtureCase, sd: Inputs) => Built> = {
  MultiheadAttention: (c) => {
    const m = new nn.MultiheadAttention(num(c, 'embedDim'), num(c, 'numHeads'), {
      batchFirst: opt<boolean>(c, 'batchFirst') ?? false, kdim: opt<number>(c, 'kdim'), vdim: opt<number>(c, 'vdim'), bias: opt<boolean>(c, 'bias') ?? true,
    });
    return {
      module: m,
      run: (x) => {
        const fo: nn.MultiheadAttentionForwardOptions = {
          attnMask: x.attnMask ?? null, keyPaddingMask: x.keyPaddingMask ?? null,
          needWeights: opt<boolean>(c, 'needWeights') ?? true, averageAttnWeights: opt<boolean>(c, 'averageAttnWeights') ?? true,
        };
        // self-attention passes the same tensor three times (PyTorch's packed projection path)
        return c.config.self ? m.call(x.x!, x.x!, x.x!, fo) : m.call(x.query!, x.key!, x.value!, fo);
      },
    };
  },
  TransformerEncoderLayer: (c) => {
    const m = new nn.TransformerEncoderLayer(num(c, 'dModel'), num(c, 'nhead'), transformerOptions(c));
    return { module: m, run: (x) => [m.call(x.src!, { srcMask: x.srcMask, srcKeyPaddingMask: x.srcKeyPaddingMask })] };
  },
  TransformerDecoderLayer: (c) => {
    const m = new nn.TransformerDecoderLayer(num(c, 'dModel'), num(c, 'nhead'), transformerOptions(c));
    return { module: m, run: (x) => [m.call(x.tgt!, x.memory!, { tgtMask: x.tgtMask, memoryKeyPaddingMask: x.memoryKeyPaddingMask })] };
  },
  TransformerEncoder: (c) => {
    const layer = new nn.TransformerEncoderLayer(num(c, 'dModel'), num(c, 'nhead'), transformerOptions(c));
    const m = new nn.TransformerEncoder(layer, num(c, 'numLayers'), { norm: c.config.norm ? new nn.LayerNorm(num(c, 'dModel')) : null });
    return { module: m, run: (x) => [m.call(x.src!)] };
  },
  TransformerDecoder: (c) => {
    const layer = new nn.TransformerDecoderLayer(num(c, 'dModel'), num(c, 'nhead'), transformerOptions(c));
    const m = new nn.TransformerDecoder(layer, num(c, 'numLayers'));
    return { module: m, run: (x) => [m.call(x.tgt!, x.memory!)] };
  },
  RNN: (c) => {
    const m = new nn.RNN(num(c, 'inputSize'), num(c, 'hiddenSize'), { ...rnnOptions(c), nonlinearity: opt<'tanh' | 'relu'>(c, 'nonlinearity') ?? 'tanh' });
    return { module: m, run: (x) => m.call(x.input!, x.h0) };
  },
  LSTM: (c) => {
    const m = new nn.LSTM(num(c, 'inputSize'), num(c, 'hiddenSize'), rnnOptions(c));
    return { module: m, run: (x) => { const [y, [h, cc]] = m.call(x.input!, x.h0 ? [x.h0, x.c0!] : null); return [y, h, cc]; } };
  },
  GRU: (c) => {
    const m = new nn.GRU(num(c, 'inputSize'), num(c, 'hiddenSize'), rnnOptions(c));
    return { module: m, run: (x) => m.call(x.input!, x.h0) };
  },
  Conv1d: (c) => {
    const m = new nn.Conv1d(num(c, 'inChannels'), num(c, 'outChannels'), num(c, 'kernelSize'), {
      stride: opt<number>(c, 'stride'), padding: opt<number | 'same'>(c, 'padding'), dilation: opt<number>(c, 'dilation'), groups: opt<number>(c, 'groups'), bias: opt<boolean>(c, 'bias') ?? true,
    });
    return { module: m, run: (x) => [m.call(x.x!)] };
  },
  ConvTranspose2d: (c) => {
    const m = new nn.ConvTranspose2d(num(c, 'inChannels'), num(c, 'outChannels'), c.config.kernelSize as nn.Pair, {
      stride: opt<nn.Pair>(c, 'stride'), padding: opt<nn.Pair>(c, 'padding'), outputPadding: opt<nn.Pair>(c, 'outputPadding'), dilation: opt<nn.Pair>(c, 'dilation'), groups: opt<number>(c, 'groups'),
    });
    return { module: m, run: (x) => [m.call(x.x!)] };
  },
  AdaptiveAvgPool2d: (c) => {
    const m = new nn.AdaptiveAvgPool2d(c.config.outputSize as nn.AdaptiveSize);
    return { module: m, run: (x) => [m.call(x.x!)] };
  },
  GroupNorm: (c) => {
    const m = new nn.GroupNorm(num(c, 'numGroups'), num(c, 'numChannels'), { affine: opt<boolean>(c, 'affine') ?? true });
    return { module: m, run: (x) => [m.call(x.x!)] };
  },
  CrossEntropyLoss: (c, sd) => lossModule(new nn.CrossEntropyLoss({ weight: sd.weight, labelSmoothing: opt<number>(c, 'labelSmoothing') })),
  NLLLoss: (_c, sd) => lossModule(new nn.NLLLoss({ weight: sd.weight })),
  MSELoss: (c) => lossModule(new nn.MSELoss({ reduction: opt(c, 'reduction') })),
  L1Loss: (c) => lossModule(new nn.L1Loss({ reduction: opt(c, 'reduction') })),
  SmoothL1Loss: (c) => lossModule(new nn.SmoothL1Loss({ reduction: opt(c, 'reduction'), beta: opt<number>(c, 'beta') })),
  HuberLoss: (c) => lossModule(new nn.HuberLoss({ reduction: opt(c, 'reduction'), delta: opt<number>(c, 'delta') })),
  BCELoss: (_c, sd) => lossModule(new nn.BCELoss({ weight: sd.weight })),
  BCEWithLogitsLoss: (_c, sd) => lossModule(new nn.BCEWithLogitsLoss({ posWeight: sd.pos_weight })),
  KLDivLoss: (c) => lossModule(new nn.KLDivLoss({ reduction: opt(c, 'reduction') })),
};

const worstByKind = new Map<string, { output: number; grad: number }>();

for (const c of loadFixtures('pytorch-layers.json')) {
  test(`${c.kind} (${c.config.name}) matches PyTorch: output and gradients w.r.t. inputs and parameters`, (t) => {
    const build = builders[c.kind];
    assert.ok(build, `no builder for ${c.kind}`);
    const sd = decodeAll(c.stateDict);
    const { module, run } = build(c, sd);
    module.to('float64');
    module.train(c.training ?? false);
    // strict: every PyTorch key is one of ours and every one of ours is in PyTorch's
    module.loadStateDict(sd);
    const inputs = decodeAll(c.inputs);
    const constants = new Set(c.constants ?? []);
    for (const [k, v] of Object.entries(inputs)) if (v.dtype === 'float64' && !constants.has(k)) v.requiresGrad = true;
    const outputs = run(inputs).filter((o): o is Tensor => o !== null);
    assert.equal(outputs.length, c.outputs.length, 'number of outputs');
    let outDiff = 0;
    outputs.forEach((o, i) => { outDiff = Math.max(outDiff, maxScaledDiff(o, decode(c.outputs[i]!))); });
    const seeds = c.seeds!.map(decode);
    outputs.map((o, i) => sum(mul(o, seeds[i]!))).reduce((a, b) => add(a, b)).backward();
    let gradDiff = 0;
    const expectedInputGrads = decodeAll(c.inputGrads);
    for (const [k, g] of Object.entries(expectedInputGrads)) {
      const got = inputs[k]!.grad;
      assert.ok(got, `input ${k} got no gradient`);
      gradDiff = Math.max(gradDiff, maxScaledDiff(got, g));
    }
    const expectedParamGrads = decodeAll(c.paramGrads);
    const params = module.namedParameters();
    assert.deepEqual(params.map(([k]) => k).sort(), Object.keys(expectedParamGrads).sort(), 'every parameter gets a gradient, as in PyTorch');
    for (const [k, p] of params) {
      assert.ok(p.grad, `parameter ${k} got no gradient`);
      gradDiff = Math.max(gradDiff, maxScaledDiff(p.grad, expectedParamGrads[k]!));
    }
    t.diagnostic(`max diff: output ${outDiff.toExponential(2)}, gradients ${gradDiff.toExponential(2)}`);
    const w = worstByKind.get(c.kind) ?? { output: 0, grad: 0 };
    worstByKind.set(c.kind, { output: Math.max(w.output, outDiff), grad: Math.max(w.grad, gradDiff) });
    assert.ok(outDiff <= TOL, `output differs from PyTorch by ${outDiff}`);
    assert.ok(gradDiff <= TOL, `gradients differ from PyTorch by ${gradDiff}`);
  });
}

test('summary: the largest difference from PyTorch per layer', (t) => {
  for (const [kind, w] of worstByKind) t.diagnostic(`${kind}: output ${w.output.toExponential(2)}, gradients ${w.grad.toExponential(2)}`);
  assert.ok(worstByKind.size > 0);
});
