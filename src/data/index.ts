/**
 * Datasets, batching and synthetic 2-D problems.
 * @example
 * const {x, y} = data.spirals({n: 300, classes: 3, seed: 0});
 * const loader = new data.DataLoader(new data.TensorDataset(x, y), {batchSize: 32, shuffle: true});
 * for (const [xb, yb] of loader) { ... }
 * @packageDocumentation
 */
export { type Dataset, TensorDataset, Subset, randomSplit } from './dataset.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
export { spirals, moons, circles, xor, blobs, type Synthetic2D, type SyntheticOptions } from './synthetic.js';
export { CharVocab, randomTextBatch, sequentialTextBatches, sequentialWindowCount, type TextBatchOptions } from './text.js';
