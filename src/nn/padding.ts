import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { indexSelect } from '../ops/indexing.js';
import { concat, sliceDim } from '../ops/shape.js';
import { full } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * How pad fills the new border: a constant, a mirror of the inside, the edge repeated, or a wrap-around.
 * @example const mode: nn.F.PadMode = 'reflect'; nn.F.pad(img, [2, 2, 2, 2], { mode });
 */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * pad's options: the fill mode and, for constant padding, the fill value.
 * @example nn.F.pad(x, [0, 3], { mode: 'constant', value: -1 }) // 3 more columns of -1 on the right
 */
export interface PadOptions {
  /** 'constant' (default), 'reflect' (mirror without repeating the edge), 'replicate' (repeat the edge) or 'circular' (wrap around) */
  mode?: PadMode;
  /** the fill value of constant padding (default 0) */
  value?: number;
}

/** Source index along one dim for each position of the padded dim, for the non-constant modes. */
function sourceIndex(mode: Exclude<PadMode, 'constant'>, n: number, left: number, right: number): Int32Array {
  const idx = new Int32Array(left + n + right);
  for (let j = 0; j < idx.length; j++) {
    const s = j - left;
    if (mode === 'replicate') idx[j] = Math.min(Math.max(s, 0), n - 1);
    else if (mode === 'circular') idx[j] = ((s % n) + n) % n;
    else idx[j] = s < 0 ? -s : s >= n ? 2 * (n - 1) - s : s;
  }
  return idx;
}

/**
 * Pads the trailing dims, as torch.nn.functional.pad: `pad` lists (before, after) amounts
 * starting from the last dim, so [1, 2] pads the last dim by 1 before and 2 after, and
 * [1, 1, 2, 2] also pads the second-to-last by 2 on each side. Constant padding may be negative
 * (it crops). Reflect needs each amount below the dim's size; circular at most the size.
 * Every mode is differentiable (the gradient of a repeated element is the sum over its copies).
 * @example pad(x, [1, 1, 1, 1], {mode: 'reflect'}) // [N, C, H, W] → [N, C, H+2, W+2]
 */
export function pad(x: Tensor, padding: readonly number[], opts: PadOptions = {}): Tensor {
  const mode = opts.mode ?? 'constant';
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) {
    throw new ValueError(`pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got '${String(mode)}'`);
  }
  if (padding.length % 2 !== 0) throw new ValueError(`pad: padding must have an even length (before, after pairs), got ${padding.length} values`);
  if (padding.length / 2 > x.shape.length) {
    throw new ShapeError(`pad: ${padding.length / 2} dims of padding for a tensor of rank ${x.shape.length} (shape ${fmtShape(x.shape)})`);
  }
  if (padding.some((p) => !Number.isInteger(p))) throw new ValueError(`pad: padding amounts must be integers, got [${padding.join(', ')}]`);
  if (mode !== 'constant' && opts.value !== undefined && opts.value !== 0) {
    throw new ValueError(`pad: a fill value only applies to mode 'constant', got value ${opts.value} with mode '${mode}'`);
  }
  let y = x;
  for (let k = 0; k < padding.length / 2; k++) {
    const dim = x.shape.length - 1 - k;
    const before = padding[2 * k]!, after = padding[2 * k + 1]!;
    if (before === 0 && after === 0) continue;
    const n = y.shape[dim]!;
    if (mode === 'constant') {
      y = padConstant(y, dim, before, after, opts.value ?? 0);
      continue;
    }
    if (before < 0 || after < 0) throw new ValueError(`pad: ${mode} padding must be non-negative, got (${before}, ${after}) for dim ${dim}`);
    if (mode === 'reflect' && (before >= n || after >= n)) {
      throw new ValueError(`pad: reflect padding (${before}, ${after}) must be smaller than the size ${n} of dim ${dim} (input ${fmtShape(x.shape)})`);
    }
    if (mode === 'circular' && (before > n || after > n)) {
      throw new ValueError(`pad: circular padding (${before}, ${after}) must be at most the size ${n} of dim ${dim} (input ${fmtShape(x.shape)})`);
    }
    if (n === 0) throw new ShapeError(`pad: cannot ${mode}-pad the empty dim ${dim} of ${fmtShape(x.shape)}`);
    const idx = sourceIndex(mode, n, before, after);
    y = indexSelect(y, dim, Tensor.fromRaw(idx, [idx.length]).to(y.device));
  }
  return y;
}

/** Constant padding of one dim: crop for negative amounts, then concatenate filled blocks. */
function padConstant(x: Tensor, dim: number, before: number, after: number, value: number): Tensor {
  const n = x.shape[dim]!;
  if (before + after + n < 0) throw new ShapeError(`pad: cropping (${before}, ${after}) leaves a negative size for dim ${dim} of size ${n}`);
  let y = x;
  if (before < 0 || after < 0) y = sliceDim(y, dim, Math.max(-before, 0), n - Math.max(-after, 0));
  const block = (len: number): Tensor => full(y.shape.map((d, i) => (i === dim ? len : d)), value, { dtype: y.dtype });
  const parts: Tensor[] = [];
  if (before > 0) parts.push(block(before));
  parts.push(y);
  if (after > 0) parts.push(block(after));
  return parts.length === 1 ? y : concat(parts, dim);
}
