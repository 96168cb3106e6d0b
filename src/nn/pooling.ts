import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { convArgs, unfoldChannels } from '../ops/conv.js';
import { gather } from '../ops/indexing.js';
import { getBackend } from '../backend/registry.js';
import { div } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape, squeeze, unsqueeze } from '../ops/shape.js';
import { ones } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { pairOf, type Pair } from './conv.js';

/**
 * Window options of maxPool2d and avgPool2d (and their layers), as in PyTorch.
 * @example maxPool2d(x, 3, { stride: 2, padding: 1 })
 */
export interface PoolOptions {
  /** default: the kernel size */
  stride?: Pair;
  /** implicit padding on each side (default 0): −∞ for max, zeros for average */
  padding?: Pair;
  /** spacing between window taps (default 1) */
  dilation?: Pair;
}

/**
 * Options of avgPool2d and AvgPool2d.
 * @example avgPool2d(x, 2, { padding: 1, countIncludePad: false })
 */
export interface AvgPoolOptions extends PoolOptions {
  /** count the zero padding in the divisor (PyTorch's default, true) */
  countIncludePad?: boolean;
}

/** Runs a pooling body on 4-D input, accepting unbatched [C, H, W] too. */
function pooled(op: string, x: Tensor, kernel: Pair, o: PoolOptions, body: (x4: Tensor, k: [number, number]) => Tensor): Tensor {
  if (x.shape.length !== 4 && x.shape.length !== 3) throw new ShapeError(`${op}: expected input [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
  const k = pairOf(kernel);
  const [ph, pw] = pairOf(o.padding ?? 0);
  if (ph * 2 > k[0] || pw * 2 > k[1]) throw new ValueError(`${op}: padding (${ph}, ${pw}) must be at most half the kernel size (${k[0]}, ${k[1]})`);
  const unbatched = x.shape.length === 3;
  const y = body(unbatched ? unsqueeze(x, 0) : x, k);
  return unbatched ? squeeze(y, 0) : y;
}

/** Which window positions fall inside the input (1) rather than the padding (0): [1, 1, kH·kW, L]. */
function insideMask(x: Tensor, k: [number, number], o: PoolOptions): Tensor {
  return noGrad(() => unfoldChannels(ones([1, 1, x.shape[2]!, x.shape[3]!], { dtype: x.dtype }), k, { ...o, stride: o.stride ?? k }).cols);
}

/**
 * Max over each kH×kW window of NCHW input; padding counts as −∞, as in PyTorch.
 * @example maxPool2d(x, 2) // halves H and W
 */
export function maxPool2d(x: Tensor, kernel: Pair, opts: PoolOptions = {}): Tensor {
  return pooled('maxPool2d', x, kernel, opts, (x4, k) => {
    const [n, c] = x4.shape as [number, number];
    const args = convArgs('maxPool2d', x4.shape, c, k, { ...opts, stride: opts.stride ?? k });
    // one pass finds each window's arg-max; the values are then a gather at those indices, so
    // the gradient is a scatter to exactly the winning inputs (no unfolded copy of x)
    const idx = new Int32Array(n * c * args.outH * args.outW);
    getBackend().poolArgmax(x4.detach().data, args, idx);
    return reshape(gather(reshape(x4, [-1]), 0, Tensor.fromRaw(idx, [idx.length])), [n, c, args.outH, args.outW]);
  });
}

/**
 * Mean over each kH×kW window of NCHW input. By default padding zeros count in the divisor
 * (count_include_pad, as PyTorch's default).
 * @example avgPool2d(x, 2) // halves H and W
 */
export function avgPool2d(x: Tensor, kernel: Pair, opts: AvgPoolOptions = {}): Tensor {
  return pooled('avgPool2d', x, kernel, opts, (x4, k) => {
    const o = { stride: opts.stride ?? k, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1 };
    const { cols, args } = unfoldChannels(x4, k, o);
    const padded = pairOf(o.padding).some((p) => p > 0);
    const avg = padded && opts.countIncludePad === false ? div(sum(cols, 2), sum(insideMask(x4, k, o), 2)) : mean(cols, 2);
    return reshape(avg, [x4.shape[0]!, x4.shape[1]!, args.outH, args.outW]);
  });
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: PoolOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length !== 4 && x.shape.length !== 3) throw this.shapeError('[N, C, H, W]', x.shape);
    return maxPool2d(x, this.kernelSize, this.opts);
  }

  override toString(): string {
    return `MaxPool2d(${pairOf(this.kernelSize).join('x')})`;
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: AvgPoolOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length !== 4 && x.shape.length !== 3) throw this.shapeError('[N, C, H, W]', x.shape);
    return avgPool2d(x, this.kernelSize, this.opts);
  }

  override toString(): string {
    return `AvgPool2d(${pairOf(this.kernelSize).join('x')})`;
  }
}
