import { ValueError } from '../errors.js';
import { stack } from '../ops/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator, defaultGenerator } from '../tensor/random.js';
import type { Dataset } from './dataset.js';

/**
 * How a DataLoader batches: size, shuffling, and whether to drop a short last batch.
 * @example new DataLoader(ds, { batchSize: 64, shuffle: true, dropLast: true })
 */
export interface DataLoaderOptions {
  /** items per batch (default 1) */
  batchSize?: number;
  /** reshuffle at the start of every pass */
  shuffle?: boolean;
  /** drop the last batch if it is smaller than batchSize */
  dropLast?: boolean;
  /** the generator used to shuffle; by default a new one seeded from the default generator */
  generator?: Generator;
}

/**
 * Iterates a dataset in batches, optionally reshuffled each pass with its own generator (save
 * `loader.generator.getState()` in a checkpoint to resume with the same order).
 * @example for (const [xb, yb] of new DataLoader(ds, {batchSize: 64, shuffle: true})) { ... }
 */
export class DataLoader<T extends Tensor[] = [Tensor, Tensor]> implements Iterable<T> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;

  constructor(dataset: Dataset<T>, opts: DataLoaderOptions = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = opts.generator ?? new Generator(defaultGenerator.nextUint32());
  }

  /** Number of batches per pass. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** One pass over the data set, a batch at a time (reshuffled first when shuffle is on). @example for (const [xb, yb] of loader) step(xb, yb); */
  *[Symbol.iterator](): Iterator<T> {
    const n = this.dataset.length;
    let order: Int32Array;
    if (this.shuffle) {
      order = this.generator.permutation(n);
    } else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    const batches = this.length;
    for (let b = 0; b < batches; b++) {
      const idx = order.slice(b * this.batchSize, Math.min(n, (b + 1) * this.batchSize));
      yield this.collate(idx);
    }
  }

  private collate(idx: Int32Array): T {
    if (this.dataset.getBatch !== undefined) return this.dataset.getBatch(idx);
    const items = Array.from(idx, (i) => this.dataset.get(i));
    const first = items[0]!;
    if (!Array.isArray(first) || !first.every((t) => t instanceof Tensor)) {
      throw new ValueError('DataLoader: dataset items must be arrays of tensors (e.g. [x, y]) to be batched');
    }
    return first.map((_, k) => stack(items.map((it) => it[k]!), 0)) as T;
  }
}
