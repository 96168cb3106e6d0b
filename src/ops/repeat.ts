import { DeviceError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { tensor as makeTensor } from '../tensor/creation.js';
import { normAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { indexSelect } from './indexing.js';
import { expand, reshape } from './shape.js';

// Repetition as broadcasting: give each repeated dim a size-1 partner, expand it, and merge the
// pair. The gradient is expand's (a sum over the copies); no kernel of its own.

function checkCounts(op: string, counts: readonly number[]): void {
  for (const c of counts) if (!Number.isInteger(c) || c < 0) throw new ValueError(`${op}: repeats must be non-negative integers, got ${JSON.stringify(counts)}`);
}

/**
 * Tiles x: repeats[i] copies along dim i, with extra leading dims when repeats is longer than
 * x's rank, as torch.Tensor.repeat.
 * @example repeat(tensor([1, 2]), [2, 2]) // [[1, 2, 1, 2], [1, 2, 1, 2]]
 */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  checkCounts('repeat', repeats);
  if (repeats.length < x.shape.length) {
    throw new ShapeError(`repeat: got ${repeats.length} repeat counts for a tensor of rank ${x.shape.length} (shape ${fmtShape(x.shape)}); give at least one per dim`);
  }
  const padded = [...new Array<number>(repeats.length - x.shape.length).fill(1), ...x.shape];
  // [d0, d1, ...] viewed as [1, d0, 1, d1, ...], expanded to [r0, d0, r1, d1, ...], merged pairwise
  const paired = expand(reshape(x, padded.flatMap((d) => [1, d])), repeats.flatMap((r, i) => [r, padded[i]!]));
  return reshape(paired, repeats.map((r, i) => r * padded[i]!));
}

/**
 * Tiles x like repeat, except that fewer counts than dims repeat the trailing dims, as torch.tile.
 * @example tile(tensor([[1, 2]]), [2]) // [[1, 2, 1, 2]]
 */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  const full = dims.length < x.shape.length ? [...new Array<number>(x.shape.length - dims.length).fill(1), ...dims] : dims;
  return repeat(x, full);
}

/**
 * Repeats each element `repeats` times along dim (over the flattened tensor when dim is omitted),
 * as torch.repeat_interleave. repeats is one count, or one per element of that dim (an array, or
 * an int32 CPU tensor: the output's size depends on its values).
 * @example repeatInterleave(tensor([1, 2]), 2) // [1, 1, 2, 2]
 */
export function repeatInterleave(x: Tensor, repeats: number | readonly number[] | Tensor, dim?: number): Tensor {
  if (dim === undefined) return repeatInterleave(reshape(x, [x.size]), repeats, 0);
  const axis = normAxis('repeatInterleave', dim, x.shape.length);
  if (x.shape.length === 0) return repeatInterleave(reshape(x, [1]), repeats, 0);
  const n = x.shape[axis]!;
  if (typeof repeats === 'number') {
    checkCounts('repeatInterleave', [repeats]);
    // [.., n, ..] → [.., n, 1, ..] → [.., n, r, ..] → [.., n·r, ..]
    const pair = [...x.shape.slice(0, axis + 1), 1, ...x.shape.slice(axis + 1)];
    const wide = [...x.shape.slice(0, axis + 1), repeats, ...x.shape.slice(axis + 1)];
    return reshape(expand(reshape(x, pair), wide), x.shape.map((d, i) => (i === axis ? d * repeats : d)));
  }
  let counts: number[];
  if (repeats instanceof Tensor) {
    if (repeats.device !== 'cpu') {
      throw new DeviceError(`repeatInterleave: per-element repeats decide the output's shape, so they must be on the CPU (got '${repeats.device}'); pass a JS array or await repeats.toAsync('cpu')`);
    }
    if (repeats.dtype !== 'int32') throw new ValueError(`repeatInterleave: a repeats tensor must be int32, got ${repeats.dtype}`);
    counts = Array.from(repeats.data);
  } else counts = [...repeats];
  if (counts.length === 1) return repeatInterleave(x, counts[0]!, axis);
  if (counts.length !== n) throw new ShapeError(`repeatInterleave: got ${counts.length} repeat counts for dim ${axis} of size ${n}`);
  checkCounts('repeatInterleave', counts);
  const picks: number[] = [];
  counts.forEach((c, i) => { for (let k = 0; k < c; k++) picks.push(i); });
  return indexSelect(x, axis, makeTensor(picks, { dtype: 'int32', device: x.device }));
}
