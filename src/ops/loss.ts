import { apply, reference } from '../autograd/engine.js';
import { mode, noGrad } from '../autograd/mode.js';
import type { DType } from '../backend/backend.js';
import { DTypeError, NumericsError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { assertFloat } from '../tensor/dtype.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import { add, cast, compare, div, mul, neg, sub, where } from './elementwise.js';
import { indexSelect, scatterAddOp } from './indexing.js';
import { sum } from './reduce.js';
import { permute, reshape, unsqueeze } from './shape.js';
import { logSoftmax, softmax } from './softmax.js';

/** How a loss turns per-element losses into its result. @example mseLoss(y, t, {reduction: 'sum'}) */
export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyAttrs {
  /** ε: the target distribution is (1 − ε)·onehot + ε/C */
  labelSmoothing: number;
  /** rows whose target equals this contribute 0 loss and 0 gradient */
  ignoreIndex: number;
}

/**
 * Per-row softmax cross-entropy of logits [M, C] against int32 targets [M], with an optional
 * class weight [C] as a third input. Row i's loss is Σ_c q_ic·(logΣexp(z_i) − z_ic), where
 * q_i = (1 − ε)·w[t_i]·onehot(t_i) + (ε/C)·w: PyTorch's formula, label smoothing included.
 * Fused so the log-softmax is computed shifted by the row max and never overflows, even for
 * logits like 1e4, and so backward is the short softmax − target rule.
 */
export const crossEntropyOp = defineOp<CrossEntropyAttrs>({
  name: 'crossEntropy',
  forward: (b, [logits, targets, weight], attrs) => {
    const [m, c] = logits!.shape as [number, number];
    if (!b.crossEntropy) return reference(() => crossEntropyReference(logits!, targets!, weight ?? null, attrs));
    const out = b.alloc(logits!.dtype, m);
    b.crossEntropy(logits!.storage, targets!.storage, weight?.storage ?? null, { rows: m, cols: c, ...attrs }, out);
    return { storage: out, shape: [m] };
  },
  // ∂loss_i/∂z_i = softmax(z_i)·Σ_c q_ic − q_i, scaled by g_i: one fused kernel
  backward: (g, { inputs: [logits, targets, weight], attrs }) => {
    const grad = apply(crossEntropyGradOp, weight ? [logits!, g, targets!, weight] : [logits!, g, targets!], attrs);
    return weight ? [grad, null, null] : [grad, null];
  },
});

/**
 * The gradient of crossEntropy w.r.t. its logits, (softmax(z)·Σ_c q_c − q)·g per row, from
 * inputs [logits, g, targets, weight?]. A primitive of its own so the backward pass is one kernel;
 * its rule (through the softmax Jacobian) keeps second derivatives working.
 */
export const crossEntropyGradOp = defineOp<CrossEntropyAttrs>({
  name: 'crossEntropyGrad',
  forward: (b, [logits, g, targets, weight], attrs) => {
    const [m, c] = logits!.shape as [number, number];
    if (!b.crossEntropyGrad) {
      return reference(() => {
        const { q, rowSum } = targetDistribution(logits!, targets!, weight ?? null, attrs);
        return mul(sub(mul(softmax(logits!, -1), rowSum), q), unsqueeze(g!, 1));
      });
    }
    const out = b.alloc(logits!.dtype, m * c);
    b.crossEntropyGrad(logits!.storage, targets!.storage, weight?.storage ?? null, g!.storage, { rows: m, cols: c, ...attrs }, out);
    return { storage: out, shape: [m, c] };
  },
  backward: (G, { inputs: [logits, g, targets, weight], attrs }) => {
    const { q, rowSum } = noGrad(() => targetDistribution(logits!, targets!, weight ?? null, attrs));
    const p = softmax(logits!, -1);
    const scaled = mul(p, rowSum);
    // out = (p·s − q)·g, so ∂/∂g_i = Σ_c G_ic·(p_ic·s_i − q_ic)
    const dg = sum(mul(G, sub(scaled, q)), -1);
    // ∂/∂z through the softmax Jacobian: p ⊙ (u − Σ_c u_c·p_c) with u = G·s·g
    const u = mul(mul(G, unsqueeze(g!, 1)), rowSum);
    const dz = mul(p, sub(u, sum(mul(u, p), -1, true)));
    return weight ? [dz, dg, null, null] : [dz, dg, null];
  },
});

/** Per-row loss Σ_c q_ic·(−log softmax(z_i)_c) from core ops, for backends without the fused kernel. */
function crossEntropyReference(logits: Tensor, targets: Tensor, weight: Tensor | null, a: CrossEntropyAttrs): Tensor {
  const { q } = targetDistribution(logits, targets, weight, a);
  return neg(sum(mul(q, logSoftmax(logits, -1)), -1));
}

/**
 * The (smoothed, weighted) target distribution q [M, C] and its row sums [M, 1]:
 * q_i = (1 − ε)·w[t_i]·onehot(t_i) + (ε/C)·w, and 0 for ignored rows. Built with ops, so it runs
 * on the targets' device without reading them back.
 */
function targetDistribution(logits: Tensor, targets: Tensor, weight: Tensor | null, a: CrossEntropyAttrs): { q: Tensor; rowSum: Tensor } {
  const [m, c] = logits.shape as [number, number];
  const eps = a.labelSmoothing;
  const valid = cast(compare('ne', targets, a.ignoreIndex), logits.dtype); // [M]
  const t = where(compare('ne', targets, a.ignoreIndex), targets, Tensor.scalar(0, 'int32'));
  const onehot = apply(scatterAddOp, [Tensor.onesOf([m, 1], logits.dtype, logits.device), reshape(t, [m, 1])], { axis: 1, shape: [m, c] });
  const wt = weight ? mul(indexSelect(weight, 0, t), valid) : valid; // w[t_i] on counted rows
  let q = mul(onehot, unsqueeze(mul(wt, 1 - eps), 1));
  let rowSum = mul(wt, 1 - eps);
  if (eps > 0) {
    const spread = mul(weight ?? Tensor.onesOf([c], logits.dtype, logits.device), eps / c); // [C]
    q = add(q, mul(unsqueeze(valid, 1), spread));
    rowSum = add(rowSum, mul(valid, sum(spread)));
  }
  return { q, rowSum: unsqueeze(rowSum, 1) };
}

/** With setCheckNumerics on, names the loss and argument holding a NaN/Inf before it spreads. */
export function checkFiniteInput(op: string, what: string, t: Tensor): void {
  if (!mode.checkNumerics || t.dtype === 'int32' || t.device !== 'cpu') return;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw new NumericsError(`${op}: ${what} contains ${d[i]} at flat index ${i} (shape ${fmtShape(t.shape)}; setCheckNumerics is on)`);
    }
  }
}

/** Applies a loss reduction to per-element losses; `mean` divides by `denom` when given. */
export function reduceLoss(op: string, losses: Tensor, reduction: Reduction, denom?: Tensor | number): Tensor {
  switch (reduction) {
    case 'none': return losses;
    case 'sum': return sum(losses);
    case 'mean': return div(sum(losses), denom ?? losses.size);
    default: throw new ValueError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
}

/** Moves the class dim (1) last and flattens: [N, C, d1, ...] → [N·d1·..., C]. */
export function classesLast(x: Tensor): Tensor {
  if (x.shape.length <= 2) return x;
  const r = x.shape.length;
  const perm = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  return reshape(permute(x, perm), [-1, x.shape[1]!]);
}

/** Checks that int32 class targets fit `input` ([N, C, ...] vs [N, ...]) and are in range. */
export function checkClassTargets(op: string, input: Tensor, targets: Tensor, ignoreIndex: number): void {
  if (targets.dtype !== 'int32') {
    throw new DTypeError(`${op}: targets must be int32 class indices, got ${targets.dtype}; convert with .int() (or pass float probabilities of the input's shape)`);
  }
  const expected = input.shape.length === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
  if (!sameShape(targets.shape, expected)) {
    throw new ShapeError(`${op}: input ${fmtShape(input.shape)} needs targets of shape ${fmtShape(expected)} ([N] for [N, C], [N, d1, ...] for [N, C, d1, ...]), got ${fmtShape(targets.shape)}`);
  }
  const c = input.shape.length === 1 ? input.shape[0]! : input.shape[1]!;
  // GPU targets cannot be read without stalling; there an out-of-range target gives a NaN loss
  if (targets.device !== 'cpu') return;
  const d = targets.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if ((v < 0 || v >= c) && v !== ignoreIndex) {
      throw new ValueError(`${op}: target ${v} (at index ${i}) is out of range for ${c} classes; labels must be in 0..${c - 1}`);
    }
  }
}

export function checkClassWeight(op: string, weight: Tensor | undefined | null, c: number): void {
  if (weight && (weight.shape.length !== 1 || weight.shape[0] !== c)) {
    throw new ShapeError(`${op}: weight must have one entry per class, shape [${c}], got ${fmtShape(weight.shape)}`);
  }
}

/** Options of crossEntropy: class weights, ignoreIndex, labelSmoothing, reduction. @example crossEntropy(z, y, {labelSmoothing: 0.1}) */
export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** ε in [0, 1]: mixes the one-hot target with the uniform distribution (default 0) */
  labelSmoothing?: number;
  /** per-class weights [C] (a constant: no gradient flows to it) */
  weight?: Tensor;
  /** targets equal to this are skipped, and excluded from the mean (default -100) */
  ignoreIndex?: number;
}

/**
 * Softmax cross-entropy between logits [N, C] (or [N, C, d1, ...]) and int32 class indices
 * [N] (or [N, d1, ...]), as torch's cross_entropy. Stable for very large logits.
 * Float targets of the logits' shape are treated as class probabilities.
 * @example crossEntropy(model.forward(x), y, {labelSmoothing: 0.1})
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  const eps = opts.labelSmoothing ?? 0;
  const ignoreIndex = opts.ignoreIndex ?? -100;
  assertFloat('crossEntropy', logits.dtype);
  if (!(eps >= 0 && eps <= 1)) throw new ValueError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  if (logits.shape.length === 0) throw new ShapeError('crossEntropy: logits must have a class dimension, got a scalar');
  const c = logits.shape.length === 1 ? logits.shape[0]! : logits.shape[1]!;
  checkClassWeight('crossEntropy', opts.weight, c);
  checkFiniteInput('crossEntropy', 'logits', logits);
  if (targets.dtype !== 'int32' && sameShape(targets.shape, logits.shape)) return softCrossEntropy(logits, targets, opts);
  checkClassTargets('crossEntropy', logits, targets, ignoreIndex);
  const rows = logits.shape.length === 1 ? reshape(logits, [1, c]) : classesLast(logits);
  const t = reshape(targets, [-1]);
  const weight = opts.weight ? cast(opts.weight.detach(), logits.dtype) : null;
  const inputs = weight ? [rows, t, weight] : [rows, t];
  const losses = apply(crossEntropyOp, inputs, { labelSmoothing: eps, ignoreIndex });
  if (reduction === 'none') return reshape(losses, targets.shape);
  // the mean is over the weights of the counted targets, as PyTorch normalizes it
  return reduceLoss('crossEntropy', losses, reduction, countedWeight(t, weight, ignoreIndex, logits.dtype));
}

/** Σ over counted targets of their class weight (their number when unweighted): the mean's divisor. */
export function countedWeight(targets: Tensor, weight: Tensor | null, ignoreIndex: number, dtype: DType): Tensor | number {
  if (weight === null && targets.device === 'cpu') {
    // the common case, without launching ops
    const d = targets.data;
    let n = 0;
    for (let i = 0; i < d.length; i++) if (d[i] !== ignoreIndex) n++;
    return n;
  }
  const counted = compare('ne', targets, ignoreIndex);
  // on a device: the number of counted targets in three kernels, nothing read back
  if (weight === null) return sum(cast(counted, dtype));
  const safe = where(counted, targets, Tensor.scalar(0, 'int32'));
  return sum(mul(indexSelect(weight, 0, safe), cast(counted, dtype)));
}

/** Cross-entropy against class probabilities: −Σ_c w_c·y_c·log softmax(z)_c per sample. */
function softCrossEntropy(logits: Tensor, probs: Tensor, opts: CrossEntropyOptions): Tensor {
  const eps = opts.labelSmoothing ?? 0;
  const c = logits.shape.length === 1 ? logits.shape[0]! : logits.shape[1]!;
  checkFiniteInput('crossEntropy', 'target probabilities', probs);
  let y = cast(probs, logits.dtype);
  if (eps > 0) y = mul(y, 1 - eps).add(eps / c);
  const dim = logits.shape.length === 1 ? 0 : 1;
  let terms = mul(logSoftmax(logits, dim), y);
  if (opts.weight) {
    const shape = logits.shape.map((d, i) => (i === dim ? d : 1));
    terms = mul(terms, reshape(cast(opts.weight.detach(), logits.dtype), shape));
  }
  // the mean is over the batch and spatial positions, as PyTorch does for probability targets
  return reduceLoss('crossEntropy', neg(sum(terms, dim)), opts.reduction ?? 'mean');
}
