import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { indexSelect } from '../ops/indexing.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { assertFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * How interpolate picks or mixes input values: copy the nearest (PyTorch's 'nearest' index rule or
 * the exact one), or mix the nearest two ('linear', 3-D input) or four ('bilinear', 4-D input).
 * @example const mode: nn.F.InterpolateMode = 'bilinear'; nn.F.interpolate(img, { size: [64, 64], mode });
 */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear';

/**
 * interpolate's options: the output size or a scale factor, the mode, and corner alignment.
 * @example nn.F.interpolate(x, { scaleFactor: 2, mode: 'linear', alignCorners: true }) // x [N, C, L] → [N, C, 2L]
 */
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

/**
 * Two-tap linear interpolation along one dim, PyTorch's source index rule: output i mixes inputs
 * i0 and i1 with weights 1 − λ and λ. Gathers, not a matmul with an interpolation matrix, so a
 * NaN reaches only the outputs that read it (as in PyTorch), and the work is O(output).
 */
function linearAlong(x: Tensor, dim: number, inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | null): Tensor {
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize);
  const lambda = (x.dtype === 'float64' ? new Float64Array(outSize) : new Float32Array(outSize));
  const scale = alignCorners
    ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0)
    : scaleFactor !== null ? 1 / scaleFactor : inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = alignCorners ? scale * i : Math.max(scale * (i + 0.5) - 0.5, 0);
    i0[i] = Math.min(Math.floor(src), inSize - 1);
    i1[i] = i0[i]! < inSize - 1 ? i0[i]! + 1 : i0[i]!;
    lambda[i] = Math.min(Math.max(src - i0[i]!, 0), 1);
  }
  // index and weight constants are built on the host, then put where the input is
  const shape = x.shape.map((d, k) => (k === dim ? outSize : 1));
  const l1 = Tensor.fromRaw(lambda, shape).to(x.device);
  const a = indexSelect(x, dim, Tensor.fromRaw(i0, [outSize]).to(x.device));
  const b = indexSelect(x, dim, Tensor.fromRaw(i1, [outSize]).to(x.device));
  return add(mul(a, sub(1, l1)), mul(b, l1));
}

/**
 * Resizes the spatial dims of [N, C, L] or [N, C, H, W] input, as
 * torch.nn.functional.interpolate: 'nearest' copies the input pixel under each output pixel,
 * 'linear' / 'bilinear' mix the nearest two (four) by distance. Give the output `size` or a
 * `scaleFactor`. Linear modes gather the two neighbours along each dim and mix them.
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
      y = linearAlong(y, dim, inSize, outSize, opts.alignCorners ?? false, factor);
    } else if (outSize !== inSize || factor !== null) {
      const idx = nearestIndex(mode === 'nearest-exact', inSize, outSize, factor);
      y = indexSelect(y, dim, Tensor.fromRaw(idx, [outSize]).to(x.device));
    }
  }
  return y;
}
