import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/tensor/tensor.js';
import { GPT } from '../../src/nn/gpt.js';
import { makeOptimizer } from '../../src/cli/optimizers.js';
import { learningRateAt, textTrainingStep } from '../../src/cli/train-text.js';
import { decodeAll, maxScaledDiff } from '../nn/pytorch-fixtures.js';

/**
 * The CLI's text training step against PyTorch in float64 (test/fixtures/make_gpt_training_fixture.py):
 * a small nanoGPT from the same initial weights, on the same batches, with AdamW decaying the
 * matrices only, warmup then cosine, and clipping that is active on most steps. Every step's loss
 * and gradient norm, and every final weight, must agree: so the optimizer groups, the schedule, the
 * clipping and the tied embedding follow nanoGPT's train.py over many steps, not only one gradient.
 */
interface Fixture {
  config: { vocab: number; block: number; layers: number; heads: number; embd: number };
  hyper: { lr: number; minLr: number; warmup: number; iters: number; weightDecay: number; beta2: number; clipGrad: number; batch: number };
  initial: Record<string, { shape: number[]; base64: string }>;
  final: Record<string, { shape: number[]; base64: string }>;
  steps: { x: number[]; y: number[]; lr: number; loss: number; gradNorm: number }[];
}

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const fixture = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'pytorch-gpt-training.json'), 'utf8')) as Fixture;
const float64 = (m: Fixture['initial']): Record<string, Tensor> => decodeAll(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { dtype: 'float64' as const, ...v }])));

test('text training steps match PyTorch (float64): losses, gradient norms before clipping, and the final weights', () => {
  const { config: c, hyper: h } = fixture;
  const model = new GPT({ vocabSize: c.vocab, blockSize: c.block, nLayer: c.layers, nHead: c.heads, nEmbd: c.embd }).to('float64');
  model.loadStateDict(float64(fixture.initial));
  const optimizer = makeOptimizer('adamw', model.parameters(), h.lr, { weightDecay: h.weightDecay, beta2: h.beta2, decayMatricesOnly: true });
  const schedule = { lr: h.lr, minLr: h.minLr, warmup: h.warmup, total: h.iters, cosine: true };
  let clipped = 0;
  fixture.steps.forEach((s, it) => {
    const lr = learningRateAt(it, schedule);
    assert.ok(Math.abs(lr - s.lr) <= 1e-15 * s.lr, `step ${it}: lr ${lr}, PyTorch ${s.lr}`);
    const x = Tensor.fromRaw(Int32Array.from(s.x), [h.batch, c.block]), y = Tensor.fromRaw(Int32Array.from(s.y), [h.batch, c.block]);
    const r = textTrainingStep(model, optimizer, x, y, lr, h.clipGrad);
    const loss = r.loss, norm = r.gradNorm!.item();
    assert.ok(Math.abs(loss.item() - s.loss) <= 1e-12 * s.loss, `step ${it}: loss ${loss.item()}, PyTorch ${s.loss}`);
    assert.ok(Math.abs(norm - s.gradNorm) <= 1e-12 * s.gradNorm, `step ${it}: gradient norm ${norm}, PyTorch ${s.gradNorm}`);
    if (s.gradNorm > h.clipGrad) clipped++;
  });
  assert.ok(clipped >= fixture.steps.length / 2, `clipping engaged on ${clipped} of ${fixture.steps.length} steps`);
  const finalSd = model.stateDict();
  for (const [k, expected] of Object.entries(float64(fixture.final))) {
    const d = maxScaledDiff(finalSd[k]!, expected);
    assert.ok(d <= 1e-10, `${k}: differs from PyTorch by ${d}`);
  }
});
