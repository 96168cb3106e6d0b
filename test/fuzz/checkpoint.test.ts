import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/io/index.js';
import { Adam } from '../../src/optim/index.js';
import { tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Generator } from '../../src/tensor/random.js';
import { tempDir } from '../io/tmp.js';
import { assertSameValues, mutate, mutateJson, runFuzz, type Dictionary, type Rng } from './mutate.js';
import { assembleSafetensors, refCheckpoint, splitSafetensors, type RefCheckpoint } from './reference.js';

const enc = new TextEncoder();

/** Seeds written by saveCheckpoint: a full one (Adam state, rng record, extra with Infinity) and a bare one. */
function seeds(): Uint8Array[] {
  const dir = tempDir();
  const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
  const b = tensor([0.1, -0.2], { dtype: 'float64', requiresGrad: true });
  const opt = new Adam([w, b], { lr: 0.01, amsgrad: true });
  w.grad = tensor([[1, 2], [3, 4]]);
  b.grad = tensor([1, 1], { dtype: 'float64' });
  opt.step();
  const g = new Generator(3);
  g.normal();
  const full = join(dir, 'full.ckpt');
  saveCheckpoint(full, {
    model: { '0.weight': w, '0.bias': b }, optimizer: opt.stateDict(), epoch: 4, step: 40,
    rng: { loader: g.getState(), dropout: new Generator(9).getState() }, extra: { best: Infinity, history: [1, 0.5], name: 'run' },
  });
  const bare = join(dir, 'bare.ckpt');
  saveCheckpoint(bare, { model: { w: tensor([1, 2, 3]) }, epoch: 0, rng: new Generator(1).getState() });
  return [full, bare].map((p) => new Uint8Array(readFileSync(p)));
}
const SEEDS = seeds();

const DICT: Dictionary = [
  '{', '}', '[', ']', ',', ':', '"', 'null', 'true', '0', '-1', '1.5', '1e400', '4294967296', '9007199254740993', '[[[[[[[[',
  '{"$number":"NaN"}', '{"$number":"-Infinity"}', '{"$tensor":"optimizer.0.expAvg"}', '{"$tensor":"model.0.weight"}',
  '"__proto__"', '"constructor"', '"epoch"', '"step"', '"rng"', '"s"', '"spare"', '"optimizer"', '"state"', '"paramGroups"', '"params"',
  '"betas"', '"lr"', '"extra"', '[0,0,0,0]', '[1,2,3,4]', '[-1]', '"model.w"',
];

/** The checkpoint's JSON document, edited as text and written back into a valid safetensors frame. */
function editDocument(seed: Uint8Array, rng: Rng): Uint8Array {
  const { header, data } = splitSafetensors(seed);
  const h = JSON.parse(new TextDecoder().decode(header)) as Record<string, Record<string, string>>;
  const doc = h['__metadata__']!['backprop.checkpoint']!;
  // half byte edits of the text, half edits of its JSON tree (valid JSON, so the field checks see them)
  h['__metadata__']!['backprop.checkpoint'] = rng.int(2) === 0 ? new TextDecoder().decode(mutate(enc.encode(doc), rng, DICT)) : mutateJson(doc, rng) ?? doc;
  return assembleSafetensors(enc.encode(JSON.stringify(h)), data);
}

function compareCheckpoint(got: Checkpoint, want: RefCheckpoint): void {
  assert.equal(got.epoch, want.epoch);
  // what the loader accepted satisfies the rules the constructors use
  assert.ok(Number.isSafeInteger(got.epoch) && got.epoch >= 0, `epoch ${got.epoch}`);
  assert.equal(got.step, want.step);
  if (got.step !== undefined) assert.ok(Number.isSafeInteger(got.step) && got.step >= 0, `step ${got.step}`);
  // a generator state is its words and cached normal; other keys in the file are not kept
  const state = (v: unknown): unknown => ({ s: (v as { s: unknown }).s, spare: (v as { spare: unknown }).spare });
  const rng = want.rng as Record<string, unknown> | undefined;
  const wantRng = rng === undefined ? undefined : Array.isArray(rng['s']) ? state(rng) : Object.fromEntries(Object.entries(rng).map(([k, v]) => [k, state(v)]));
  assert.deepEqual(got.rng, wantRng);
  assert.deepEqual(got.extra, want.extra);
  assert.deepEqual(Object.keys(got.model).sort(), [...want.model.keys()].sort());
  for (const [name, r] of want.model) {
    const t = Object.getOwnPropertyDescriptor(got.model, name)!.value as Checkpoint['model'][string];
    assert.equal(t.dtype, r.dtype, name);
    assertSameValues(t.data, r.values, name);
  }
  assert.equal(got.optimizer === undefined, want.optimizer === null, 'optimizer present');
  if (got.optimizer && want.optimizer) {
    assert.deepEqual(got.optimizer.paramGroups, want.optimizer.paramGroups);
    assert.deepEqual(Object.keys(got.optimizer.state).sort(), [...want.optimizer.state.keys()].sort());
    for (const [idx, values] of want.optimizer.state) {
      const st = Object.getOwnPropertyDescriptor(got.optimizer.state, idx)!.value as Record<string, number | Tensor>;
      assert.deepEqual(Object.keys(st).sort(), [...values.keys()].sort());
      for (const [key, v] of values) {
        const g = Object.getOwnPropertyDescriptor(st, key)!.value as number | Tensor;
        if (typeof v === 'number') assert.ok(Object.is(g, v), `${idx}.${key}`);
        else assertSameValues((g as Tensor).data, v, `${idx}.${key}`);
      }
    }
  }
}

test('fuzz: checkpoint', (t) => {
  runFuzz(t, {
    name: 'checkpoint', count: 4000, seed: 14, strict: false,
    // two thirds edit the JSON document inside a valid frame, where the field checks live
    generate: (rng) => (rng.int(3) === 0 ? mutate(rng.pick(SEEDS), rng, DICT) : editDocument(rng.pick(SEEDS), rng)),
    read: (bytes) => parseCheckpoint(bytes, 'fuzz.ckpt'),
    reference: refCheckpoint,
    compare: compareCheckpoint,
  });
});
