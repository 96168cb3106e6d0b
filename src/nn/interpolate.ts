import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { indexSelect } from '../ops/indexing.js';
import { matmul } from '../ops/matmul.js';
import { assertFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** the output spatial size: one number for every spatial dim, or one per dim */
  size?: number | readonly number[];
  /** the multiplier of each spatial size (the output is ⌊in·scaleFactor⌋); give size or this */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (default), 'nearest-exact', 'linear' (3-D input) or 'bilinear' (4-D input) */
  mode?: InterpolateMode;
  /** linear modes: map the corner pixels' centres onto each other (default false) */
  alignCorners?: boolean;
}

/**
 * The input index of each output index for nearest modes. PyTorch computes it in single
 * precision (floorf of i·scale with a float scale); doing the same keeps every index equal.
 */
function nearestIndex(exact: boolean, inSize: number, outSize: number, scaleFactor: number | null): Int32Array {
  const idx = new Int32Array(outSize);
  const scale = Math.fround(scaleFactor !== null ? 1 / scaleFactor : inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    if (!exact && outSize === inSize) idx[i] = i;
    else if (!exact && outSize === 2 * inSize) idx[i] = i >> 1;
    else idx[i] = Math.min(Math.floor(Math.fround(exact ? (i + 0.5) * scale : i * scale)), inSize - 1);
  }
  return idx;
}

/** [out, in] linear-interpolation weights: each row mixes two neighbouring inputs, PyTorch's source index rule. */
function linearWeights(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | null, dtype: Tensor['dtype'], device: Tensor['device']): Tensor {
  const m = Tensor.zerosOf([outSize, inSize], dtype);
  const scale = alignCorners
    ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0)
    : scaleFactor !== null ? 1 / scaleFactor : inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = alignCorners ? scale * i : Math.max(scale * (i + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = Math.min(Math.max(src - i0, 0), 1);
    m.data[i * inSize + i0] += 1 - l1;
    m.data[i * inSize + i1] += l1;
  }
  // a constant built on the host, then put where the input is
  return m.to(device);
}

/**
 * Resizes the spatial dims of [N, C, L] or [N, C, H, W] input, as
 * torch.nn.functional.interpolate: 'nearest' copies the input pixel under each output pixel,
 * 'linear' / 'bilinear' mix the nearest two (four) by distance. Give the output `size` or a
 * `scaleFactor`. Linear modes run as a matmul with an interpolation matrix per dim, so the
 * gradient is its transpose.
 * @example interpolate(img, {scaleFactor: 2, mode: 'bilinear', alignCorners: false}) // doubles H and W
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  assertFloat('interpolate', x.dtype);
  const mode = opts.mode ?? 'nearest';
  const spatial = x.shape.length - 2;
  if (spatial !== 1 && spatial !== 2) throw new ShapeError(`interpolate: expected input [N, C, L] or [N, C, H, W], got ${fmtShape(x.shape)}`);
  const linear = mode === 'linear' || mode === 'bilinear';
  if (!linear && mode !== 'nearest' && mode !== 'nearest-exact') {
    throw new ValueError(`interpolate: mode must be 'nearest', 'nearest-exact', 'linear' or 'bilinear', got '${String(mode)}'`);
  }
  if ((mode === 'linear' && spatial !== 1) || (mode === 'bilinear' && spatial !== 2)) {
    throw new ShapeError(`interpolate: mode '${mode}' needs ${mode === 'linear' ? '3-D [N, C, L]' : '4-D [N, C, H, W]'} input, got ${fmtShape(x.shape)}`);
  }
  if (!linear && opts.alignCorners !== undefined) throw new ValueError(`interpolate: alignCorners only applies to the linear modes, not '${mode}'`);
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) throw new ValueError('interpolate: give exactly one of size and scaleFactor');
  const perDim = (v: number | readonly number[], what: string): number[] => {
    const list = typeof v === 'number' ? new Array<number>(spatial).fill(v) : [...v];
    if (list.length !== spatial) throw new ValueError(`interpolate: ${what} has ${list.length} values for ${spatial} spatial dims`);
    return list;
  };
  const inSizes = x.shape.slice(2);
  const factors = opts.scaleFactor === undefined ? null : perDim(opts.scaleFactor, 'scaleFactor');
  const outSizes = opts.size !== undefined ? perDim(opts.size, 'size') : inSizes.map((s, i) => Math.floor(s * factors![i]!));
  outSizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1) throw new ValueError(`interpolate: output size ${s} for spatial dim ${i} must be a positive integer`);
    if (factors && !(factors[i]! > 0)) throw new ValueError(`interpolate: scaleFactor must be positive, got ${factors[i]}`);
  });
  let y = x;
  for (let i = 0; i < spatial; i++) {
    const dim = 2 + i;
    const inSize = inSizes[i]!, outSize = outSizes[i]!;
    const factor = factors ? factors[i]! : null;
    const last = i === spatial - 1;
    if (linear) {
      const w = linearWeights(inSize, outSize, opts.alignCorners ?? false, factor, x.dtype, x.device);
      y = last ? matmul(y, w, { transB: true }) : matmul(w, y);
    } else if (outSize !== inSize || factor !== null) {
      const idx = nearestIndex(mode === 'nearest-exact', inSize, outSize, factor);
      y = indexSelect(y, dim, Tensor.fromRaw(idx, [outSize]).to(x.device));
    }
  }
  return y;
}
