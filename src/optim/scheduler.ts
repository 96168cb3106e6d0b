import { ValueError } from '../errors.js';
import type { BaseHyper, Optimizer } from './optimizer.js';

/**
 * A scheduler's snapshot, for checkpoints (plain numbers; `best` may be ±Infinity).
 * @example const saved: SchedulerStateDict = sched.stateDict(); later.loadStateDict(saved);
 */
export type SchedulerStateDict = Record<string, number | number[] | string>;

/**
 * Base of the epoch/step-indexed schedulers: `step()` advances `lastEpoch` and sets every
 * group's lr from a closed form of it, so a restored `lastEpoch` reproduces the same lrs.
 * As in PyTorch, constructing a scheduler applies the lr of step 0.
 * @example
 * class HalveEvery10 extends optim.LRScheduler {
 *   constructor(opt: optim.Optimizer) { super(opt); this.step(); }
 *   lrAt(t: number, base: number) { return base * 0.5 ** Math.floor(t / 10); }
 * }
 */
export abstract class LRScheduler {
  readonly optimizer: Optimizer<BaseHyper>;
  /** each group's lr when the scheduler was created */
  baseLrs: number[];
  lastEpoch = -1;
  protected lastLr: number[] = [];

  protected constructor(optimizer: Optimizer<BaseHyper>) {
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lr at step `t` for a group whose base lr is `baseLr` (a closed form, no state). */
  abstract lrAt(t: number, baseLr: number): number;

  /** Advances one step (call once per epoch, or per batch for warmup) and sets the new lrs. */
  step(): void {
    this.lastEpoch += 1;
    this.apply();
  }

  /** Sets every group's lr to lrAt(lastEpoch) (step and loadStateDict call it). */
  protected apply(): void {
    this.lastLr = this.baseLrs.map((b) => this.lrAt(this.lastEpoch, b));
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lastLr[i]!));
  }

  /** The lrs the last step set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** `lastEpoch` and the base lrs, for a checkpoint. @example io.saveCheckpoint(path, { ..., scheduler: sched.stateDict() }) */
  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /** Restores `lastEpoch` and the base lrs, and sets the optimizer's lrs to match. */
  loadStateDict(sd: SchedulerStateDict): void {
    const { lastEpoch, baseLrs } = sd;
    if (typeof lastEpoch !== 'number' || !Array.isArray(baseLrs) || baseLrs.length !== this.optimizer.paramGroups.length) {
      throw new ValueError(
        `${this.constructor.name}.loadStateDict: expected {lastEpoch, baseLrs} with one base lr per group (${this.optimizer.paramGroups.length})`,
      );
    }
    this.lastEpoch = lastEpoch;
    this.baseLrs = [...baseLrs];
    this.apply();
  }
}

function positive(name: string, what: string, v: number, integer = false): void {
  if (!(Number.isFinite(v) && v > 0) || (integer && !Number.isInteger(v))) {
    throw new ValueError(`${name}: ${what} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  }
}

/**
 * Multiplies the lr by `gamma` every `stepSize` steps: lr = base·gamma^⌊t/stepSize⌋.
 * @example const sched = new StepLR(opt, {stepSize: 10, gamma: 0.5}); // after each epoch: sched.step()
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, { stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }) {
    super(optimizer);
    positive('StepLR', 'stepSize', stepSize, true);
    if (!(gamma >= 0)) throw new ValueError(`StepLR: gamma must be non-negative, got ${gamma}`);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.step();
  }

  lrAt(t: number, base: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/**
 * Cosine annealing from the base lr to `etaMin` over `tMax` steps (SGDR without restarts):
 * lr = etaMin + (base − etaMin)·(1 + cos(π·t/tMax))/2.
 * @example const sched = new CosineAnnealingLR(opt, {tMax: epochs});
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer<BaseHyper>, { tMax, etaMin = 0 }: { tMax: number; etaMin?: number }) {
    super(optimizer);
    positive('CosineAnnealingLR', 'tMax', tMax);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.step();
  }

  lrAt(t: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/**
 * Linear warmup: the lr grows linearly from base·startFactor at step 0 to base at
 * `warmupSteps`, then stays (PyTorch's LinearLR with endFactor 1).
 * @example const warm = new LinearWarmup(opt, {warmupSteps: 100, startFactor: 0.01}); // per batch: warm.step()
 */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;

  constructor(optimizer: Optimizer<BaseHyper>, { warmupSteps, startFactor = 1 / 3 }: { warmupSteps: number; startFactor?: number }) {
    super(optimizer);
    positive('LinearWarmup', 'warmupSteps', warmupSteps, true);
    if (!(startFactor > 0 && startFactor <= 1)) throw new ValueError(`LinearWarmup: startFactor must be in (0, 1], got ${startFactor}`);
    this.warmupSteps = warmupSteps;
    this.startFactor = startFactor;
    this.step();
  }

  lrAt(t: number, base: number): number {
    const frac = Math.min(t, this.warmupSteps) / this.warmupSteps;
    return base * (this.startFactor + (1 - this.startFactor) * frac);
  }
}

/**
 * Runs schedulers one after another: `schedulers[i]` takes over at step `milestones[i-1]`, counting
 * its own steps from 0 there (PyTorch's SequentialLR). All share the first one's base lrs.
 * @example new SequentialLR(opt, {schedulers: [new LinearWarmup(opt, {warmupSteps: 5}), new CosineAnnealingLR(opt, {tMax: 95})], milestones: [5]})
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: readonly LRScheduler[];
  readonly milestones: readonly number[];

  constructor(optimizer: Optimizer<BaseHyper>, { schedulers, milestones }: { schedulers: readonly LRScheduler[]; milestones: readonly number[] }) {
    super(optimizer);
    if (schedulers.length === 0) throw new ValueError('SequentialLR: expected at least one scheduler');
    if (milestones.length !== schedulers.length - 1) {
      throw new ValueError(`SequentialLR: ${schedulers.length} schedulers need ${schedulers.length - 1} milestones, got ${milestones.length}`);
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m <= (i === 0 ? 0 : milestones[i - 1]!)) throw new ValueError(`SequentialLR: milestones must be increasing positive integers, got [${milestones.join(', ')}]`);
    });
    schedulers.forEach((sc, i) => {
      if (sc.optimizer !== optimizer) throw new ValueError(`SequentialLR: scheduler ${i} belongs to a different optimizer`);
    });
    // the first scheduler saw the untouched lrs; the later ones were built after it changed them
    this.baseLrs = [...schedulers[0]!.baseLrs];
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    this.step();
  }

  lrAt(t: number, base: number): number {
    let i = 0;
    while (i < this.milestones.length && t >= this.milestones[i]!) i++;
    return this.schedulers[i]!.lrAt(i === 0 ? t : t - this.milestones[i - 1]!, base);
  }
}

/**
 * When ReduceLROnPlateau cuts the lr, and by how much, as in PyTorch.
 * @example new ReduceLROnPlateau(opt, { mode: 'max', factor: 0.5, patience: 3 })
 */
export interface ReduceLROnPlateauOptions {
  /** 'min': lower metrics are better (a loss); 'max': higher are better (an accuracy) */
  mode?: 'min' | 'max';
  /** the lr is multiplied by this on a plateau (default 0.1) */
  factor?: number;
  /** number of steps without improvement tolerated before the lr is reduced */
  patience?: number;
  /** the smallest change that counts as an improvement */
  threshold?: number;
  /** 'rel': relative to the best value; 'abs': an absolute margin */
  thresholdMode?: 'rel' | 'abs';
  /** steps to wait after a reduction before counting bad steps again */
  cooldown?: number;
  /** the lr never goes below this, one for all groups or one per group (default 0) */
  minLr?: number | number[];
  /** reductions smaller than this are skipped */
  eps?: number;
}

/**
 * Reduces the lr by `factor` when a metric has stopped improving for `patience` steps, with
 * PyTorch's semantics (relative/absolute threshold, cooldown, minLr).
 * @example const sched = new ReduceLROnPlateau(opt, {patience: 3}); // after validating: sched.step(valLoss)
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer<BaseHyper>;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(optimizer: Optimizer<BaseHyper>, opts: ReduceLROnPlateauOptions = {}) {
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = opts;
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`ReduceLROnPlateau: mode must be 'min' or 'max', got '${String(mode)}'`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new ValueError(`ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got '${String(thresholdMode)}'`);
    }
    if (!(factor >= 0 && factor < 1)) throw new ValueError(`ReduceLROnPlateau: factor must be in [0, 1), got ${factor}`);
    const n = optimizer.paramGroups.length;
    const minLrs = Array.isArray(minLr) ? [...minLr] : new Array<number>(n).fill(minLr);
    if (minLrs.length !== n) throw new ValueError(`ReduceLROnPlateau: got ${minLrs.length} minLr values for ${n} parameter groups`);
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
    this.best = mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (1 + threshold) : a > best + threshold;
  }

  /** Records one value of the monitored metric, reducing the lr if it has plateaued. */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) throw new ValueError(`ReduceLROnPlateau.step: expected a numeric metric, got ${metric}`);
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad steps during cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** The optimizer's current lrs, one per group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The plateau tracking state (best value, bad-step and cooldown counters), for a checkpoint. */
  stateDict(): SchedulerStateDict {
    return { best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch };
  }

  /** Restores what stateDict saved (a JSON null `best` means none yet). */
  loadStateDict(sd: SchedulerStateDict): void {
    const { best, numBadEpochs, cooldownCounter, lastEpoch } = sd;
    // checkpoints written as JSON may turn ±Infinity into null; that means "no best yet"
    const b = best === null || best === undefined ? (this.mode === 'min' ? Infinity : -Infinity) : best;
    if (typeof b !== 'number' || typeof numBadEpochs !== 'number' || typeof cooldownCounter !== 'number' || typeof lastEpoch !== 'number') {
      throw new ValueError('ReduceLROnPlateau.loadStateDict: expected {best, numBadEpochs, cooldownCounter, lastEpoch}');
    }
    this.best = b;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
    this.lastEpoch = lastEpoch;
  }
}
