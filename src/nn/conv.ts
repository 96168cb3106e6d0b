import { ValueError } from '../errors.js';
import { conv2d } from '../ops/conv.js';
import { conv1d, type Conv1dOptions } from '../ops/conv1d.js';
import { convTranspose2d } from '../ops/conv-transpose.js';
import { squeeze, unsqueeze } from '../ops/shape.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { resetLinearLike } from './linear.js';
import { Module } from './module.js';

/**
 * A size given once for both spatial dims, or as [height, width].
 * @example new Conv2d(3, 8, [3, 5], { padding: [1, 2] })
 */
export type Pair = number | readonly [number, number];

/** How toString shows a size per dim. @example fmtList([3, 3]) // '[3, 3]' */
export const fmtList = (v: readonly number[]): string => `[${v.join(', ')}]`;
export const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * The groups of a conv layer, checked as PyTorch does: a positive integer that
 * divides both channel counts, since each group convolves its own slice of each.
 */
function checkedGroups(layer: string, inChannels: number, outChannels: number, groups: number): number {
  if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new ValueError(`${layer}: in channels ${inChannels} and out channels ${outChannels} must both be divisible by groups ${groups}`);
  }
  return groups;
}

/**
 * Options of the Conv2d layer, as in torch.nn.Conv2d.
 * @example new Conv2d(16, 32, 3, { stride: 2, padding: 1, bias: false })
 */
export interface Conv2dLayerOptions {
  /** step between windows (default 1) */
  stride?: Pair;
  /** zeros added on each side (default 0) */
  padding?: Pair;
  /** spacing between kernel taps (default 1) */
  dilation?: Pair;
  /** split channels into this many independent convolutions (default 1) */
  groups?: number;
  /** learn a per-channel bias (default true) */
  bias?: boolean;
  /** the random source of the initial weights (default: the global one) */
  generator?: Generator;
}

/**
 * 2-D convolution over NCHW input (or unbatched CHW), weight [cOut, cIn/groups, kH, kW],
 * initialized as PyTorch does.
 * @example const conv = new Conv2d(1, 8, 3, {padding: 1}); conv.forward(x) // [N, 8, 28, 28]
 */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    this.kernelSize = pairOf(kernelSize);
    this.stride = pairOf(opts.stride ?? 1);
    this.padding = pairOf(opts.padding ?? 0);
    this.dilation = pairOf(opts.dilation ?? 1);
    this.groups = checkedGroups('Conv2d', inChannels, outChannels, opts.groups ?? 1);
    const [kh, kw] = this.kernelSize;
    this.weight = this.registerParameter('weight', zeros([outChannels, inChannels / this.groups, kh, kw], { requiresGrad: true }));
    this.bias = opts.bias ?? true ? this.registerParameter('bias', zeros([outChannels], { requiresGrad: true })) : null;
    resetLinearLike(this.weight, this.bias, opts.generator);
  }

  forward(x: Tensor): Tensor {
    const unbatched = x.shape.length === 3;
    if ((x.shape.length !== 4 && !unbatched) || x.shape[unbatched ? 0 : 1] !== this.inChannels) {
      throw this.shapeError(`[N, ${this.inChannels}, H, W]`, x.shape);
    }
    const opts = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    const y = conv2d(unbatched ? unsqueeze(x, 0) : x, this.weight, this.bias, opts);
    return unbatched ? squeeze(y, 0) : y;
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${fmtList(this.kernelSize)}, stride=${fmtList(this.stride)}`];
    if (this.padding.some((p) => p !== 0)) parts.push(`padding=${fmtList(this.padding)}`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${fmtList(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    return parts.join(', ');
  }

  override label(): string {
    const extra = [
      this.stride.some((s) => s !== 1) ? `stride=${this.stride.join('x')}` : '',
      this.padding.some((s) => s !== 0) ? `padding=${this.padding.join('x')}` : '',
      this.dilation.some((s) => s !== 1) ? `dilation=${this.dilation.join('x')}` : '',
      this.groups !== 1 ? `groups=${this.groups}` : '',
    ].filter(Boolean);
    return `Conv2d(${this.inChannels}→${this.outChannels}, ${this.kernelSize.join('x')}${extra.length ? `, ${extra.join(', ')}` : ''})`;
  }
}

/**
 * Conv1d's options: the convolution's (stride, padding, dilation, groups) plus the bias and the
 * random stream for initialization.
 * @example const conv = new nn.Conv1d(16, 32, 5, { padding: 'same', dilation: 2, bias: false });
 */
export interface Conv1dLayerOptions extends Conv1dOptions {
  /** a learnable bias per output channel (default true) */
  bias?: boolean;
  /** the random stream for initialization (default: defaultGenerator) */
  generator?: Generator;
}

/**
 * 1-D convolution over [N, C, L] input (or unbatched [C, L]), weight [cOut, cIn/groups, k],
 * initialized as PyTorch does.
 * @example new Conv1d(16, 32, 3, {padding: 'same'}).forward(x) // [N, 16, L] → [N, 32, L]
 */
export class Conv1d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly stride: number;
  readonly padding: number | 'valid' | 'same';
  readonly dilation: number;
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: Conv1dLayerOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = checkedGroups('Conv1d', inChannels, outChannels, opts.groups ?? 1);
    this.weight = this.registerParameter('weight', zeros([outChannels, inChannels / this.groups, kernelSize], { requiresGrad: true }));
    this.bias = opts.bias ?? true ? this.registerParameter('bias', zeros([outChannels], { requiresGrad: true })) : null;
    resetLinearLike(this.weight, this.bias, opts.generator);
  }

  forward(x: Tensor): Tensor {
    if ((x.shape.length !== 3 && x.shape.length !== 2) || x.shape[x.shape.length - 2] !== this.inChannels) {
      throw this.shapeError(`[N, ${this.inChannels}, L]`, x.shape);
    }
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, stride=${this.stride}`];
    if (this.padding !== 0) parts.push(`padding=${typeof this.padding === 'string' ? `'${this.padding}'` : this.padding}`);
    if (this.dilation !== 1) parts.push(`dilation=${this.dilation}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    return parts.join(', ');
  }

  override label(): string {
    return `Conv1d(${this.inChannels}→${this.outChannels}, ${this.kernelSize})`;
  }
}

/**
 * ConvTranspose2d's options, with PyTorch's names; each size is a number or an [h, w] pair.
 * @example const up = new nn.ConvTranspose2d(64, 32, 3, { stride: 2, padding: 1, outputPadding: 1 }); // H → 2H
 */
export interface ConvTranspose2dLayerOptions {
  /** the upsampling factor (default 1) */
  stride?: Pair;
  /** removes dilation·(k − 1) − padding from each side of the output (default 0) */
  padding?: Pair;
  /** extra rows/columns on one side of the output, to pick among the sizes a stride allows (default 0) */
  outputPadding?: Pair;
  /** split channels into independent groups (default 1) */
  groups?: number;
  /** spacing of the kernel taps (default 1) */
  dilation?: Pair;
  /** a learnable bias per output channel (default true) */
  bias?: boolean;
  /** the random stream for initialization (default: defaultGenerator) */
  generator?: Generator;
}

/**
 * Transposed 2-D convolution (a learnable upsampling), weight [cIn, cOut/groups, kH, kW] as
 * PyTorch lays it out and initializes it.
 * @example new ConvTranspose2d(16, 8, 2, {stride: 2}).forward(x) // [N, 16, H, W] → [N, 8, 2H, 2W]
 */
export class ConvTranspose2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: ConvTranspose2dLayerOptions = {}) {
    super();
    this.kernelSize = pairOf(kernelSize);
    this.stride = pairOf(opts.stride ?? 1);
    this.padding = pairOf(opts.padding ?? 0);
    this.outputPadding = pairOf(opts.outputPadding ?? 0);
    this.dilation = pairOf(opts.dilation ?? 1);
    this.groups = checkedGroups('ConvTranspose2d', inChannels, outChannels, opts.groups ?? 1);
    const [kh, kw] = this.kernelSize;
    this.weight = this.registerParameter('weight', zeros([inChannels, outChannels / this.groups, kh, kw], { requiresGrad: true }));
    this.bias = opts.bias ?? true ? this.registerParameter('bias', zeros([outChannels], { requiresGrad: true })) : null;
    // PyTorch's fan in for this layout is weight.shape[1]·kH·kW, which resetLinearLike reads too
    resetLinearLike(this.weight, this.bias, opts.generator);
  }

  forward(x: Tensor): Tensor {
    if ((x.shape.length !== 4 && x.shape.length !== 3) || x.shape[x.shape.length - 3] !== this.inChannels) {
      throw this.shapeError(`[N, ${this.inChannels}, H, W]`, x.shape);
    }
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation, groups: this.groups,
    });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${fmtList(this.kernelSize)}, stride=${fmtList(this.stride)}`];
    if (this.padding.some((p) => p !== 0)) parts.push(`padding=${fmtList(this.padding)}`);
    if (this.outputPadding.some((p) => p !== 0)) parts.push(`outputPadding=${fmtList(this.outputPadding)}`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${fmtList(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    return parts.join(', ');
  }

  override label(): string {
    return `ConvTranspose2d(${this.inChannels}→${this.outChannels}, ${this.kernelSize.join('x')})`;
  }
}
