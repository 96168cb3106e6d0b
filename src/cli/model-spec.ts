import { ValueError, FormatError, fmtShape } from '../errors.js';
import { MAX_MODEL_PARAMETERS } from '../limits.js';
import { Generator } from '../tensor/random.js';
import * as nn from '../nn/index.js';

/**
 * Model specs: the `--model` string (`mlp:784-256-10`, `lenet5`) plus everything needed to
 * rebuild the network from a saved file alone. The spec travels in the safetensors
 * `__metadata__` as `backprop.*` string entries.
 */

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export type Architecture = { kind: 'mlp'; sizes: number[] } | { kind: 'lenet5' };

/**
 * What a model file records about the data it was trained on: the loader reads it off the data
 * (LoadedData) and the spec carries it, so eval and predict can prepare new data the same way.
 */
export interface DataDescription {
  /** shape of one input sample, e.g. [1,28,28] or [2] */
  inputShape: number[];
  /** class names, index = class id */
  classes: string[];
  /** the dataset the model was trained on, informational */
  dataset: string;
  /** per-feature standardisation applied before the model (CSV data), or null */
  normalization: { mean: number[]; std: number[] } | null;
  /**
   * for CSV data: the header names of the feature columns, in model order, so eval/predict pick
   * them by name; null for image and synthetic data
   */
  featureNames: string[] | null;
  /**
   * for CSV data: the columns of the training file that were not features (the label, the
   * --drop-columns), which predict may meet in its input and ignores; any other extra column is
   * an error. Absent (undefined) in files written before it was recorded.
   */
  ignoredColumns?: string[];
}

export interface ModelSpec extends DataDescription {
  /** the --model string as given, e.g. 'mlp:784-256-10' */
  model: string;
  activation: Activation;
  /** dropout probability after each hidden layer (0 = none) */
  dropout: number;
}

/**
 * Parses a --model string.
 * @example parseArchitecture('mlp:784-256-10') // { kind: 'mlp', sizes: [784, 256, 10] }
 */
export function parseArchitecture(model: string, flag = '--model'): Architecture {
  if (model === 'lenet5') return { kind: 'lenet5' };
  if (model === 'gpt' || model.startsWith('gpt:')) {
    throw new ValueError(`${flag}: '${model}' is a language model; train it on text with --dataset text --text FILE`);
  }
  const m = /^mlp:(\d+(?:-\d+)+)$/.exec(model);
  if (!m) {
    throw new ValueError(`${flag}: bad model '${model}'; allowed: mlp:IN-HIDDEN...-OUT (e.g. mlp:784-256-10) or lenet5 (and gpt:layers=N,heads=N,embd=N,block=N with --dataset text)`);
  }
  const sizes = m[1]!.split('-').map(Number);
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 1)) throw new ValueError(`${flag}: layer sizes in '${model.length > 60 ? `${model.slice(0, 60)}…` : model}' must be positive integers`);
  const arch: Architecture = { kind: 'mlp', sizes };
  // checked before anything is built: mlp:2-1000000000-2 would otherwise allocate gigabytes
  const n = parameterCount(arch);
  if (n > MAX_MODEL_PARAMETERS) {
    throw new ValueError(`${flag}: '${model.length > 60 ? `${model.slice(0, 60)}…` : model}' has ${n} parameters, more than the ${MAX_MODEL_PARAMETERS} (2^28) a model may have`);
  }
  return arch;
}

/**
 * The number of weights and biases the architecture has, computed without building it.
 * @example parameterCount(parseArchitecture('mlp:2-3-2')) // 2·3 + 3 + 3·2 + 2 = 17
 */
export function parameterCount(arch: Architecture): number {
  if (arch.kind === 'lenet5') {
    // conv 1→6 (5x5), conv 6→16 (5x5), then 400→120→84→10
    return (1 * 6 * 25 + 6) + (6 * 16 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10);
  }
  let n = 0;
  for (let i = 0; i + 1 < arch.sizes.length; i++) n += arch.sizes[i]! * arch.sizes[i + 1]! + arch.sizes[i + 1]!;
  return n;
}

/**
 * Checks that an architecture fits the data: an MLP's first size must equal the number of input
 * features and its last the number of classes; lenet5 needs [1,28,28] images.
 */
export function validateArchitecture(arch: Architecture, model: string, inputShape: readonly number[], numClasses: number, dataset: string): void {
  const features = inputShape.reduce((a, b) => a * b, 1);
  if (arch.kind === 'mlp') {
    const first = arch.sizes[0]!;
    const last = arch.sizes[arch.sizes.length - 1]!;
    if (first !== features) {
      throw new ValueError(`--model ${model}: input size ${first} does not match ${dataset}, whose samples have ${features} features (shape ${fmtShape(inputShape)}); use mlp:${features}-...-${numClasses}`);
    }
    if (last !== numClasses) {
      throw new ValueError(`--model ${model}: output size ${last} does not match the ${numClasses} classes of ${dataset}; use mlp:${features}-...-${numClasses}`);
    }
  } else {
    if (inputShape.length !== 3 || inputShape[0] !== 1 || inputShape[1] !== 28 || inputShape[2] !== 28) {
      throw new ValueError(`--model lenet5 needs 28x28 grayscale images (mnist, fashion-mnist), but ${dataset} samples have shape ${fmtShape(inputShape)}; use --model mlp:${features}-64-${numClasses}`);
    }
    if (numClasses !== 10) throw new ValueError(`--model lenet5 has 10 outputs, but ${dataset} has ${numClasses} classes`);
  }
}

function activationModule(a: Activation): nn.Module {
  switch (a) {
    case 'relu': return new nn.ReLU();
    case 'sigmoid': return new nn.Sigmoid();
    case 'tanh': return new nn.Tanh();
    case 'gelu': return new nn.GELU();
  }
}

/** What buildModel creates besides the module: the generator dropout draws from (checkpointed). */
export interface BuiltModel {
  module: nn.Sequential;
  dropoutGenerator: Generator;
}

/**
 * Builds the network for a spec. Weights are initialised from `initGenerator`; dropout masks come
 * from their own generator so a checkpoint can restore that stream exactly.
 */
export function buildModel(spec: ModelSpec, initGenerator: Generator, dropoutSeed: number): BuiltModel {
  const arch = parseArchitecture(spec.model);
  const dropoutGenerator = new Generator(dropoutSeed);
  const layers: nn.Module[] = [];
  const hiddenTail = (): void => {
    layers.push(activationModule(spec.activation));
    if (spec.dropout > 0) layers.push(new nn.Dropout(spec.dropout, { generator: dropoutGenerator }));
  };
  if (arch.kind === 'mlp') {
    if (spec.inputShape.length !== 1) layers.push(new nn.Flatten());
    for (let i = 0; i + 1 < arch.sizes.length; i++) {
      layers.push(new nn.Linear(arch.sizes[i]!, arch.sizes[i + 1]!, { generator: initGenerator }));
      if (i + 2 < arch.sizes.length) hiddenTail();
    }
  } else {
    // LeNet-5 as usually re-implemented today: padded 5x5 convolutions, max pooling and the
    // 120-84-10 classifier; the chosen activation replaces the original scaled tanh.
    layers.push(new nn.Conv2d(1, 6, 5, { padding: 2, generator: initGenerator }));
    layers.push(activationModule(spec.activation));
    layers.push(new nn.MaxPool2d(2));
    layers.push(new nn.Conv2d(6, 16, 5, { generator: initGenerator }));
    layers.push(activationModule(spec.activation));
    layers.push(new nn.MaxPool2d(2));
    layers.push(new nn.Flatten());
    layers.push(new nn.Linear(16 * 5 * 5, 120, { generator: initGenerator }));
    hiddenTail();
    layers.push(new nn.Linear(120, 84, { generator: initGenerator }));
    hiddenTail();
    layers.push(new nn.Linear(84, 10, { generator: initGenerator }));
  }
  return { module: new nn.Sequential(...layers), dropoutGenerator };
}

const PREFIX = 'backprop.';

/** The spec as safetensors metadata (string values only, as the format requires). */
export function specToMetadata(spec: ModelSpec): Record<string, string> {
  const md: Record<string, string> = {
    [`${PREFIX}format`]: 'model-v1',
    [`${PREFIX}model`]: spec.model,
    [`${PREFIX}activation`]: spec.activation,
    [`${PREFIX}dropout`]: String(spec.dropout),
    [`${PREFIX}inputShape`]: JSON.stringify(spec.inputShape),
    [`${PREFIX}classes`]: JSON.stringify(spec.classes),
    [`${PREFIX}dataset`]: spec.dataset,
  };
  if (spec.normalization) md[`${PREFIX}normalization`] = JSON.stringify(spec.normalization);
  if (spec.featureNames) md[`${PREFIX}featureNames`] = JSON.stringify(spec.featureNames);
  if (spec.ignoredColumns) md[`${PREFIX}ignoredColumns`] = JSON.stringify(spec.ignoredColumns);
  return md;
}

/** Reads a spec back from metadata; a missing or malformed entry is a FormatError naming the file. */
export function specFromMetadata(md: Record<string, string> | undefined | null, file: string): ModelSpec {
  const get = (key: string): string => {
    const v = md?.[PREFIX + key];
    if (typeof v !== 'string') {
      throw new FormatError(`${file}: not a backprop model file: __metadata__ has no '${PREFIX}${key}' entry (was it saved by 'backprop train --out'?)`);
    }
    return v;
  };
  const json = <T>(key: string, check: (v: unknown) => v is T, what: string): T => {
    let v: unknown;
    try {
      v = JSON.parse(get(key));
    } catch {
      throw new FormatError(`${file}: __metadata__ '${PREFIX}${key}' is not valid JSON`);
    }
    if (!check(v)) throw new FormatError(`${file}: __metadata__ '${PREFIX}${key}' must be ${what}`);
    return v;
  };
  const format = get('format');
  if (format !== 'model-v1') throw new FormatError(`${file}: unsupported backprop model format '${format}', expected 'model-v1'`);
  const model = get('model');
  if (model === 'gpt' || model.startsWith('gpt:')) {
    throw new FormatError(`${file}: holds a language model ('${model}'), not a classifier; use 'backprop generate --model-file ${file}', or 'backprop eval --model-file ${file} --text FILE' for its loss on a text`);
  }
  try {
    parseArchitecture(model, `__metadata__ '${PREFIX}model'`);
  } catch (e) {
    throw new FormatError(`${file}: ${(e as Error).message}`);
  }
  const activation = get('activation');
  if (!(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new FormatError(`${file}: __metadata__ '${PREFIX}activation' is '${activation}'; expected one of ${ACTIVATIONS.join(', ')}`);
  }
  const dropout = Number(get('dropout'));
  if (!(dropout >= 0 && dropout < 1)) throw new FormatError(`${file}: __metadata__ '${PREFIX}dropout' must be a number in [0, 1)`);
  const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && d > 0);
  const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((d) => typeof d === 'string');
  const isNorm = (v: unknown): v is { mean: number[]; std: number[] } => {
    const o = v as { mean?: unknown; std?: unknown } | null;
    return !!o && Array.isArray(o.mean) && Array.isArray(o.std) && o.mean.length === o.std.length
      && o.mean.every((x) => typeof x === 'number') && o.std.every((x) => typeof x === 'number' && x > 0);
  };
  const inputShape = json('inputShape', isIntArray, 'a JSON array of positive integers');
  const classes = json('classes', isStringArray, 'a JSON array of class names');
  const normalization = md?.[`${PREFIX}normalization`] !== undefined ? json('normalization', isNorm, 'a JSON object {mean: number[], std: number[]}') : null;
  const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const featureNames = md?.[`${PREFIX}featureNames`] !== undefined ? json('featureNames', isNames, 'a JSON array of column names') : null;
  const spec: ModelSpec = { model, activation: activation as Activation, dropout, inputShape, classes, dataset: get('dataset'), normalization, featureNames };
  if (md?.[`${PREFIX}ignoredColumns`] !== undefined) spec.ignoredColumns = json('ignoredColumns', isNames, 'a JSON array of column names');
  try {
    validateArchitecture(parseArchitecture(model), model, inputShape, classes.length, spec.dataset);
  } catch (e) {
    throw new FormatError(`${file}: inconsistent model metadata: ${(e as Error).message}`);
  }
  return spec;
}
