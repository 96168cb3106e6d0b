import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../src/tensor/random.js';
import { randn } from '../../src/tensor/creation.js';
import { FormatError } from '../../src/errors.js';
import * as optim from '../../src/optim/index.js';
import * as io from '../../src/io/index.js';
import { buildModel, type ModelSpec } from '../../src/cli/model-spec.js';
import { readTrainCheckpoint, writeTrainCheckpoint, type TrainCheckpoint } from '../../src/cli/checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'backprop-ckpt-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('a training checkpoint round-trips weights, optimizer buffers, schedule and RNG streams exactly', () => {
  const spec: ModelSpec = { model: 'mlp:2-8-3', activation: 'gelu', dropout: 0.1, inputShape: [2], classes: ['0', '1', '2'], dataset: 'blobs', normalization: null, featureNames: null };
  const { module, dropoutGenerator } = buildModel(spec, new Generator(1), 2);
  const opt = new optim.Adam(module.parameters(), { lr: 0.01 });
  const sched = new optim.CosineAnnealingLR(opt, { tMax: 7 });
  module.forward(randn([4, 2])).sum().backward();
  opt.step();
  sched.step();
  dropoutGenerator.random();
  const loader = new Generator(9);
  loader.permutation(10);
  const ck: TrainCheckpoint = {
    spec, optimizer: 'adam', seed: 3, batchSize: 16, limit: null, epoch: 1, epochs: 7,
    model: module.stateDict(), optimizerState: opt.stateDict(),
    schedule: { name: 'cosine', tMax: 7 }, schedulerState: sched.stateDict(),
    rng: { default: new Generator(4).getState(), loader: loader.getState(), dropout: dropoutGenerator.getState() },
  };
  const path = join(tmp, 'a.ckpt');
  writeTrainCheckpoint(path, ck);
  const back = readTrainCheckpoint(path);
  assert.deepEqual(back.spec, spec);
  assert.deepEqual([back.optimizer, back.seed, back.batchSize, back.limit, back.epoch, back.epochs], ['adam', 3, 16, null, 1, 7]);
  assert.deepEqual(back.rng, ck.rng);
  assert.deepEqual(back.schedule, ck.schedule);
  assert.deepEqual(back.schedulerState, ck.schedulerState);
  for (const [k, t] of Object.entries(ck.model)) assert.deepEqual(Array.from(back.model[k]!.data), Array.from(t.data), k);
  const opt2 = new optim.Adam(buildModel(spec, new Generator(5), 2).module.parameters(), { lr: 0.5 });
  opt2.loadStateDict(back.optimizerState);
  assert.deepEqual(opt2.stateDict(), opt.stateDict());
});

test('a checkpoint not written by train --checkpoint is a FormatError naming the file', () => {
  const { module } = buildModel({ model: 'mlp:2-3', activation: 'relu', dropout: 0, inputShape: [2], classes: ['a', 'b', 'c'], dataset: 'x', normalization: null, featureNames: null }, new Generator(0), 0);
  const path = join(tmp, 'generic.ckpt');
  io.saveCheckpoint(path, { model: module.stateDict(), epoch: 2 });
  assert.throws(() => readTrainCheckpoint(path), (e: Error) => e instanceof FormatError && /generic\.ckpt: not a 'backprop train' checkpoint/.test(e.message));
  const model = join(tmp, 'model.safetensors');
  io.saveSafetensors(model, module.stateDict());
  assert.throws(() => readTrainCheckpoint(model), (e: Error) => e instanceof FormatError && /model\.safetensors/.test(e.message));
});
