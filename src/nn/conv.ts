import { ValueError } from '../errors.js';
import { conv2d } from '../ops/conv.js';
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
export const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

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
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ValueError(`Conv2d: in channels ${inChannels} and out channels ${outChannels} must both be divisible by groups ${this.groups}`);
    }
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

  override toString(): string {
    const extra = [
      this.stride.some((s) => s !== 1) ? `stride=${this.stride.join('x')}` : '',
      this.padding.some((s) => s !== 0) ? `padding=${this.padding.join('x')}` : '',
      this.dilation.some((s) => s !== 1) ? `dilation=${this.dilation.join('x')}` : '',
      this.groups !== 1 ? `groups=${this.groups}` : '',
    ].filter(Boolean);
    return `Conv2d(${this.inChannels}→${this.outChannels}, ${this.kernelSize.join('x')}${extra.length ? `, ${extra.join(', ')}` : ''})`;
  }
}
