import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { assertFloat } from '../tensor/dtype.js';
import { noGrad } from '../autograd/mode.js';
import { traceScope } from '../autograd/trace.js';
import { convArgs, poolArgmax, unfoldChannels } from '../ops/conv.js';
import { gather, indexSelect } from '../ops/indexing.js';
import { div, where } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape, squeeze, unsqueeze } from '../ops/shape.js';
import { ones } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { fmtList, pairOf, type Pair } from './conv.js';

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
  return pooled('maxPool2d', x, kernel, opts, (x4, k) => traceScope('maxPool2d', [x4], windowAttrs(k, opts), () => {
    const [n, c] = x4.shape as [number, number];
    const args = convArgs('maxPool2d', x4.shape, c, k, { ...opts, stride: opts.stride ?? k });
    // one pass finds each window's arg-max; the values are then a gather at those indices, so
    // the gradient is a scatter to exactly the winning inputs (no unfolded copy of x)
    const idx = reshape(poolArgmax(x4, args), [-1]);
    return reshape(gather(reshape(x4, [-1]), 0, idx), [n, c, args.outH, args.outW]);
  }));
}

/**
 * Mean over each kH×kW window of NCHW input. By default padding zeros count in the divisor
 * (count_include_pad, as PyTorch's default).
 * @example avgPool2d(x, 2) // halves H and W
 */
export function avgPool2d(x: Tensor, kernel: Pair, opts: AvgPoolOptions = {}): Tensor {
  const countIncludePad = opts.countIncludePad ?? true;
  return pooled('avgPool2d', x, kernel, opts, (x4, k) => traceScope('avgPool2d', [x4], { ...windowAttrs(k, opts), countIncludePad }, () => {
    const o = { stride: opts.stride ?? k, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1 };
    const { cols, args } = unfoldChannels(x4, k, o);
    const padded = pairOf(o.padding).some((p) => p > 0);
    const avg = padded && opts.countIncludePad === false ? div(sum(cols, 2), sum(insideMask(x4, k, o), 2)) : mean(cols, 2);
    return reshape(avg, [x4.shape[0]!, x4.shape[1]!, args.outH, args.outW]);
  }));
}

/** A pooling window's geometry as an exporter records it (stride defaults to the kernel). */
function windowAttrs(k: [number, number], o: PoolOptions): { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number] } {
  return { kernel: k, stride: pairOf(o.stride ?? k), padding: pairOf(o.padding ?? 0), dilation: pairOf(o.dilation ?? 1) };
}

/** PyTorch's pooling extra_repr: kernelSize, stride and padding (and dilation for max pooling). */
function poolRepr(kernel: Pair, o: PoolOptions, withDilation: boolean): string {
  const show = (v: Pair): string => (typeof v === 'number' ? String(v) : fmtList(v));
  const parts = [`kernelSize=${show(kernel)}`, `stride=${show(o.stride ?? kernel)}`, `padding=${show(o.padding ?? 0)}`];
  if (withDilation) parts.push(`dilation=${show(o.dilation ?? 1)}`);
  return parts.join(', ');
}

/**
 * Adaptive pooling's output size: one number for both dims, or an [h, w] pair where null keeps
 * the input's size along that dim.
 * @example
 * new nn.AdaptiveAvgPool2d(1); // global average pooling
 * new nn.AdaptiveAvgPool2d([7, null]); // 7 rows, the input's width
 */
export type AdaptiveSize = number | null | readonly [number | null, number | null];

/**
 * Means over PyTorch's adaptive bins [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) along one dim: each bin's
 * inputs are gathered into a padded [out, longest bin] block, the padding masked out by `where`
 * (not multiplied by 0, so a NaN stays inside its own bins), summed and divided by the bin size.
 */
function binMeans(x: Tensor, dim: number, inSize: number, outSize: number): Tensor {
  let longest = 0;
  for (let i = 0; i < outSize; i++) longest = Math.max(longest, Math.ceil(((i + 1) * inSize) / outSize) - Math.floor((i * inSize) / outSize));
  const idx = new Int32Array(outSize * longest), keep = new Int32Array(outSize * longest), count = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize), end = Math.ceil(((i + 1) * inSize) / outSize);
    count[i] = end - start;
    for (let j = 0; j < longest; j++) {
      idx[i * longest + j] = start + Math.min(j, end - start - 1);
      keep[i * longest + j] = j < end - start ? 1 : 0;
    }
  }
  // constants built on the host, then put where the input is
  const dev = x.device;
  const blockShape = [...x.shape.slice(0, dim), outSize, longest, ...x.shape.slice(dim + 1)];
  const maskShape = blockShape.map((d, k) => (k === dim || k === dim + 1 ? d : 1));
  const block = reshape(indexSelect(x, dim, Tensor.fromRaw(idx, [idx.length]).to(dev)), blockShape);
  const masked = where(Tensor.fromRaw(keep, maskShape).to(dev), block, 0);
  const sizes = Tensor.fromRaw(x.dtype === 'float64' ? count : Float32Array.from(count), maskShape.filter((_, k) => k !== dim + 1)).to(dev);
  return div(sum(masked, dim + 1), sizes);
}

/**
 * Average pooling to a fixed output size, whatever the input's, as
 * torch.nn.functional.adaptive_avg_pool2d: output cell (i, j) averages the input rows
 * ⌊i·H/oH⌋ … ⌈(i+1)·H/oH⌉ − 1 and likewise the columns (bins may overlap): a masked mean
 * over each bin, rows then columns, so the gradient spreads back evenly over each bin.
 * @example adaptiveAvgPool2d(features, 1) // global average pooling: [N, C, H, W] → [N, C, 1, 1]
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  if (x.shape.length !== 4 && x.shape.length !== 3) throw new ShapeError(`adaptiveAvgPool2d: expected input [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
  assertFloat('adaptiveAvgPool2d', x.dtype);
  const [h, w] = x.shape.slice(-2) as [number, number];
  const [oh, ow] = (Array.isArray(outputSize) ? outputSize : [outputSize, outputSize]) as [number | null, number | null];
  const outH = oh ?? h, outW = ow ?? w;
  for (const v of [outH, outW]) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`adaptiveAvgPool2d: output sizes must be positive integers (or null), got ${JSON.stringify(outputSize)}`);
  }
  if (h === 0 || w === 0) throw new ShapeError(`adaptiveAvgPool2d: input ${fmtShape(x.shape)} has an empty spatial dim`);
  const rank = x.shape.length;
  return binMeans(binMeans(x, rank - 2, h, outH), rank - 1, w, outW);
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: PoolOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length !== 4 && x.shape.length !== 3) throw this.shapeError('[N, C, H, W]', x.shape);
    return maxPool2d(x, this.kernelSize, this.opts);
  }

  override label(): string {
    return `MaxPool2d(${pairOf(this.kernelSize).join('x')})`;
  }

  override extraRepr(): string {
    return poolRepr(this.kernelSize, this.opts, true);
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

  override label(): string {
    return `AvgPool2d(${pairOf(this.kernelSize).join('x')})`;
  }

  override extraRepr(): string {
    return poolRepr(this.kernelSize, this.opts, false);
  }
}

/**
 * Adaptive average pooling to a fixed [outH, outW] (null keeps that input size).
 * @example new AdaptiveAvgPool2d([7, 7])
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length !== 4 && x.shape.length !== 3) throw this.shapeError('[N, C, H, W]', x.shape);
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
