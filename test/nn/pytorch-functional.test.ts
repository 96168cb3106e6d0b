import test from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, mul, sum } from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import { decode, decodeAll, loadFixtures, maxScaledDiff, type FixtureCase } from './pytorch-fixtures.js';

/**
 * The nn.functional compositions against PyTorch 1.13 in float64 (scaledDotProductAttention
 * against PyTorch 2's reference formula, which 1.13 lacks): values and the gradients w.r.t.
 * every float input agree to 1e-10 (relative to max(1, |value|)).
 */
const TOL = 1e-10;

type Inputs = Record<string, Tensor>;
const opt = <T>(c: FixtureCase, k: string): T | undefined => c.config[k] as T | undefined;

const runners: Record<string, (c: FixtureCase, x: Inputs) => Tensor> = {
  pad: (c, x) => F.pad(x.x!, c.config.pad as number[], { mode: opt<F.PadMode>(c, 'mode'), value: opt<number>(c, 'value') }),
  normalize: (c, x) => F.normalize(x.x!, { p: opt(c, 'p'), dim: opt(c, 'dim') }),
  cosineSimilarity: (c, x) => F.cosineSimilarity(x.x1!, x.x2!, { dim: opt(c, 'dim') }),
  oneHot: (c, x) => F.oneHot(x.x!, opt<number>(c, 'numClasses')),
  conv1d: (c, x) => F.conv1d(x.x!, x.weight!, x.bias, {
    stride: opt(c, 'stride'), padding: opt<number | 'same'>(c, 'padding'), dilation: opt(c, 'dilation'), groups: opt(c, 'groups'),
  }),
  convTranspose2d: (c, x) => F.convTranspose2d(x.x!, x.weight!, x.bias, {
    stride: opt(c, 'stride'), padding: opt(c, 'padding'), outputPadding: opt(c, 'outputPadding'), groups: opt(c, 'groups'), dilation: opt(c, 'dilation'),
  }),
  adaptiveAvgPool2d: (c, x) => F.adaptiveAvgPool2d(x.x!, c.config.outputSize as F.AdaptiveSize),
  groupNorm: (c, x) => F.groupNorm(x.x!, c.config.numGroups as number, { weight: x.weight, bias: x.bias, eps: opt(c, 'eps') }),
  interpolate: (c, x) => F.interpolate(x.x!, {
    size: opt(c, 'size'), scaleFactor: opt(c, 'scaleFactor'), mode: opt<F.InterpolateMode>(c, 'mode'), alignCorners: opt(c, 'alignCorners'),
  }),
  scaledDotProductAttention: (c, x) => F.scaledDotProductAttention(x.q!, x.k!, x.v!, { attnMask: x.attnMask?.detach() ?? null, isCausal: opt(c, 'isCausal'), scale: opt(c, 'scale') }),
  smoothL1Loss: (c, x) => F.smoothL1Loss(x.input!, x.target!, { reduction: opt(c, 'reduction'), beta: opt(c, 'beta') }),
  huberLoss: (c, x) => F.huberLoss(x.input!, x.target!, { reduction: opt(c, 'reduction'), delta: opt(c, 'delta') }),
  klDiv: (c, x) => F.klDiv(x.input!, x.target!, { reduction: opt(c, 'reduction'), logTarget: opt(c, 'logTarget') }),
};

const worstByKind = new Map<string, { output: number; grad: number }>();

for (const c of loadFixtures('pytorch-functional.json')) {
  test(`${c.kind} (${c.config.name}) matches PyTorch`, (t) => {
    const run = runners[c.kind];
    assert.ok(run, `no runner for ${c.kind}`);
    const inputs = decodeAll(c.inputs);
    // a float attention mask is a constant in the fixture, as are inputs whose PyTorch gradient is knowingly not matched
    const constants = new Set(['attnMask', ...(c.constants ?? [])]);
    for (const [k, v] of Object.entries(inputs)) if (v.dtype === 'float64' && !constants.has(k)) v.requiresGrad = true;
    const out = run(c, inputs);
    const expected = decode(c.outputs[0]!);
    assert.equal(out.dtype === 'int32', expected.dtype === 'int32', 'dtype kind');
    const outDiff = maxScaledDiff(out, expected);
    let gradDiff = 0;
    if (c.seeds && out.requiresGrad) {
      sum(mul(out, decode(c.seeds[0]!))).backward();
      for (const [k, g] of Object.entries(decodeAll(c.inputGrads))) {
        const got = inputs[k]!.grad;
        assert.ok(got, `input ${k} got no gradient`);
        gradDiff = Math.max(gradDiff, maxScaledDiff(got, g));
      }
    }
    t.diagnostic(`max diff: output ${outDiff.toExponential(2)}, gradients ${gradDiff.toExponential(2)}`);
    const w = worstByKind.get(c.kind) ?? { output: 0, grad: 0 };
    worstByKind.set(c.kind, { output: Math.max(w.output, outDiff), grad: Math.max(w.grad, gradDiff) });
    assert.ok(outDiff <= TOL, `output differs from PyTorch by ${outDiff} (shape ${out.shape} vs ${expected.shape})`);
    assert.ok(gradDiff <= TOL, `gradients differ from PyTorch by ${gradDiff}`);
  });
}

test('summary: the largest difference from PyTorch per function', (t) => {
  for (const [kind, w] of worstByKind) t.diagnostic(`${kind}: output ${w.output.toExponential(2)}, gradients ${w.grad.toExponential(2)}`);
  assert.ok(worstByKind.size > 0);
});

