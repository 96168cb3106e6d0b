import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';

/**
 * Anything indexable with a length. `getBatch`, when present, builds a whole batch at once
 * (DataLoader uses it instead of stacking single items).
 * @example
 * const squares: Dataset<[Tensor, Tensor]> = { length: 10, get: (i) => [tensor([i]), tensor([i * i])] };
 */
export interface Dataset<T> {
  /** the number of items */
  readonly length: number;
  /** item i, for 0 ≤ i < length */
  get(i: number): T;
  /** the items at `indices`, stacked into one batch */
  getBatch?(indices: Int32Array): T;
}

function checkIndex(what: string, i: number, n: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new ValueError(`${what}: index ${i} is out of range for a dataset of length ${n}`);
}

/**
 * Pairs of rows of two tensors with the same first dimension (inputs and targets).
 * @example const ds = new TensorDataset(x, y); const [xb, yb] = ds.getBatch(Int32Array.of(0, 5, 7));
 */
export class TensorDataset implements Dataset<[Tensor, Tensor]> {
  readonly x: Tensor;
  readonly y: Tensor;

  constructor(x: Tensor, y: Tensor) {
    if (x.shape.length === 0 || y.shape.length === 0 || x.shape[0] !== y.shape[0]) {
      throw new ShapeError(`TensorDataset: x and y need the same first dimension, got x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)}`);
    }
    this.x = x;
    this.y = y;
  }

  get length(): number {
    return this.x.shape[0]!;
  }

  get(i: number): [Tensor, Tensor] {
    checkIndex('TensorDataset.get', i, this.length);
    const [x, y] = this.getBatch(Int32Array.of(i));
    return [x.squeeze(0), y.squeeze(0)];
  }

  /** Rows `indices` of x and y, gathered with one indexSelect each. */
  getBatch(indices: Int32Array): [Tensor, Tensor] {
    const idx = Tensor.fromRaw(indices, [indices.length]);
    // the indices go where the data is (one small upload per batch on a GPU)
    const ix = idx.to(this.x.device);
    return [this.x.indexSelect(0, ix), this.y.indexSelect(0, this.y.device === this.x.device ? ix : idx.to(this.y.device))];
  }
}

/**
 * A view of some items of another dataset, in the order of `indices`.
 * @example const firstHundred = new Subset(ds, Array.from({ length: 100 }, (_, i) => i));
 */
export class Subset<T> implements Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: Int32Array | readonly number[]) {
    this.dataset = dataset;
    this.indices = Int32Array.from(indices);
    for (const i of this.indices) checkIndex('Subset', i, dataset.length);
    if (dataset.getBatch !== undefined) {
      const inner = dataset.getBatch.bind(dataset);
      this.getBatch = (ix: Int32Array): T => inner(ix.map((i) => this.indices[i]!));
    }
  }

  get length(): number {
    return this.indices.length;
  }

  get(i: number): T {
    checkIndex('Subset.get', i, this.length);
    return this.dataset.get(this.indices[i]!);
  }

  /** the items at `indices` as one batch, when the underlying dataset can batch */
  getBatch?: (indices: Int32Array) => T;
}

/**
 * Splits a dataset at random into non-overlapping subsets of the given lengths, or of the given
 * fractions (summing to 1; leftover items go round-robin to the first subsets, as in PyTorch).
 * @example const [train, val] = randomSplit(ds, [0.8, 0.2], {generator: new Generator(0)});
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], opts: { generator?: Generator } = {}): Subset<T>[] {
  const n = dataset.length;
  let sizes = [...lengths];
  const isFractions = sizes.length > 0 && sizes.every((v) => v >= 0 && v <= 1) && Math.abs(sizes.reduce((a, b) => a + b, 0) - 1) < 1e-9 && sizes.some((v) => !Number.isInteger(v));
  if (isFractions) {
    sizes = sizes.map((f) => Math.floor(n * f));
    let rest = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % sizes.length, rest--) sizes[i]! += 1;
  }
  if (sizes.some((v) => !Number.isInteger(v) || v < 0)) throw new ValueError(`randomSplit: lengths must be non-negative integers or fractions summing to 1, got ${JSON.stringify(lengths)}`);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== n) throw new ValueError(`randomSplit: the lengths sum to ${total} but the dataset has ${n} items`);
  const perm = (opts.generator ?? defaultGenerator).permutation(n);
  const out: Subset<T>[] = [];
  let off = 0;
  for (const s of sizes) {
    out.push(new Subset(dataset, perm.subarray(off, off + s)));
    off += s;
  }
  return out;
}
