import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { softplus } from '../ops/activation.js';
import { abs, add, cast, compare, div, exp, log, mul, neg, sub, where } from '../ops/elementwise.js';
import { gather, indexSelect } from '../ops/indexing.js';
import { noGrad } from '../autograd/mode.js';
import {
  checkClassTargets, checkClassWeight, checkFiniteInput, classesLast, countedWeight, reduceLoss, type Reduction,
} from '../ops/loss.js';
import { reshape } from '../ops/shape.js';
import { sum } from '../ops/reduce.js';
import { crossEntropy, type CrossEntropyOptions } from '../ops/loss.js';
import { assertFloat } from '../tensor/dtype.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export { crossEntropy, type CrossEntropyOptions, type Reduction } from '../ops/loss.js';
import { Module } from './module.js';

/**
 * How a loss reduces its per-element values: 'mean' (default), 'sum' or 'none'.
 * @example mse(pred, y, { reduction: 'sum' })
 */
export interface LossOptions {
  /** 'mean' (default), 'sum', or 'none' for one loss per element */
  reduction?: Reduction;
}

/** Input and target of an elementwise loss must match exactly: silent broadcasting hides bugs. */
function pairUp(op: string, input: Tensor, target: Tensor): Tensor {
  assertFloat(op, input.dtype);
  if (!sameShape(input.shape, target.shape)) {
    const hint = input.size === target.size ? ` (reshape one of them, e.g. target.reshape(${fmtShape(input.shape)}))` : '';
    throw new ShapeError(`${op}: input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} must have the same shape${hint}`);
  }
  checkFiniteInput(op, 'input', input);
  checkFiniteInput(op, 'target', target);
  return cast(target, input.dtype);
}

/**
 * Mean squared error. @example mse(pred, y) // mean((pred − y)²)
 */
export function mse(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const d = sub(input, pairUp('mse', input, target));
  return reduceLoss('mse', mul(d, d), opts.reduction ?? 'mean');
}

/** Mean absolute error. @example l1(pred, y) */
export function l1(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return reduceLoss('l1', abs(sub(input, pairUp('l1', input, target))), opts.reduction ?? 'mean');
}

/**
 * Options of nllLoss.
 * @example nllLoss(logSoftmax(z, 1), y, { weight: classWeights, ignoreIndex: 0 })
 */
export interface NllLossOptions extends LossOptions {
  /** per-class weights [C] */
  weight?: Tensor;
  /** targets equal to this are skipped, and excluded from the mean (default -100) */
  ignoreIndex?: number;
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (or [N, C, d1, ...]) at int32 class
 * targets, as torch's nll_loss. With logSoftmax in front it equals crossEntropy.
 * @example nllLoss(logSoftmax(logits, 1), y)
 */
export function nllLoss(input: Tensor, targets: Tensor, opts: NllLossOptions = {}): Tensor {
  const ignoreIndex = opts.ignoreIndex ?? -100;
  assertFloat('nllLoss', input.dtype);
  if (input.shape.length === 0) throw new ShapeError('nllLoss: input must have a class dimension, got a scalar');
  const c = input.shape.length === 1 ? input.shape[0]! : input.shape[1]!;
  checkClassWeight('nllLoss', opts.weight, c);
  checkClassTargets('nllLoss', input, targets, ignoreIndex);
  checkFiniteInput('nllLoss', 'input', input);
  const rows = input.shape.length === 1 ? reshape(input, [1, c]) : classesLast(input);
  const t = reshape(targets, [-1]);
  const m = t.size;
  // ignored rows gather class 0 and are then weighted by 0; all with ops, on the targets' device
  const counted = compare('ne', t, ignoreIndex);
  const safe = reshape(where(counted, t, Tensor.scalar(0, 'int32')), [m, 1]);
  const w = noGrad(() => {
    const cw = opts.weight ? indexSelect(cast(opts.weight.detach(), input.dtype), 0, reshape(safe, [m])) : Tensor.onesOf([m], input.dtype, input.device);
    return mul(cw, cast(counted, input.dtype));
  });
  const denom = opts.weight ? noGrad(() => sum(w)) : countedWeight(t, null, ignoreIndex, input.dtype);
  const picked = reshape(gather(rows, 1, safe), [m]);
  const losses = neg(mul(picked, w));
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return reshape(losses, targets.shape);
  return reduceLoss('nllLoss', losses, reduction, denom);
}

/** log(q), but −100 where q ≤ e^−100 (PyTorch's clamp), with zero gradient there instead of NaN. */
function clampedLog(q: Tensor): Tensor {
  // test q ≤ e^−100 rather than q > e^−100, so NaN stays NaN (as torch's clamp) instead of −100
  const tiny = compare('le', q.detach(), Math.exp(-100));
  return where(tiny, -100, log(where(tiny, 1, q)));
}

/**
 * Options of binaryCrossEntropy.
 * @example binaryCrossEntropy(p, y, { weight: w, reduction: 'sum' })
 */
export interface BceOptions extends LossOptions {
  /** a rescaling weight broadcast against the input */
  weight?: Tensor;
}

/**
 * Binary cross-entropy between probabilities in [0, 1] and targets of the same shape, as
 * torch's binary_cross_entropy (log terms clamped at −100, so p = 0 or 1 stays finite).
 * Prefer binaryCrossEntropyWithLogits after a sigmoid: it is more stable.
 * @example binaryCrossEntropy(sigmoid(z), y)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BceOptions = {}): Tensor {
  const y = pairUp('binaryCrossEntropy', input, target);
  // a GPU input is not read back to check; there a value outside [0, 1] gives NaN
  const d = input.device === 'cpu' ? input.data : new Float32Array(0);
  for (let i = 0; i < d.length; i++) {
    if (d[i]! < 0 || d[i]! > 1) {
      throw new ValueError(`binaryCrossEntropy: input must hold probabilities in [0, 1], got ${d[i]} at flat index ${i}; pass logits to binaryCrossEntropyWithLogits instead`);
    }
  }
  let losses = neg(add(mul(y, clampedLog(input)), mul(sub(1, y), clampedLog(sub(1, input)))));
  if (opts.weight) losses = mul(losses, opts.weight);
  return reduceLoss('binaryCrossEntropy', losses, opts.reduction ?? 'mean');
}

/**
 * Options of binaryCrossEntropyWithLogits.
 * @example binaryCrossEntropyWithLogits(z, y, { posWeight: tensor([3]) })
 */
export interface BceWithLogitsOptions extends BceOptions {
  /** weight of positive examples, broadcast against the last dim (one per class) */
  posWeight?: Tensor;
}

/**
 * Sigmoid + binary cross-entropy in one stable formula: (1 − y)·z + (1 + (pw − 1)·y)·softplus(−z),
 * finite for any logit, as torch's binary_cross_entropy_with_logits.
 * @example binaryCrossEntropyWithLogits(model.forward(x), y)
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const y = pairUp('binaryCrossEntropyWithLogits', input, target);
  const sp = softplus(neg(input));
  const coef = opts.posWeight ? add(1, mul(sub(opts.posWeight, 1), y)) : null;
  let losses = add(mul(sub(1, y), input), coef ? mul(coef, sp) : sp);
  if (opts.weight) losses = mul(losses, opts.weight);
  return reduceLoss('binaryCrossEntropyWithLogits', losses, opts.reduction ?? 'mean');
}

/** mse under PyTorch's name, F.mse_loss. @example mseLoss(pred, y) */
export const mseLoss = mse;
/** l1 under PyTorch's name, F.l1_loss. @example l1Loss(pred, y) */
export const l1Loss = l1;

export interface SmoothL1Options extends LossOptions {
  /** where the loss turns from quadratic to linear (default 1; 0 gives l1) */
  beta?: number;
}

/**
 * 0.5·d²/beta where |d| < beta, else |d| − 0.5·beta, for d = input − target, as
 * torch.nn.functional.smooth_l1_loss.
 * @example smoothL1Loss(boxes, targets, {beta: 0.5})
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1Options = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new ValueError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  const d = sub(input, pairUp('smoothL1Loss', input, target));
  const ad = abs(d);
  const losses = beta === 0 ? ad : where(compare('lt', ad.detach(), beta), div(mul(mul(d, d), 0.5), beta), sub(ad, 0.5 * beta));
  return reduceLoss('smoothL1Loss', losses, opts.reduction ?? 'mean');
}

export interface HuberOptions extends LossOptions {
  /** where the loss turns from quadratic to linear (default 1) */
  delta?: number;
}

/**
 * 0.5·d² where |d| < delta, else delta·(|d| − 0.5·delta), as torch.nn.functional.huber_loss
 * (smoothL1Loss times delta).
 * @example huberLoss(pred, y, {delta: 2})
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberOptions = {}): Tensor {
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new ValueError(`huberLoss: delta must be positive, got ${delta}`);
  const d = sub(input, pairUp('huberLoss', input, target));
  const ad = abs(d);
  const losses = where(compare('lt', ad.detach(), delta), mul(mul(d, d), 0.5), mul(sub(ad, 0.5 * delta), delta));
  return reduceLoss('huberLoss', losses, opts.reduction ?? 'mean');
}

/**
 * klDiv's options: how to reduce, and whether the target is log-probabilities too.
 * @example
 * const loss = nn.F.klDiv(logSoftmax(student, 1), logSoftmax(teacher, 1), { reduction: 'batchmean', logTarget: true });
 */
export interface KlDivOptions {
  /** 'mean' (over every element, PyTorch's default), 'batchmean' (the sum over the batch size: the true KL divergence), 'sum' or 'none' */
  reduction?: Reduction | 'batchmean';
  /** the target is given as log-probabilities too (default false) */
  logTarget?: boolean;
}

/**
 * The Kullback-Leibler divergence Σ target·(log target − input) of log-probabilities `input`
 * from `target` probabilities (0·log 0 counts as 0), as torch.nn.functional.kl_div.
 * @example klDiv(logSoftmax(student, 1), softmax(teacher, 1), {reduction: 'batchmean'})
 */
export function klDiv(input: Tensor, target: Tensor, opts: KlDivOptions = {}): Tensor {
  const t = pairUp('klDiv', input, target);
  let losses: Tensor;
  if (opts.logTarget) losses = mul(exp(t), sub(t, input));
  else {
    // xlogy: 0 where target is 0, with a zero gradient there instead of 0·(−∞)
    const positive = compare('gt', t.detach(), 0);
    const safe = where(positive, t, Tensor.scalar(1, t.dtype));
    losses = sub(where(positive, mul(t, log(safe)), Tensor.scalar(0, t.dtype)), mul(t, input));
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'batchmean') {
    const batch = input.shape.length === 0 ? 1 : input.shape[0]!;
    return div(sum(losses), batch);
  }
  return reduceLoss('klDiv', losses, reduction);
}

// ---------- loss modules ----------

/** What every loss module takes and gives: (input, target) → loss. */
type LossIn = [input: Tensor, target: Tensor];

/**
 * crossEntropy as a module, as torch.nn.CrossEntropyLoss; a class weight is kept as the
 * buffer `weight`, as PyTorch does.
 * @example const loss = new CrossEntropyLoss({labelSmoothing: 0.1}).call(logits, y)
 */
export class CrossEntropyLoss extends Module<LossIn> {
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(opts: CrossEntropyOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    if (opts.weight) this.registerBuffer('weight', opts.weight);
  }

  /** The class weights, if any. */
  get weight(): Tensor | null {
    return this.ownBuffers().find(([k]) => k === 'weight')?.[1] ?? null;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const w = this.weight;
    return crossEntropy(input, target, { reduction: this.reduction, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing, ...(w ? { weight: w } : {}) });
  }

  override extraRepr(): string {
    return this.labelSmoothing ? `labelSmoothing=${this.labelSmoothing}` : '';
  }
}

/** nllLoss as a module, as torch.nn.NLLLoss (class weight kept as the buffer `weight`). @example new NLLLoss().call(logSoftmax(z, 1), y) */
export class NLLLoss extends Module<LossIn> {
  readonly reduction: Reduction;
  readonly ignoreIndex: number;

  constructor(opts: NllLossOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    if (opts.weight) this.registerBuffer('weight', opts.weight);
  }

  get weight(): Tensor | null {
    return this.ownBuffers().find(([k]) => k === 'weight')?.[1] ?? null;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const w = this.weight;
    return nllLoss(input, target, { reduction: this.reduction, ignoreIndex: this.ignoreIndex, ...(w ? { weight: w } : {}) });
  }
}

/** A loss module around a function of (input, target, options). */
abstract class ElementwiseLoss<O extends { reduction?: unknown }> extends Module<LossIn> {
  constructor(readonly options: O) {
    super();
  }

  override extraRepr(): string {
    return Object.entries(this.options).filter(([k, v]) => v !== undefined && k !== 'weight' && k !== 'posWeight').map(([k, v]) => `${k}=${String(v)}`).join(', ');
  }
}

/** mse as a module, as torch.nn.MSELoss. @example new MSELoss().call(pred, y) */
export class MSELoss extends ElementwiseLoss<LossOptions> {
  constructor(opts: LossOptions = {}) { super(opts); }
  forward(input: Tensor, target: Tensor): Tensor { return mse(input, target, this.options); }
}

/** l1 as a module, as torch.nn.L1Loss. @example new L1Loss({reduction: 'sum'}).call(pred, y) */
export class L1Loss extends ElementwiseLoss<LossOptions> {
  constructor(opts: LossOptions = {}) { super(opts); }
  forward(input: Tensor, target: Tensor): Tensor { return l1(input, target, this.options); }
}

/** smoothL1Loss as a module, as torch.nn.SmoothL1Loss. @example new SmoothL1Loss({beta: 0.5}) */
export class SmoothL1Loss extends ElementwiseLoss<SmoothL1Options> {
  constructor(opts: SmoothL1Options = {}) { super(opts); }
  forward(input: Tensor, target: Tensor): Tensor { return smoothL1Loss(input, target, this.options); }
}

/** huberLoss as a module, as torch.nn.HuberLoss. @example new HuberLoss({delta: 2}) */
export class HuberLoss extends ElementwiseLoss<HuberOptions> {
  constructor(opts: HuberOptions = {}) { super(opts); }
  forward(input: Tensor, target: Tensor): Tensor { return huberLoss(input, target, this.options); }
}

/** klDiv as a module, as torch.nn.KLDivLoss. @example new KLDivLoss({reduction: 'batchmean'}) */
export class KLDivLoss extends ElementwiseLoss<KlDivOptions> {
  constructor(opts: KlDivOptions = {}) { super(opts); }
  forward(input: Tensor, target: Tensor): Tensor { return klDiv(input, target, this.options); }
}

/** binaryCrossEntropy as a module, as torch.nn.BCELoss (weight kept as the buffer `weight`). @example new BCELoss().call(sigmoid(z), y) */
export class BCELoss extends ElementwiseLoss<BceOptions> {
  constructor(opts: BceOptions = {}) {
    super({ reduction: opts.reduction });
    if (opts.weight) this.registerBuffer('weight', opts.weight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const w = this.ownBuffers().find(([k]) => k === 'weight')?.[1];
    return binaryCrossEntropy(input, target, { ...this.options, ...(w ? { weight: w } : {}) });
  }
}

/** binaryCrossEntropyWithLogits as a module, as torch.nn.BCEWithLogitsLoss (buffers `weight`, `pos_weight`). @example new BCEWithLogitsLoss({posWeight}) */
export class BCEWithLogitsLoss extends ElementwiseLoss<BceWithLogitsOptions> {
  constructor(opts: BceWithLogitsOptions = {}) {
    super({ reduction: opts.reduction });
    if (opts.weight) this.registerBuffer('weight', opts.weight);
    if (opts.posWeight) this.registerBuffer('pos_weight', opts.posWeight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const buffers = new Map(this.ownBuffers());
    const w = buffers.get('weight'), pw = buffers.get('pos_weight');
    return binaryCrossEntropyWithLogits(input, target, { ...this.options, ...(w ? { weight: w } : {}), ...(pw ? { posWeight: pw } : {}) });
  }
}
