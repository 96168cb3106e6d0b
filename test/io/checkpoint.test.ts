import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint, parseCheckpoint, saveCheckpoint, saveSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { Adam, ReduceLROnPlateau, SGD } from '../../src/optim/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { FormatError, ValueError } from '../../src/errors.js';
import { tempDir } from './tmp.js';

const dir = tempDir();

function train(opt: Adam, ps: ReturnType<typeof tensor>[], steps: number, k: number): void {
  for (let s = 0; s < steps; s++) {
    ps.forEach((p, j) => (p.grad = tensor(Array.from(p.data, (v, i) => v * 0.5 + Math.sin(k + s + i + j)), { dtype: p.dtype, shape: p.shape })));
    opt.step();
  }
}

test('checkpoint round trip: model, optimizer state, rng, extra; resuming gives identical steps', () => {
  const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
  const b = tensor([0.1, -0.2], { dtype: 'float64', requiresGrad: true });
  const opt = new Adam([w, b], { lr: 0.01, amsgrad: true });
  train(opt, [w, b], 3, 0);
  const gen = new Generator(42);
  gen.normal(); // leaves a cached spare normal in the state
  const plateau = new ReduceLROnPlateau(opt);
  const path = join(dir, 'ckpt.safetensors');
  saveCheckpoint(path, {
    model: { weight: w, 'layers.0.bias': b },
    optimizer: opt.stateDict(),
    epoch: 7,
    step: 123,
    rng: { loader: gen.getState() },
    extra: { plateau: plateau.stateDict(), note: 'ok', counts: [1, 2] },
  });
  const ck = loadCheckpoint(path);
  assert.equal(ck.epoch, 7);
  assert.equal(ck.step, 123);
  assert.deepEqual(ck.model['weight']!.toArray(), w.toArray());
  assert.equal(ck.model['layers.0.bias']!.dtype, 'float64');
  assert.deepEqual(Array.from(ck.model['layers.0.bias']!.data), Array.from(b.data));
  assert.deepEqual(ck.extra, { plateau: { best: Infinity, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 }, note: 'ok', counts: [1, 2] });
  const rng = (ck.rng as Record<string, ReturnType<Generator['getState']>>)['loader']!;
  const g2 = new Generator(0).setState(rng);
  assert.equal(g2.normal(), gen.normal());
  assert.equal(g2.random(), gen.random());

  const w2 = ck.model['weight']!.clone().requiresGrad_();
  const b2 = ck.model['layers.0.bias']!.clone().requiresGrad_();
  const opt2 = new Adam([w2, b2], { lr: 1 });
  opt2.loadStateDict(ck.optimizer!);
  assert.equal(opt2.paramGroups[0]!.lr, 0.01);
  train(opt, [w, b], 2, 10);
  train(opt2, [w2, b2], 2, 10);
  assert.deepEqual(Array.from(w2.data), Array.from(w.data));
  assert.deepEqual(Array.from(b2.data), Array.from(b.data));
});

test('a checkpoint without optimizer or rng', () => {
  const path = join(dir, 'plain.ckpt');
  saveCheckpoint(path, { model: { w: tensor([1, 2]) }, epoch: 0 });
  const ck = loadCheckpoint(path);
  assert.equal(ck.optimizer, undefined);
  assert.equal(ck.rng, undefined);
  assert.deepEqual(ck.model['w']!.toArray(), [1, 2]);
  const sgd = new SGD([tensor([1], { requiresGrad: true })], { lr: 0.1 });
  saveCheckpoint(path, { model: {}, optimizer: sgd.stateDict(), epoch: 1 });
  assert.deepEqual(loadCheckpoint(path).optimizer, sgd.stateDict());
});

test('truncated, corrupt or foreign files are FormatErrors naming the file', () => {
  const path = join(dir, 'bad.ckpt');
  saveCheckpoint(path, { model: { w: tensor([1, 2, 3]) }, epoch: 2, extra: { a: 1 } });
  const bytes = readFileSync(path);
  const isFormat = (re: RegExp) => (e: Error) => e instanceof FormatError && e.message.startsWith(path) && re.test(e.message);
  writeFileSync(path, bytes.subarray(0, bytes.length - 1));
  assert.throws(() => loadCheckpoint(path), isFormat(/out of range|cover/));
  writeFileSync(path, bytes.subarray(0, 40));
  assert.throws(() => loadCheckpoint(path), isFormat(/goes beyond the end/));
  const flipped = Uint8Array.from(bytes);
  flipped[9] = 0x7b + 1; // break the JSON header
  writeFileSync(path, flipped);
  assert.throws(() => loadCheckpoint(path), isFormat(/JSON/));
  saveSafetensors(path, { w: tensor([1]) });
  assert.throws(() => loadCheckpoint(path), isFormat(/not a backprop checkpoint/));
  writeFileSync(path, serializeSafetensors({}, { format: 'backprop-checkpoint', 'backprop.version': '1', 'backprop.checkpoint': '{"epoch":' }));
  assert.throws(() => loadCheckpoint(path), isFormat(/metadata is not valid JSON/));
  writeFileSync(path, serializeSafetensors({}, {
    format: 'backprop-checkpoint', 'backprop.version': '1',
    'backprop.checkpoint': JSON.stringify({ epoch: 1, optimizer: { paramGroups: [], state: { 0: { expAvg: { $tensor: 'optimizer.0.expAvg' } } } } }),
  }));
  assert.throws(() => loadCheckpoint(path), isFormat(/refers to tensor 'optimizer\.0\.expAvg'/));
});

/** A checkpoint file with hand-written metadata JSON, as a damaged or hostile file would have. */
function withMeta(meta: unknown, tensors: Record<string, ReturnType<typeof tensor>> = {}): Uint8Array {
  return serializeSafetensors(tensors, { format: 'backprop-checkpoint', 'backprop.version': '1', 'backprop.checkpoint': JSON.stringify(meta) });
}

test('every field is checked by the rule its constructor uses; each failure is a FormatError naming the file', () => {
  const state = { s: [1, 2, 3, 4], spare: null };
  const okOpt = { state: { 0: { step: 2, expAvg: { $tensor: 'optimizer.0.expAvg' } } }, paramGroups: [{ lr: 0.1, params: [0] }] };
  const buf = { 'optimizer.0.expAvg': tensor([0.5, 0.25]) };
  // the well-formed one loads
  const ck = parseCheckpoint(withMeta({ epoch: 3, step: 10, rng: { loader: state }, optimizer: okOpt }, buf), 'ok.ckpt');
  assert.equal(ck.epoch, 3);
  assert.deepEqual(Array.from((ck.optimizer!.state['0']!['expAvg'] as { data: Float32Array }).data), [0.5, 0.25]);
  const cases: [unknown, RegExp, Record<string, ReturnType<typeof tensor>>?][] = [
    [{ epoch: -1 }, /epoch must be a non-negative integer, got -1/],
    [{ epoch: 1.5 }, /epoch must be a non-negative integer, got 1\.5/],
    [{ epoch: { $number: 'NaN' } }, /epoch must be a non-negative integer, got NaN/],
    [{ epoch: '3' }, /epoch must be a non-negative integer, got "3"/],
    [{ epoch: 1, step: -5 }, /step must be a non-negative integer, got -5/],
    [{ epoch: 1, rng: { loader: { s: ['a', 2, 3, 4], spare: null } } }, /rng 'loader': expected a generator state/],
    [{ epoch: 1, rng: { s: [1, 2, 3, 2 ** 32], spare: null } }, /expected a generator state .* got \{"s":\[1,2,3,4294967296\]/],
    [{ epoch: 1, rng: { s: [0, 0, 0, 0], spare: null } }, /not all 0/],
    [{ epoch: 1, rng: { loader: { s: [1, 2, 3, 4], spare: 'x' } } }, /expected a generator state/],
    [{ epoch: 1, rng: 7 }, /rng must be a generator state or a record of them/],
    [{ epoch: 1, optimizer: { state: { 0: null }, paramGroups: [] } }, /the optimizer state of parameter "0" must be an object, got null/],
    [{ epoch: 1, optimizer: { state: {}, paramGroups: [null] } }, /optimizer parameter group 0 must be an object with params/],
    [{ epoch: 1, optimizer: { state: {}, paramGroups: [{ params: [-1] }] } }, /optimizer parameter group 0 must be an object with params/],
    [{ epoch: 1, optimizer: { state: {}, paramGroups: [{ params: [0], betas: [[0.9]] }] } }, /hyper-parameter 'betas' of optimizer group 0 must be/],
    [{ epoch: 1, optimizer: { state: { 0: { expAvg: { $tensor: 'model.w' } } }, paramGroups: [] } }, /refers to tensor 'model\.w', which the file does not contain/, { 'model.w': tensor([1]) }],
    [[1, 2], /metadata is not a JSON object/],
  ];
  for (const [meta, re, ts] of cases) {
    assert.throws(() => parseCheckpoint(withMeta(meta, ts), 'bad.ckpt'), (e: Error) => e instanceof FormatError && e.message.startsWith('bad.ckpt: ') && re.test(e.message), re.source);
  }
  // and the writer refuses what the reader would refuse
  assert.throws(() => saveCheckpoint(join(dir, 'w.ckpt'), { model: {}, epoch: 1.5 }), ValueError);
  assert.throws(() => saveCheckpoint(join(dir, 'w.ckpt'), { model: {}, epoch: 1, rng: { s: [0, 0, 0, 0], spare: null } }), ValueError);
});

test("model and state names like '__proto__' round-trip through a checkpoint", () => {
  const model: Record<string, ReturnType<typeof tensor>> = {};
  Object.defineProperty(model, '__proto__', { value: tensor([1, 2]), enumerable: true });
  const path = join(dir, 'proto.ckpt');
  saveCheckpoint(path, { model, epoch: 0 });
  const ck = loadCheckpoint(path);
  assert.deepEqual(Object.keys(ck.model), ['__proto__']);
  assert.equal(Object.getPrototypeOf(ck.model), Object.prototype);
});
