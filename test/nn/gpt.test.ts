import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, ShapeError, ValueError, noGrad, optim } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';

const config = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };
const ids = (rows: number[][]): Tensor => Tensor.fromRaw(Int32Array.from(rows.flat()), [rows.length, rows[0]!.length]);

test("GPT has nanoGPT's parameter names and shapes, no biases by default, and a head tied to the token embedding", () => {
  const gpt = new nn.GPT({ ...config, generator: new Generator(0) });
  const names = Object.entries(gpt.stateDict()).map(([k, t]) => `${k} ${JSON.stringify(t.shape)}`);
  assert.deepEqual(names.slice(0, 9), [
    'transformer.wte.weight [11,16]', 'transformer.wpe.weight [8,16]',
    'transformer.h.0.ln_1.weight [16]', 'transformer.h.0.attn.c_attn.weight [48,16]', 'transformer.h.0.attn.c_proj.weight [16,16]',
    'transformer.h.0.ln_2.weight [16]', 'transformer.h.0.mlp.c_fc.weight [64,16]', 'transformer.h.0.mlp.c_proj.weight [16,64]',
    'transformer.h.1.ln_1.weight [16]',
  ]);
  assert.equal(names.at(-1), 'transformer.ln_f.weight [16]');
  // 12·C² per block plus the embeddings and the norms (nanoGPT counts the same)
  assert.equal(gpt.numParameters(), 2 * 12 * 16 * 16 + 11 * 16 + 8 * 16 + (2 * 2 + 1) * 16);
  const withBias = new nn.GPT({ ...config, bias: true });
  assert.ok(Object.keys(withBias.stateDict()).includes('transformer.h.0.attn.c_attn.bias'));
  // tying: the logits are x·wteᵀ, so a change of wte changes them and wte gets their gradient
  const x = ids([[1, 2, 3]]);
  gpt.loss(x, ids([[2, 3, 4]])).backward();
  assert.ok(gpt.transformer.wte.weight.grad !== null);
});

test('GPT init: N(0, 0.02) weights, residual projections scaled by 1/√(2·nLayer), unit norms', () => {
  const gpt = new nn.GPT({ vocabSize: 50, blockSize: 64, nLayer: 8, nHead: 4, nEmbd: 128, generator: new Generator(1) });
  const std = (t: Tensor): number => {
    const d = t.data;
    let s = 0, ss = 0;
    for (const v of d) { s += v; ss += v * v; }
    return Math.sqrt(ss / d.length - (s / d.length) ** 2);
  };
  const block = gpt.transformer.h[0]!;
  assert.ok(Math.abs(std(block.attn.c_attn.weight) - 0.02) < 0.001);
  assert.ok(Math.abs(std(gpt.transformer.wte.weight) - 0.02) < 0.002);
  assert.ok(Math.abs(std(block.mlp.c_proj.weight) - 0.02 / 4) < 0.0003);
  assert.ok(Math.abs(std(block.attn.c_proj.weight) - 0.02 / 4) < 0.0005);
  assert.ok(Array.from(block.ln_1.weight!.data).every((v) => v === 1));
});

test('GPT is causal: a later token never changes the logits of earlier positions', () => {
  const gpt = new nn.GPT({ ...config, generator: new Generator(2) }).eval();
  const a = noGrad(() => gpt.forward(ids([[1, 2, 3, 4, 5]]))).data;
  const b = noGrad(() => gpt.forward(ids([[1, 2, 3, 9, 0]]))).data;
  for (let i = 0; i < 3 * 11; i++) assert.equal(a[i], b[i]);
  assert.ok(Array.from(a.subarray(33)).some((v, i) => v !== b[33 + i]));
});

test('GPT trains: the loss on a repeated sequence falls well below chance', () => {
  const gpt = new nn.GPT({ ...config, generator: new Generator(3) });
  const optimizer = new optim.AdamW(gpt.parameters(), { lr: 1e-2, weightDecay: 0 });
  const x = ids([[0, 1, 2, 3, 4, 5, 6, 7], [3, 4, 5, 6, 7, 8, 9, 10]]), y = ids([[1, 2, 3, 4, 5, 6, 7, 8], [4, 5, 6, 7, 8, 9, 10, 0]]);
  let first = 0, last = 0;
  for (let i = 0; i < 40; i++) {
    optimizer.zeroGrad();
    const loss = gpt.loss(x, y);
    loss.backward();
    optimizer.step();
    if (i === 0) first = loss.item();
    last = loss.item();
  }
  assert.ok(first > 2 && last < 0.5, `loss ${first} → ${last}`);
});

test('GPT.generate: deterministic for a generator, greedy with topK 1, streamed through onToken, typed errors', () => {
  const gpt = new nn.GPT({ ...config, generator: new Generator(4) });
  const seen: number[] = [];
  const a = gpt.generate([1, 2], 12, { temperature: 0.9, generator: new Generator(7), onToken: (id) => seen.push(id) });
  const b = gpt.generate([1, 2], 12, { temperature: 0.9, generator: new Generator(7) });
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.equal(a.length, 14);
  assert.deepEqual(seen, Array.from(a.subarray(2)));
  assert.equal(gpt.training, true, 'generate restores the mode');
  // topK 1 is the argmax of the last logits, whatever the seed
  const greedy = gpt.generate([3], 1, { topK: 1, generator: new Generator(1) });
  const logits = noGrad(() => gpt.eval().forward(ids([[3]]))).data;
  gpt.train();
  assert.equal(greedy[1], Array.from(logits).indexOf(Math.max(...logits)));
  // a context longer than the block size is cut to its last blockSize tokens
  assert.equal(gpt.generate(Array.from({ length: 20 }, (_, i) => i % 11), 3).length, 23);
  assert.throws(() => gpt.generate([], 3), ValueError);
  assert.throws(() => gpt.generate([11], 3), (e: unknown) => e instanceof ValueError && /token id 11 is outside the vocabulary of 11/.test(e.message));
  assert.throws(() => gpt.generate([1], 3, { temperature: 0 }), ValueError);
  assert.throws(() => gpt.forward(ids([Array.from({ length: 9 }, () => 0)])), (e: unknown) => e instanceof ShapeError && /longer than the block size 8/.test(e.message));
  assert.throws(() => new nn.GPT({ ...config, nEmbd: 15 }), (e: unknown) => e instanceof ValueError && /divisible by nHead/.test(e.message));
});
