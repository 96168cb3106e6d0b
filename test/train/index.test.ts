import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';
import { tensor, randn, zeros } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { isGradEnabled } from '../../src/autograd/mode.js';
import { ShapeError } from '../../src/errors.js';
import * as optim from '../../src/optim/index.js';
import { fit, evaluate, type TrainableModel, type EpochLog, type BatchLog } from '../../src/train/index.js';

// A hand-written linear classifier: fit only needs the Module shape, not nn itself.
class Linear2 implements TrainableModel {
  training = true;
  evalCalls = 0;
  gradSeen: boolean[] = [];
  readonly w: Tensor;
  readonly b: Tensor;
  constructor(inF: number, outF: number, g: Generator) {
    this.w = randn([inF, outF], { generator: g }).mul(0.1).detach().requiresGrad_();
    this.b = zeros([outF]).requiresGrad_();
  }
  forward(x: Tensor): Tensor {
    this.gradSeen.push(isGradEnabled());
    return x.matmul(this.w).add(this.b);
  }
  parameters(): Tensor[] { return [this.w, this.b]; }
  train(on = true): this { this.training = on; return this; }
  eval(): this { this.evalCalls++; this.training = false; return this; }
}

const crossEntropy = (logits: Tensor, y: Tensor): Tensor =>
  logits.logSoftmax(1).gather(1, y.unsqueeze(1)).mean().neg();

// Two gaussian clusters at (-2,-2) and (2,2): linearly separable, so accuracy must reach ~1.
function clusters(n: number, seed: number): Array<[Tensor, Tensor]> {
  const g = new Generator(seed);
  const batches: Array<[Tensor, Tensor]> = [];
  for (let b = 0; b < n; b++) {
    const xs: number[][] = [];
    const ys: number[] = [];
    for (let i = 0; i < 16; i++) {
      const c = i % 2;
      xs.push([(c ? 2 : -2) + 0.5 * g.normal(), (c ? 2 : -2) + 0.5 * g.normal()]);
      ys.push(c);
    }
    batches.push([tensor(xs), tensor(ys, { dtype: 'int32' })]);
  }
  return batches;
}

test('fit lowers the loss and reaches full accuracy on separable data', async () => {
  const model = new Linear2(2, 2, new Generator(1));
  const batches: BatchLog[] = [];
  const epochs: EpochLog[] = [];
  const history = await fit(model, clusters(8, 2), {
    optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
    loss: crossEntropy,
    epochs: 5,
    validation: clusters(4, 3),
    callbacks: { onBatchEnd: (b) => batches.push(b), onEpochEnd: (e) => { epochs.push(e); } },
  });
  assert.equal(history.length, 5);
  assert.deepEqual(epochs, history);
  assert.equal(batches.length, 5 * 8);
  assert.deepEqual([batches[0]!.epoch, batches[0]!.batch, batches[0]!.samples], [1, 1, 16]);
  assert.equal(batches[39]!.samples, 128);
  assert.ok(history[4]!.trainLoss < history[0]!.trainLoss / 2, `loss ${history[0]!.trainLoss} -> ${history[4]!.trainLoss}`);
  assert.equal(history[4]!.testAccuracy, 1);
  assert.ok(history[4]!.testLoss! < 0.1);
  assert.equal(history[4]!.lr, 0.1);
  for (const e of history) assert.ok(e.seconds >= 0 && e.samplesPerSecond > 0);
  assert.equal(model.training, true, 'fit restores the mode the model had');
});

test('evaluate runs without a graph in eval mode and restores the mode', () => {
  const model = new Linear2(2, 2, new Generator(1));
  model.gradSeen = [];
  const r = evaluate(model, clusters(3, 4), { loss: crossEntropy });
  assert.deepEqual(model.gradSeen, [false, false, false]);
  assert.equal(model.training, true);
  assert.equal(model.evalCalls, 1);
  assert.ok(r.loss > 0 && Number.isFinite(r.loss));
  assert.ok(r.accuracy !== null && r.accuracy >= 0 && r.accuracy <= 1);
  model.eval();
  evaluate(model, clusters(1, 4), { loss: crossEntropy });
  assert.equal(model.training, false, 'a model in eval mode stays in eval mode');
  assert.equal(isGradEnabled(), true);
});

test('evaluate weights batch losses by batch size and counts accuracy per sample', () => {
  // a model that always predicts class 0 with a fixed logit gap
  const model: TrainableModel = {
    training: false, train() {}, eval() {}, parameters: () => [],
    forward: (x) => tensor(Array.from({ length: x.shape[0]! }, () => [1, 0])),
  };
  const batches: Array<[Tensor, Tensor]> = [
    [zeros([3, 2]), tensor([0, 0, 0], { dtype: 'int32' })],
    [zeros([1, 2]), tensor([1], { dtype: 'int32' })],
  ];
  const r = evaluate(model, batches, { loss: crossEntropy });
  const l0 = Math.log(1 + Math.exp(-1));
  const l1 = Math.log(1 + Math.exp(1));
  assert.ok(Math.abs(r.loss - (3 * l0 + l1) / 4) < 1e-6);
  assert.equal(r.accuracy, 0.75);
  const reg = evaluate({ ...model, forward: (x) => x.sum(1) }, batches.map(([x]) => [x, x.sum(1)] as [Tensor, Tensor]),
    { loss: (o, y) => o.sub(y).pow(2).mean() });
  assert.equal(reg.accuracy, null, 'no accuracy for a regression output');
});

test('aborting stops fit at the next batch boundary with the signal reason', async () => {
  const model = new Linear2(2, 2, new Generator(1));
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  let steps = 0;
  const step = opt.step.bind(opt);
  opt.step = () => { steps++; step(); };
  const ctl = new AbortController();
  await assert.rejects(
    fit(model, clusters(8, 2), {
      optimizer: opt, loss: crossEntropy, epochs: 3, signal: ctl.signal,
      callbacks: { onBatchEnd: (b) => { if (b.batch === 3) ctl.abort(); } },
    }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.equal(steps, 3);
  const reason = new Error('stop');
  const ctl2 = new AbortController();
  ctl2.abort(reason);
  await assert.rejects(fit(model, clusters(1, 2), { optimizer: opt, loss: crossEntropy, epochs: 1, signal: ctl2.signal }), (e) => e === reason);
});

test('fit yields to the event loop, so a timer can abort it', async () => {
  const model = new Linear2(2, 2, new Generator(1));
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 20);
  const t0 = Date.now();
  await assert.rejects(
    fit(model, clusters(4, 2), { optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }), loss: crossEntropy, epochs: 1e6, signal: ctl.signal }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.ok(Date.now() - t0 < 5000);
});

test('initialEpoch continues the numbering and the scheduler steps once per epoch', async () => {
  const model = new Linear2(2, 2, new Generator(1));
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const metrics: Array<number | undefined> = [];
  const history = await fit(model, clusters(2, 2), {
    optimizer: opt, loss: crossEntropy, epochs: 4, initialEpoch: 2, validation: clusters(1, 3),
    scheduler: { step: (m) => metrics.push(m) },
  });
  assert.deepEqual(history.map((e) => e.epoch), [3, 4]);
  assert.deepEqual(metrics, history.map((e) => e.testLoss));
  const sched = new optim.StepLR(opt, { stepSize: 1, gamma: 0.5 });
  const h2 = await fit(model, clusters(2, 2), { optimizer: opt, loss: crossEntropy, epochs: 2, scheduler: sched });
  assert.deepEqual(h2.map((e) => e.lr), [0.05, 0.025]);
});

test('fit rejects a non-scalar loss and bad options with typed errors', async () => {
  const model = new Linear2(2, 2, new Generator(1));
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  await assert.rejects(fit(model, clusters(1, 2), { optimizer: opt, loss: (o) => o, epochs: 1 }), ShapeError);
  await assert.rejects(fit(model, clusters(1, 2), { optimizer: opt, loss: crossEntropy, epochs: -1 }), /epochs must be a non-negative integer/);
  await assert.rejects(fit(model, [], { optimizer: opt, loss: crossEntropy, epochs: 1 }), /produced no batches/);
});
