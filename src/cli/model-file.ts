import { readFileSync } from 'node:fs';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { FormatError } from '../errors.js';
import type * as nn from '../nn/index.js';
import * as io from '../io/index.js';
import { buildModel, parameterCount, parseArchitecture, specFromMetadata, type ModelSpec } from './model-spec.js';
import { firstNonFinite } from '../numerics.js';
import { checkFinite, csvClassNames, normalize, requireFile, type Split } from './datasets.js';
import { UsageError } from './args.js';

/**
 * Model files are safetensors holding the state dict, with the model spec in `__metadata__`;
 * these helpers turn one back into a ready-to-run module, and shape input files to fit it.
 */

/** Rebuilds a model from a file written by `backprop train --out`, in eval mode. */
export function loadModelFile(path: string, flag: string): { model: nn.Sequential; spec: ModelSpec } {
  requireFile(path, flag);
  const { tensors, metadata } = io.loadSafetensors(path);
  const spec = specFromMetadata(metadata, path);
  checkModelTensors(tensors, spec, path);
  const { module } = buildModel(spec, new Generator(0), 0);
  try {
    module.loadStateDict(tensors);
  } catch (e) {
    throw new FormatError(`${path}: the weights do not fit the recorded model '${spec.model}': ${(e as Error).message}`);
  }
  module.eval();
  return { model: module, spec };
}

/**
 * Checks a file's weights against its spec before the model is built: they must hold exactly
 * as many values as the spec has parameters (so metadata declaring a huge model allocates
 * nothing), and every value must be finite (a diverged model must not answer quietly).
 */
export function checkModelTensors(tensors: Record<string, Tensor>, spec: ModelSpec, path: string): void {
  const expected = parameterCount(parseArchitecture(spec.model));
  let held = 0;
  for (const t of Object.values(tensors)) held += t.size;
  if (held !== expected) {
    throw new FormatError(`${path}: its metadata describes '${spec.model}', which has ${expected} parameters, but the file holds ${held} values`);
  }
  for (const [name, t] of Object.entries(tensors)) {
    const i = firstNonFinite(t.data);
    if (i >= 0) {
      throw new FormatError(`${path}: weight '${name}' holds ${t.data[i]} at index ${i}: the model diverged in training (train it again with a lower --lr)`);
    }
  }
}

/**
 * Reads a labelled CSV for a saved model: the label column's values are mapped to the model's
 * class names (so 'Iris-setosa' means the same class as in training), and features are
 * standardised as in training. A label the model does not know is a FormatError naming the row.
 */
export function csvForModel(path: string, spec: ModelSpec, label: string, flag: string): Split {
  requireFile(path, flag);
  const r = io.readCsv(path, { labelColumn: label });
  r.x = byName(r.x, r.featureNames, spec.featureNames, path);
  checkFinite(r.x, path);
  const fileClasses = csvClassNames(r, path);
  const features = spec.inputShape.reduce((a, b) => a * b, 1);
  if (r.x.ndim !== 2 || r.x.shape[1] !== features) {
    throw new FormatError(`${path}: has ${r.x.shape[1]} feature columns besides '${label}', but the model takes ${features}`);
  }
  const toModel = fileClasses.map((c) => spec.classes.indexOf(c));
  const y = new Int32Array(r.y.size);
  const src = r.y.data;
  for (let i = 0; i < y.length; i++) {
    const k = toModel[src[i]!];
    if (k === undefined || k < 0) {
      throw new FormatError(`${path}: row ${i + 1} has label '${fileClasses[src[i]!] ?? src[i]}' in column '${label}', outside the model's classes (${spec.classes.join(', ')})`);
    }
    y[i] = k;
  }
  return { x: normalize(r.x, spec.normalization), y: Tensor.fromRaw(y, [y.length]) };
}

/**
 * Reads the inputs of `backprop predict`: a CSV of feature rows (a header row; a column named
 * --label, if given, is ignored) or an IDX image file (.idx, .idx.gz, *-ubyte[.gz]).
 */
export function inputsForModel(path: string, spec: ModelSpec, label: string | undefined, flag: string): Tensor {
  requireFile(path, flag);
  const features = spec.inputShape.reduce((a, b) => a * b, 1);
  if (/\.csv$/i.test(path)) {
    const r = readFeatureCsv(path, label, features, spec);
    checkFinite(r.x, path);
    if (r.x.ndim !== 2 || r.x.shape[1] !== features) {
      throw new FormatError(`${path}: rows have ${r.x.shape[1]} feature columns, but the model takes ${features}${label === undefined ? ' (pass --label COL to skip a label column)' : ''}`);
    }
    return normalize(r.x, spec.normalization);
  }
  if (/(\.idx\d?|ubyte)(\.gz)?$/i.test(path)) {
    const t = io.readIdx(path);
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    if (t.ndim < 2 || per !== features) {
      throw new FormatError(`${path}: IDX samples of shape [${t.shape.slice(1)}] do not fit the model's input [${spec.inputShape}]`);
    }
    // pixels are stored as 0..255; the models were trained on [0, 1]
    const n = t.shape[0]!;
    const out = new Float32Array(t.size);
    const d = t.data;
    for (let i = 0; i < out.length; i++) out[i] = d[i]! / 255;
    return Tensor.fromRaw(out, [n, ...spec.inputShape]);
  }
  throw new UsageError(`${flag} ${path}: unknown input format; allowed: FILE.csv, FILE.idx, FILE.idx.gz, *-ubyte, *-ubyte.gz`);
}

// The feature columns of a predict input. Every other column must be one the caller or the
// model says to ignore: the --label column, or (for a model trained on CSV) the training file's
// label and dropped columns. Anything else is an error rather than silently dropped: a column
// the model never saw means the file is not what the user thinks.
function readFeatureCsv(path: string, label: string | undefined, features: number, spec: ModelSpec): { x: Tensor } {
  const text = readFileSync(path, 'utf8');
  const header = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).replace(/\r$/, '').split(',').map((c) => c.trim());
  const names = spec.featureNames;
  if (names !== null) {
    const ignorable = new Set([...(spec.ignoredColumns ?? []), ...(label !== undefined ? [label] : [])]);
    if (label !== undefined && !header.includes(label)) throw new FormatError(`${path}: --label '${label}' is not a column (its columns: ${header.join(', ')})`);
    const extra = header.filter((c) => !names.includes(c) && !ignorable.has(c));
    // (a missing feature column is reported by the reader, naming it)
    if (extra.length > 0 && names.every((n) => header.includes(n))) {
      throw new FormatError(`${path}: has ${extra.length === 1 ? 'a column' : 'columns'} the model was not trained on (${extra.map((c) => `'${c}'`).join(', ')}); `
        + `the model takes ${names.join(', ')}${extra.length === 1 ? `; pass --label ${extra[0]} to ignore it` : ''}`);
    }
    return io.parseCsvFeatures(text, path, { columns: names });
  }
  if (label !== undefined) {
    const r = io.parseCsv(text, path, { labelColumn: label });
    return { x: r.x };
  }
  if (header.length !== features) {
    throw new FormatError(`${path}: rows have ${header.length} columns, but the model takes ${features} features (pass --label COL to skip a label column)`);
  }
  return io.parseCsvFeatures(text, path);
}

/**
 * The columns of x named `wanted`, in that order (a model trained on CSV records its feature
 * names); x unchanged when the model has none. A missing column is a FormatError naming it.
 */
function byName(x: Tensor, have: readonly string[], wanted: readonly string[] | null, path: string): Tensor {
  if (wanted === null || (have.length === wanted.length && have.every((h, i) => h === wanted[i]))) return x;
  const idx = wanted.map((w) => {
    const i = have.indexOf(w);
    if (i < 0) throw new FormatError(`${path}: has no column '${w}', which the model was trained on (its columns: ${have.join(', ')})`);
    return i;
  });
  return x.indexSelect(1, Tensor.fromRaw(Int32Array.from(idx), [idx.length]));
}
