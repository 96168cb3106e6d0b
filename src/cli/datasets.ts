import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import { FormatError, ValueError, fmtShape } from '../errors.js';
import * as data from '../data/index.js';
import * as io from '../io/index.js';
import { UsageError } from './args.js';
import type { DataDescription } from './model-spec.js';

/**
 * Loads the data sets the CLI trains on into memory, split into train and test, with class
 * names and (for CSV) the feature standardisation the model file must carry.
 */

export const DATASETS = ['spirals', 'moons', 'circles', 'xor', 'blobs', 'mnist', 'fashion-mnist', 'csv', 'text'] as const;
export type DatasetName = (typeof DATASETS)[number];
export const SYNTHETIC = ['spirals', 'moons', 'circles', 'xor', 'blobs'] as const;

export interface Split {
  x: Tensor;
  y: Tensor;
}

/** A loaded data set: its splits, and the description the model file records. */
export interface LoadedData extends DataDescription {
  train: Split;
  test: Split;
}

export interface LoadOptions {
  dataset: DatasetName;
  dataDir: string | undefined;
  csv: string | undefined;
  label: string | undefined;
  /** CSV columns left out of the features (e.g. an id) */
  dropColumns?: string[];
  limit: number | undefined;
  seed: number;
}

const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The default --data-dir of an image dataset: ./data/<name> under the working directory. */
export function defaultDataDir(name: string): string {
  return join('data', name);
}

/** Loads a dataset for `backprop train`. */
export function loadDataset(o: LoadOptions): LoadedData {
  if ((SYNTHETIC as readonly string[]).includes(o.dataset)) return loadSynthetic(o);
  if (o.dataset === 'mnist' || o.dataset === 'fashion-mnist') {
    const dir = o.dataDir ?? defaultDataDir(o.dataset);
    const train = loadImages(dir, 'train', o.limit, '--data-dir');
    const test = loadImages(dir, 'test', o.limit, '--data-dir');
    const classes = o.dataset === 'mnist' ? Array.from({ length: 10 }, (_, i) => String(i)) : FASHION_CLASSES;
    return { train, test, inputShape: [1, 28, 28], classes, dataset: o.dataset, normalization: null, featureNames: null };
  }
  return loadCsvDataset(o);
}

function loadSynthetic(o: LoadOptions): LoadedData {
  const make = syntheticMaker(o.dataset);
  const nTrain = o.limit ?? 1000;
  const nTest = 500;
  // One draw split in two, so train and test come from the same distribution (blobs, for one,
  // places its centres by the seed). The generators shuffle their points already.
  const all = make({ n: nTrain + nTest, seed: o.seed });
  const split = (lo: number, hi: number): Split => ({ x: all.x.sliceDim(0, lo, hi), y: all.y.sliceDim(0, lo, hi) });
  const classes = Array.from({ length: all.numClasses }, (_, i) => String(i));
  return { train: split(0, nTrain), test: split(nTrain, nTrain + nTest), inputShape: [all.x.shape[1]!], classes, dataset: o.dataset, normalization: null, featureNames: null };
}

type SyntheticMaker = (o: { n: number; seed: number }) => { x: Tensor; y: Tensor; numClasses: number };

function syntheticMaker(name: string): SyntheticMaker {
  switch (name) {
    case 'spirals': return (o) => data.spirals(o);
    case 'moons': return (o) => data.moons(o);
    case 'circles': return (o) => data.circles(o);
    case 'xor': return (o) => data.xor(o);
    default: return (o) => data.blobs(o);
  }
}

/** Loads one split of an IDX image dataset directory, with a message naming the flag when absent. */
export function loadImages(dir: string, split: 'train' | 'test', limit: number | undefined, flag: string): Split {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`${flag} ${dir}: no such directory; it must hold the four *-idx?-ubyte.gz files (e.g. --data-dir ../shared/data/mnist)`);
  }
  const r = io.loadMnist(dir, limit === undefined ? { split } : { split, limit });
  return { x: r.x, y: r.y };
}

function loadCsvDataset(o: LoadOptions): LoadedData {
  if (o.csv === undefined) throw new UsageError('train: --dataset csv needs --csv FILE (and --label COLUMN)');
  if (o.label === undefined) throw new UsageError('train: --dataset csv needs --label COLUMN, the name of the class column');
  requireFile(o.csv, '--csv');
  const r = io.readCsv(o.csv, { labelColumn: o.label, dropColumns: o.dropColumns ?? [] });
  checkFinite(r.x, o.csv);
  const n = r.x.shape[0]!;
  if (n < 2) throw new FormatError(`${o.csv}: needs at least 2 rows to split into train and test, got ${n}`);
  // a seeded shuffle, then 80% train / 20% test
  const perm = new Generator(o.seed).permutation(n);
  const nTest = Math.max(1, Math.round(n * 0.2));
  let trainIdx = perm.slice(nTest);
  const testIdx = perm.slice(0, nTest);
  if (o.limit !== undefined && o.limit < trainIdx.length) trainIdx = trainIdx.slice(0, o.limit);
  const pick = (t: Tensor, idx: Int32Array): Tensor => t.indexSelect(0, tensor(Array.from(idx), { dtype: 'int32' }));
  const trainX = pick(r.x, trainIdx);
  const normalization = standardisation(trainX);
  return {
    train: { x: normalize(trainX, normalization), y: pick(r.y, trainIdx) },
    test: { x: normalize(pick(r.x, testIdx), normalization), y: pick(r.y, testIdx) },
    inputShape: [r.x.shape[1]!],
    classes: csvClassNames(r, o.csv),
    dataset: `csv:${o.csv}`,
    normalization,
    featureNames: r.featureNames,
    ignoredColumns: [r.labelName, ...(o.dropColumns ?? [])],
  };
}

/**
 * The class names of a CSV's label column: its sorted distinct strings, or '0'..'K-1' for
 * integer labels (a negative or fractional label is a FormatError naming the row).
 */
export function csvClassNames(r: io.CsvData, file: string): string[] {
  if (r.classes !== null) return r.classes;
  const d = r.y.data;
  let max = -1;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isInteger(v) || v < 0) {
      throw new FormatError(`${file}: row ${i + 1} has label ${v} in column '${r.labelName}'; class labels must be names or integers 0..K-1`);
    }
    if (v > max) max = v;
  }
  if (max > 10000) throw new FormatError(`${file}: label ${max} in column '${r.labelName}' is too large for a class index (0..K-1 expected)`);
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}

/** Per-column mean and standard deviation (1 for constant columns, so they pass through). */
function standardisation(x: Tensor): { mean: number[]; std: number[] } {
  const [n, f] = x.shape as [number, number];
  const d = x.data;
  const mean = new Array<number>(f).fill(0);
  const std = new Array<number>(f).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j]! += d[i * f + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) std[j]! += (d[i * f + j]! - mean[j]!) ** 2 / n;
  return { mean, std: std.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

/** Applies a stored standardisation to [n, features] data. */
export function normalize(x: Tensor, norm: { mean: number[]; std: number[] } | null): Tensor {
  if (!norm) return x;
  if (x.ndim !== 2 || x.shape[1] !== norm.mean.length) {
    throw new ValueError(`normalize: data of shape ${fmtShape(x.shape)} does not have the ${norm.mean.length} features the model was trained on`);
  }
  const [n, f] = x.shape as [number, number];
  const src = x.data;
  const out = new Float32Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) out[i * f + j] = (src[i * f + j]! - norm.mean[j]!) / norm.std[j]!;
  return Tensor.fromRaw(out, [n, f]);
}

/** NaN or infinite inputs would silently poison training: reject them, naming the row. */
export function checkFinite(x: Tensor, file: string): void {
  const d = x.data;
  const rowLen = x.shape.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      const row = Math.floor(i / rowLen);
      throw new FormatError(`${file}: non-finite value (${d[i]}) in data row ${row + 1}, feature ${(i % rowLen) + 1}`);
    }
  }
}

/** Throws a UsageError naming the flag when a file does not exist. */
export function requireFile(path: string, flag: string): void {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such file`);
  if (!statSync(path).isFile()) throw new UsageError(`${flag} ${path}: not a file`);
}
