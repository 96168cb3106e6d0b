import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/mode.js';
import { DeviceError, ValueError, ShapeError, fmtShape } from '../errors.js';
import { add, cast, eq, mul } from '../ops/elementwise.js';
import { argmax, sum } from '../ops/reduce.js';
import { checkCount } from '../validate.js';

/**
 * The training loop: `fit` runs epochs of forward, loss, backward and optimizer step over a
 * loader; `evaluate` measures loss and accuracy without recording a graph. Both take anything
 * shaped like an `nn.Module`, an `optim.Optimizer` and a `data.DataLoader`, so a hand-written
 * model or a plain array of batches works too.
 */

/**
 * What fit and evaluate need from a model: `nn.Module` satisfies it.
 * @example
 * const model: TrainableModel = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 2));
 */
export interface TrainableModel {
  /** the model's output for a batch of inputs */
  forward(x: Tensor): Tensor;
  /** the tensors the optimizer updates */
  parameters(): Tensor[];
  /** true in train mode */
  training: boolean;
  /** switches to train mode (fit calls it before each epoch) */
  train(on?: boolean): unknown;
  /** switches to eval mode (for validation and evaluate) */
  eval(): unknown;
}

/**
 * What fit needs from an optimizer: `optim.Optimizer` satisfies it.
 * @example
 * const opt: StepOptimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
 */
export interface StepOptimizer {
  /** clears the gradients before a batch's backward pass */
  zeroGrad(): void;
  /** updates the parameters from their gradients */
  step(): void;
}

/**
 * A learning-rate scheduler. `step(metric)` is called with the epoch's validation loss (or the
 * training loss without validation): `ReduceLROnPlateau` uses it, the others ignore it.
 * @example
 * const sched: StepScheduler = new optim.StepLR(opt, { stepSize: 10, gamma: 0.5 });
 */
export interface StepScheduler {
  /** advances the schedule by one epoch (or batch) */
  step(metric?: number): void;
}

/**
 * A batch source: a `DataLoader`, or any iterable of `[inputs, targets]` pairs.
 * @example
 * const batches: BatchSource = [[tensor([[0, 1]]), tensor([1], { dtype: 'int32' })]];
 */
export type BatchSource = Iterable<readonly [Tensor, Tensor]> & { length?: number };

/**
 * A loss taking the model's output and the targets, returning a scalar averaged over the batch.
 * @example
 * const loss: LossFn = (out, y) => nn.F.crossEntropy(out, y, { labelSmoothing: 0.1 });
 */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/**
 * What fit reports after each batch (to `callbacks.onBatchEnd`).
 * @example
 * await fit(model, loader, { optimizer, loss, epochs: 1, callbacks: { onBatchEnd: (b) => console.log(b.batch, b.loss) } });
 */
export interface BatchLog {
  /** 1-based epoch number */
  epoch: number;
  /** 1-based batch number within the epoch */
  batch: number;
  /** batches per epoch, when the loader knows its length */
  batches: number | null;
  /** this batch's loss */
  loss: number;
  /** sample-weighted mean loss of the epoch so far */
  runningLoss: number;
  /** fraction of correct predictions in the epoch so far (null when the output is not [N, classes]) */
  runningAccuracy: number | null;
  /** samples seen in this epoch so far */
  samples: number;
  /** training samples per second in this epoch so far */
  samplesPerSecond: number;
}

/**
 * What fit reports after each epoch (to `callbacks.onEpochEnd`, and in the history it resolves to).
 * @example
 * const [first] = await fit(model, loader, { optimizer, loss, epochs: 1 });
 * console.log(first.trainLoss, first.samplesPerSecond);
 */
export interface EpochLog {
  /** 1-based epoch number */
  epoch: number;
  /** sample-weighted mean training loss of the epoch (measured in training mode, while learning) */
  trainLoss: number;
  /** fraction correct in the epoch (null when the output is not [N, classes]) */
  trainAccuracy: number | null;
  /** loss and accuracy on `validation`, or null without one */
  testLoss: number | null;
  /** fraction correct on `validation`, or null */
  testAccuracy: number | null;
  /** wall time of the epoch including validation */
  seconds: number;
  /** training samples per second (validation time excluded) */
  samplesPerSecond: number;
  /** learning rate of the first param group at the end of the epoch, when the optimizer has one */
  lr: number | null;
}

/**
 * Hooks fit calls as it trains.
 * @example
 * const callbacks: FitCallbacks = { onEpochEnd: (e) => console.log(`epoch ${e.epoch}: ${e.trainLoss}`) };
 */
export interface FitCallbacks {
  /** after every batch, with the running loss and accuracy */
  onBatchEnd?(log: BatchLog): void;
  /** May return a promise (for example a checkpoint write); fit waits for it before going on. */
  onEpochEnd?(log: EpochLog): void | Promise<void>;
}

/**
 * How fit trains: optimizer, loss and epochs, plus optional validation, callbacks,
 * scheduler and abort signal.
 * @example
 * const opts: FitOptions = { optimizer: new optim.Adam(model.parameters()), loss: nn.F.crossEntropy, epochs: 10 };
 */
export interface FitOptions {
  /** updates the parameters after each batch */
  optimizer: StepOptimizer;
  /** e.g. `nn.F.crossEntropy`; must average over the batch (reduction 'mean') */
  loss: LossFn;
  /** total number of epochs; with `initialEpoch` the run continues up to this number */
  epochs: number;
  /** epochs already done (when resuming from a checkpoint); default 0 */
  initialEpoch?: number;
  /** batches measured (without a graph, in eval mode) after each epoch */
  validation?: BatchSource;
  /** hooks called after each batch and epoch */
  callbacks?: FitCallbacks;
  /** aborting stops fit at the next batch boundary; fit then rejects with `signal.reason` */
  signal?: AbortSignal;
  /** stepped once per epoch (or per batch, see schedulerInterval) */
  scheduler?: StepScheduler;
  /** call `scheduler.step()` once per epoch (default, PyTorch's usual placement) or after every batch */
  schedulerInterval?: 'epoch' | 'batch';
  /** yield to the event loop every this many batches so timers and abort signals can fire; default 1 */
  yieldEvery?: number;
}

/**
 * How evaluate measures: the loss to average.
 * @example evaluate(model, testLoader, { loss: nn.F.crossEntropy })
 */
export interface EvaluateOptions {
  /** e.g. `nn.F.crossEntropy`, averaged over each batch */
  loss: LossFn;
}

/**
 * What evaluate measures over the whole loader.
 * @example
 * const { loss, accuracy } = evaluate(model, testLoader, { loss: nn.F.crossEntropy });
 */
export interface EvaluateResult {
  /** sample-weighted mean loss */
  loss: number;
  /** fraction correct, or null when the output is not [N, classes] with int32 class targets */
  accuracy: number | null;
}

/**
 * One log per epoch, as fit resolves.
 * @example
 * const history: History = await fit(model, loader, opts);
 * const best = Math.max(...history.map((e) => e.testAccuracy ?? 0));
 */
export type History = EpochLog[];

/**
 * Trains `model` for `epochs` epochs and resolves to one log per epoch.
 *
 * fit is async: between batches it yields to the event loop, so an `AbortSignal`, a timer or a
 * UI update can run while training. When `signal` aborts, fit finishes the current batch (the
 * model and optimizer are left consistent, never half-stepped) and rejects with `signal.reason`
 * (a DOMException named 'AbortError' unless the caller passed a reason), like `fetch`.
 *
 * @example
 * const history = await fit(model, loader, {
 *   optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
 *   loss: nn.F.crossEntropy, epochs: 5, validation: testLoader,
 *   callbacks: { onEpochEnd: (e) => console.log(e.epoch, e.testAccuracy) },
 * });
 */
export async function fit(model: TrainableModel, loader: BatchSource, opts: FitOptions): Promise<History> {
  const { optimizer, loss, epochs, signal, scheduler, callbacks = {} } = opts;
  const initialEpoch = opts.initialEpoch ?? 0;
  const yieldEvery = opts.yieldEvery ?? 1;
  const interval = opts.schedulerInterval ?? 'epoch';
  // the same rule a checkpoint's epoch is read with
  checkCount('fit', 'epochs', epochs);
  checkCount('fit', 'initialEpoch', initialEpoch);
  if (!Number.isInteger(yieldEvery) || yieldEvery < 1) throw new ValueError(`fit: yieldEvery must be a positive integer, got ${yieldEvery}`);
  if (typeof loss !== 'function') throw new ValueError('fit: options.loss must be a function (output, target) => scalar Tensor, e.g. nn.F.crossEntropy');
  if (!optimizer || typeof optimizer.step !== 'function') throw new ValueError('fit: options.optimizer must be an optimizer, e.g. new optim.Adam(model.parameters())');

  const history: History = [];
  const wasTraining = model.training;
  try {
    for (let epoch = initialEpoch + 1; epoch <= epochs; epoch++) {
      signal?.throwIfAborted();
      const start = now();
      model.train(true);
      const batches = typeof loader.length === 'number' ? loader.length : null;
      const acc = new Accumulator();
      let batch = 0;
      for (const [x, y] of loader) {
        batch++;
        optimizer.zeroGrad();
        const out = model.forward(x);
        const l = loss(out, y);
        if (l.size !== 1) throw new ShapeError(`fit: the loss must be a scalar, got shape ${fmtShape(l.shape)}; use reduction 'mean'`);
        l.backward();
        optimizer.step();
        if (scheduler && interval === 'batch') scheduler.step();
        noGrad(() => acc.add(out, y, l));
        if (callbacks.onBatchEnd) {
          // on a GPU this reads the loss back every batch: only when a callback asks for it
          const lv = l.device === 'cpu' ? l.item() : await l.itemAsync();
          await acc.settle();
          callbacks.onBatchEnd({
            epoch, batch, batches, loss: lv,
            runningLoss: acc.loss, runningAccuracy: acc.accuracy, samples: acc.n,
            samplesPerSecond: acc.n / Math.max(1e-9, (now() - start) / 1000),
          });
        }
        if (batch % yieldEvery === 0) await yieldToEventLoop();
        signal?.throwIfAborted();
      }
      if (acc.n === 0) throw new ValueError('fit: the loader produced no batches (is batchSize larger than the dataset with dropLast?)');
      await acc.settle();
      const trainSeconds = (now() - start) / 1000;
      let testLoss: number | null = null;
      let testAccuracy: number | null = null;
      if (opts.validation) {
        const r = await runEvaluation(model, opts.validation, loss, signal, yieldEvery);
        testLoss = r.loss;
        testAccuracy = r.accuracy;
      }
      if (scheduler && interval === 'epoch') scheduler.step(testLoss ?? acc.loss);
      const log: EpochLog = {
        epoch,
        trainLoss: acc.loss,
        trainAccuracy: acc.accuracy,
        testLoss,
        testAccuracy,
        seconds: (now() - start) / 1000,
        samplesPerSecond: acc.n / Math.max(1e-9, trainSeconds),
        lr: firstLr(optimizer),
      };
      history.push(log);
      if (callbacks.onEpochEnd) await callbacks.onEpochEnd(log);
    }
  } finally {
    model.train(wasTraining);
  }
  return history;
}

/**
 * Loss and accuracy of `model` over every batch of `loader`, computed under `noGrad` in eval
 * mode (dropout off, batch norm on running stats); the model's previous mode is restored.
 * @example const { loss, accuracy } = evaluate(model, testLoader, { loss: nn.F.crossEntropy });
 */
export function evaluate(model: TrainableModel, loader: BatchSource, opts: EvaluateOptions): EvaluateResult {
  const steps = evaluationSteps(model, loader, opts.loss);
  for (;;) {
    const r = steps.next();
    if (r.done) {
      if (r.value instanceof Accumulator) {
        throw new DeviceError(`evaluate: the model runs on '${r.value.device}', whose results can only be read asynchronously; use await evaluateAsync(model, loader, opts)`);
      }
      return r.value;
    }
  }
}

/**
 * evaluate for any device: on a GPU the sums stay there until one readback at the end.
 * @example const { loss, accuracy } = await evaluateAsync(model, testLoader, { loss: nn.F.crossEntropy });
 */
export async function evaluateAsync(model: TrainableModel, loader: BatchSource, opts: EvaluateOptions): Promise<EvaluateResult> {
  return runEvaluation(model, loader, opts.loss, undefined, Infinity);
}

async function runEvaluation(
  model: TrainableModel, loader: BatchSource, loss: LossFn, signal: AbortSignal | undefined, yieldEvery: number,
): Promise<EvaluateResult> {
  const steps = evaluationSteps(model, loader, loss);
  try {
    for (let i = 1; ; i++) {
      const r = steps.next();
      if (r.done) {
        if (!(r.value instanceof Accumulator)) return r.value;
        await r.value.settle();
        return { loss: r.value.loss, accuracy: r.value.accuracy };
      }
      if (i % yieldEvery === 0) await yieldToEventLoop();
      signal?.throwIfAborted();
    }
  } finally {
    steps.return(undefined as unknown as EvaluateResult); // runs the generator's finally: restores the mode
  }
}

// One implementation for sync evaluate and for fit's cancellable validation: a generator that
// pauses after each batch. Each batch runs inside its own noGrad so a paused generator never
// leaves grad mode switched off for other code.
// On a device the generator returns its Accumulator, whose sums still have to be read back.
function* evaluationSteps(model: TrainableModel, loader: BatchSource, loss: LossFn): Generator<void, EvaluateResult | Accumulator, void> {
  if (typeof loss !== 'function') throw new ValueError('evaluate: options.loss must be a function (output, target) => scalar Tensor');
  const wasTraining = model.training;
  model.eval();
  try {
    const acc = new Accumulator();
    for (const [x, y] of loader) {
      noGrad(() => {
        const out = model.forward(x);
        const l = loss(out, y);
        if (l.size !== 1) throw new ShapeError(`evaluate: the loss must be a scalar, got shape ${fmtShape(l.shape)}; use reduction 'mean'`);
        acc.add(out, y, l);
      });
      yield;
    }
    if (acc.n === 0) throw new ValueError('evaluate: the loader produced no batches');
    if (acc.pending) return acc;
    return { loss: acc.loss, accuracy: acc.accuracy };
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Sample-weighted running loss and, for classification outputs, running accuracy. On the CPU
 * the sums are numbers; on a GPU they are tensors that stay there until `settle()` reads them
 * back, so a training step never waits for the device.
 */
class Accumulator {
  n = 0;
  private lossSum = 0;
  private correct = 0;
  private classified = true;
  private lossSumT: Tensor | null = null;
  private correctT: Tensor | null = null;
  device = 'cpu';

  add(out: Tensor, y: Tensor, batchLoss: Tensor): void {
    const b = out.shape.length > 0 ? out.shape[0]! : 1;
    this.n += b;
    const classify = this.classified && out.ndim === 2 && y.dtype === 'int32' && y.ndim === 1 && y.shape[0] === b;
    if (!classify) this.classified = false;
    if (batchLoss.device === 'cpu') {
      this.lossSum += batchLoss.item() * b;
      if (classify) this.correct += countCorrect(out, y);
      return;
    }
    this.device = batchLoss.device;
    const l = mul(cast(batchLoss.detach(), 'float32'), b);
    this.lossSumT = this.lossSumT === null ? l : add(this.lossSumT, l);
    if (classify) {
      const c = sum(cast(eq(argmax(out.detach(), 1), y), 'float32'));
      this.correctT = this.correctT === null ? c : add(this.correctT, c);
    }
  }

  /** whether device sums still wait to be read back */
  get pending(): boolean {
    return this.lossSumT !== null;
  }

  /** Reads the device sums back (once, at the end of an epoch or evaluation). */
  async settle(): Promise<void> {
    if (this.lossSumT !== null) {
      this.lossSum += await this.lossSumT.itemAsync();
      this.lossSumT = null;
    }
    if (this.correctT !== null) {
      this.correct += await this.correctT.itemAsync();
      this.correctT = null;
    }
  }

  get loss(): number {
    return this.n === 0 ? NaN : this.lossSum / this.n;
  }

  get accuracy(): number | null {
    return this.classified && this.n > 0 ? this.correct / this.n : null;
  }
}

// Reads the logits directly: cheaper than argmax + eq + sum ops for every batch. Ties go to the
// first maximum, like argmax.
function countCorrect(out: Tensor, y: Tensor): number {
  const [n, c] = out.shape as [number, number];
  const d = out.data;
  const t = y.data;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = d[i * c]!;
    for (let j = 1; j < c; j++) {
      const v = d[i * c + j]!;
      if (v > bv) { bv = v; best = j; }
    }
    if (best === t[i]) correct++;
  }
  return correct;
}

function firstLr(optimizer: StepOptimizer): number | null {
  const groups = (optimizer as { paramGroups?: { lr?: unknown }[] }).paramGroups;
  const lr = groups?.[0]?.lr;
  return typeof lr === 'number' ? lr : null;
}

function now(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

// setImmediate (Node) lets I/O and timers run without the 1-4 ms clamp of setTimeout; browsers
// fall back to setTimeout(0), whose clamp is small next to a batch.
function yieldToEventLoop(): Promise<void> {
  const si = (globalThis as { setImmediate?: (cb: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => {
    if (si) si(resolve);
    else setTimeout(resolve, 0);
  });
}
