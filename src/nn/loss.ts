import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { softplus } from '../ops/activation.js';
import { abs, add, cast, compare, log, mul, neg, sub, where } from '../ops/elementwise.js';
import { gather } from '../ops/indexing.js';
import {
  checkClassTargets, checkClassWeight, checkFiniteInput, classesLast, reduceLoss, type Reduction,
} from '../ops/loss.js';
import { reshape } from '../ops/shape.js';
import { assertFloat } from '../tensor/dtype.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export { crossEntropy, type CrossEntropyOptions, type Reduction } from '../ops/loss.js';

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
  const t = targets.data;
  const m = t.length;
  // ignored rows gather class 0 and are then weighted by 0
  const safe = new Int32Array(m);
  const w = Tensor.zerosOf([m], input.dtype);
  const cw = opts.weight?.data;
  let denom = 0;
  for (let i = 0; i < m; i++) {
    if (t[i] === ignoreIndex) continue;
    safe[i] = t[i]!;
    w.data[i] = cw ? cw[t[i]!]! : 1;
    denom += w.data[i]!;
  }
  const picked = reshape(gather(rows, 1, Tensor.fromRaw(safe, [m, 1])), [m]);
  const losses = neg(mul(picked, w));
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return reshape(losses, targets.shape);
  return reduceLoss('nllLoss', losses, reduction, denom);
}

/** log(q), but −100 where q ≤ e^−100 (PyTorch's clamp), with zero gradient there instead of NaN. */
function clampedLog(q: Tensor): Tensor {
  const ok = compare('gt', q.detach(), Math.exp(-100));
  return where(ok, log(where(ok, q, 1)), -100);
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
  const d = input.data;
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
