import { noGrad } from '../autograd/mode.js';
import { traceScope } from '../autograd/trace.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { add, cast, div, mul, sqrt, sub } from '../ops/elementwise.js';
import { assignInPlace } from '../ops/optim.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { ones, zeros } from '../tensor/creation.js';
import { assertFloat } from '../tensor/dtype.js';
import { sameShape, sizeOf } from '../tensor/shape.js';
import { layerNormLastDim } from '../ops/layer-norm.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Options of the functional batchNorm.
 * @example batchNorm(x, runningMean, runningVar, { weight: gamma, bias: beta, training: true, momentum: 0.1 })
 */
export interface BatchNormOptions {
  /** per-channel scale (default none) */
  weight?: Tensor | null;
  /** per-channel shift (default none) */
  bias?: Tensor | null;
  /** normalize with batch statistics (and update the running ones) instead of running ones */
  training?: boolean;
  /** weight of the new batch statistic in the running average (default 0.1) */
  /** the running statistics' update factor; a tensor for a cumulative average (1/batches, on the device) */
  momentum?: number | Tensor;
  /** added to the variance before the square root (default 1e-5) */
  eps?: number;
}

/**
 * Batch normalization over dim 1 (channels) of [N, C], [N, C, L] or [N, C, H, W], as torch's
 * F.batch_norm. In training it normalizes by the batch mean and biased variance and updates
 * the running statistics in place (the running variance is the unbiased one, as PyTorch);
 * otherwise it uses the running statistics.
 * @example batchNorm(x, runningMean, runningVar, {training: true})
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  assertFloat('batchNorm', x.dtype);
  if (x.shape.length < 2) throw new ShapeError(`batchNorm: expected input [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1]!;
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', opts.weight], ['bias', opts.bias]] as const) {
    if (t && !sameShape(t.shape, [c])) throw new ShapeError(`batchNorm: ${name} must have shape [${c}] for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
  }
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const affine = (y: Tensor): Tensor => {
    if (opts.weight) y = mul(y, reshape(opts.weight, bshape));
    if (opts.bias) y = add(y, reshape(opts.bias, bshape));
    return y;
  };
  if (!(opts.training ?? false)) {
    if (!runningMean || !runningVar) throw new ValueError('batchNorm: running statistics are needed when training is false');
    // an exporter sees one normalization by the running statistics
    const params = [opts.weight, opts.bias].filter((t): t is Tensor => !!t);
    const attrs = { eps, weight: !!opts.weight, bias: !!opts.bias };
    return traceScope('batchNorm', [x, runningMean, runningVar, ...params], attrs, () =>
      affine(div(sub(x, reshape(runningMean, bshape)), sqrt(add(reshape(runningVar, bshape), eps)))));
  }
  const n = x.size / c;
  if (n <= 1) throw new ValueError(`batchNorm: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  const mu = mean(x, axes, true);
  const xc = sub(x, mu);
  const v = mean(mul(xc, xc), axes, true);
  const y = div(xc, sqrt(add(v, eps)));
  noGrad(() => {
    if (runningMean) blend(runningMean, mu, momentum, 1);
    if (runningVar) blend(runningVar, v, momentum, n / (n - 1));
  });
  return affine(y);
}

/** running ← (1 − m)·running + m·scale·stat, in place, with ops (on the running statistics' device). */
function blend(running: Tensor, stat: Tensor, m: number | Tensor, scale: number): void {
  const s = reshape(cast(stat, running.dtype), running.shape);
  // JS numbers stay doubles until they meet the statistics' dtype
  const keep = typeof m === 'number' ? 1 - m : sub(1, m);
  const take = typeof m === 'number' ? m * scale : mul(m, scale);
  assignInPlace(running, add(mul(running, keep), mul(s, take)));
}

/**
 * Options of the BatchNorm1d and BatchNorm2d layers, as in PyTorch.
 * @example new BatchNorm2d(32, { momentum: 0.01, affine: false })
 */
export interface BatchNormLayerOptions {
  /** added to the variance before the square root (default 1e-5) */
  eps?: number;
  /** default 0.1; null gives a cumulative average over all batches seen */
  momentum?: number | null;
  /** learnable per-channel scale and shift (default true) */
  affine?: boolean;
  /** keep running statistics for eval mode (default true) */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;

  constructor(readonly numFeatures: number, opts: BatchNormLayerOptions) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([numFeatures], { requiresGrad: true })) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures], { requiresGrad: true })) : null;
    if (this.trackRunningStats) {
      // PyTorch's state-dict keys, so checkpoints interoperate
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
    }
  }

  get runningMean(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_mean') : null;
  }

  get runningVar(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_var') : null;
  }

  get numBatchesTracked(): number {
    return this.trackRunningStats ? this.buffer('num_batches_tracked').item() : 0;
  }

  /** Throws a ShapeError naming this layer unless x has the rank and channel count it takes. */
  protected abstract checkInput(x: Tensor): void;

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.trackRunningStats}`;
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const updating = this.training && this.trackRunningStats;
    let momentum: number | Tensor = this.momentum ?? 0;
    if (updating) {
      // counted on the buffer's device, never read back
      const count = this.buffer('num_batches_tracked');
      noGrad(() => assignInPlace(count, add(count, 1)));
      // momentum null: a cumulative average, each batch weighted 1/batches
      if (this.momentum === null) momentum = noGrad(() => div(1, cast(count, x.dtype)));
    }
    const useBatchStats = this.training || !this.trackRunningStats;
    const y = batchNorm(x, this.runningMean, this.runningVar, { weight: this.weight, bias: this.bias, training: useBatchStats, momentum, eps: this.eps });
    return y;
  }
}

/**
 * Batch normalization of [N, C] or [N, C, L] input over the batch (and length).
 * @example new Sequential(new Linear(20, 64), new BatchNorm1d(64), new ReLU())
 */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super(numFeatures, opts);
  }

  protected checkInput(x: Tensor): void {
    if ((x.shape.length !== 2 && x.shape.length !== 3) || x.shape[1] !== this.numFeatures) {
      throw this.shapeError(`[N, ${this.numFeatures}] or [N, ${this.numFeatures}, L]`, x.shape);
    }
  }

  override label(): string {
    return `BatchNorm1d(${this.numFeatures})`;
  }
}

/**
 * Batch normalization of NCHW input per channel.
 * @example new Sequential(new Conv2d(1, 8, 3), new BatchNorm2d(8), new ReLU())
 */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super(numFeatures, opts);
  }

  protected checkInput(x: Tensor): void {
    if (x.shape.length !== 4 || x.shape[1] !== this.numFeatures) throw this.shapeError(`[N, ${this.numFeatures}, H, W]`, x.shape);
  }

  override label(): string {
    return `BatchNorm2d(${this.numFeatures})`;
  }
}

/**
 * Options of the functional layerNorm.
 * @example layerNorm(x, [512], { weight: gamma, bias: beta, eps: 1e-6 })
 */
export interface LayerNormOptions {
  /** elementwise scale of shape normalizedShape (default none) */
  weight?: Tensor | null;
  /** elementwise shift of shape normalizedShape (default none) */
  bias?: Tensor | null;
  /** added to the variance before the square root (default 1e-5) */
  eps?: number;
}

/**
 * Normalizes over the trailing dims `normalizedShape` of each sample (biased variance), then
 * scales and shifts, as torch's F.layer_norm.
 * @example layerNorm(x, [512], {weight: g, bias: b})
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], opts: LayerNormOptions = {}): Tensor {
  assertFloat('layerNorm', x.dtype);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (k === 0 || x.shape.length < k || !sameShape(x.shape.slice(x.shape.length - k), ns)) {
    throw new ShapeError(`layerNorm: expected input [..., ${ns.join(', ')}], got ${fmtShape(x.shape)}`);
  }
  const axes = ns.map((_, i) => x.shape.length - k + i);
  const eps = opts.eps ?? 1e-5;
  const params = [opts.weight, opts.bias].filter((t): t is Tensor => !!t);
  return traceScope('layerNorm', [x, ...params], { normalizedShape: ns, eps, weight: !!opts.weight, bias: !!opts.bias }, () => {
    if (params.every((p) => p.dtype === x.dtype)) {
      // one fused op over the flattened trailing dims (reshapes are free)
      const c = sizeOf(ns);
      const flat = (t: Tensor | null | undefined): Tensor | null => (t ? reshape(t, [c]) : null);
      const y = layerNormLastDim(k === 1 ? x : reshape(x, [...x.shape.slice(0, x.shape.length - k), c]), flat(opts.weight), flat(opts.bias), eps);
      return k === 1 ? y : reshape(y, x.shape);
    }
    const mu = mean(x, axes, true);
    const xc = sub(x, mu);
    const v = mean(mul(xc, xc), axes, true);
    let y = div(xc, sqrt(add(v, eps)));
    if (opts.weight) y = mul(y, opts.weight);
    if (opts.bias) y = add(y, opts.bias);
    return y;
  });
}

/**
 * Layer normalization over the last dims of each sample, with learnable scale and shift.
 * @example new LayerNorm(512).forward(x) // x [B, T, 512]
 */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones(this.normalizedShape, { requiresGrad: true })) : null;
    this.bias = affine && (opts.bias ?? true) ? this.registerParameter('bias', zeros(this.normalizedShape, { requiresGrad: true })) : null;
  }

  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (x.shape.length < k || !sameShape(x.shape.slice(x.shape.length - k), this.normalizedShape)) {
      throw this.shapeError(`[..., ${this.normalizedShape.join(', ')}]`, x.shape);
    }
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override label(): string {
    return `LayerNorm(${this.normalizedShape.join(', ')})`;
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

/**
 * groupNorm's optional per-channel affine parameters and ε.
 * @example const y = nn.F.groupNorm(x, 8, { weight: ones([32]), bias: zeros([32]), eps: 1e-5 }); // x [N, 32, H, W]
 */
export interface GroupNormOptions {
  /** per-channel scale [C] */
  weight?: Tensor | null;
  /** per-channel shift [C] */
  bias?: Tensor | null;
  /** added to the variance before the square root (default 1e-5) */
  eps?: number;
}

/**
 * Group normalization of [N, C, ...]: the channels are split into numGroups groups, and each
 * group of each sample is normalized by its own mean and biased variance, then scaled and
 * shifted per channel, as torch.nn.functional.group_norm.
 * @example groupNorm(x, 4, {weight: g, bias: b}) // C = 16: groups of 4 channels
 */
export function groupNorm(x: Tensor, numGroups: number, opts: GroupNormOptions = {}): Tensor {
  assertFloat('groupNorm', x.dtype);
  if (x.shape.length < 2) throw new ShapeError(`groupNorm: expected input [N, C, ...], got ${fmtShape(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new ValueError(`groupNorm: the ${c} channels of input ${fmtShape(x.shape)} must split evenly into numGroups ${numGroups}`);
  }
  for (const [name, t] of [['weight', opts.weight], ['bias', opts.bias]] as const) {
    if (t && !sameShape(t.shape, [c])) throw new ShapeError(`groupNorm: ${name} must have shape [${c}], got ${fmtShape(t.shape)}`);
  }
  const g = reshape(x, [n, numGroups, -1]);
  const mu = mean(g, 2, true);
  const gc = sub(g, mu);
  const v = mean(mul(gc, gc), 2, true);
  let y = reshape(div(gc, sqrt(add(v, opts.eps ?? 1e-5))), x.shape);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  if (opts.weight) y = mul(y, reshape(opts.weight, bshape));
  if (opts.bias) y = add(y, reshape(opts.bias, bshape));
  return y;
}

/**
 * Group normalization with learnable per-channel weight and bias (PyTorch's names and init:
 * ones and zeros).
 * @example new GroupNorm(8, 64) // 64 channels in 8 groups
 */
export class GroupNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly eps: number;

  constructor(readonly numGroups: number, readonly numChannels: number, opts: { eps?: number; affine?: boolean } = {}) {
    super();
    if (!Number.isInteger(numGroups) || numGroups < 1 || numChannels % numGroups !== 0) {
      throw new ValueError(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    }
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([numChannels], { requiresGrad: true })) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numChannels], { requiresGrad: true })) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length < 2 || x.shape[1] !== this.numChannels) throw this.shapeError(`[N, ${this.numChannels}, ...]`, x.shape);
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}
