import { readFileSync } from 'node:fs';
import type { Device } from '../backend/backend.js';
import { ValueError } from '../errors.js';
import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import * as data from '../data/index.js';
import { evaluate, evaluateAsync } from '../train/index.js';
import { BACKEND_FLAG, DEVICE_FLAG, onDevice, useBackend, useDevice } from './backend.js';
import { MAX_BATCH, parseFlags, formatFlagHelp, UsageError, type FlagSpecs, type ParsedFlags } from './args.js';
import { DATASETS, SYNTHETIC, loadDataset, requireFile, type DatasetName, type Split } from './datasets.js';
import { loadModelFile, csvForModel } from './model-file.js';
import { isLanguageModelFile, loadLanguageModel, parseGptArchitecture } from './language-model.js';
import { textLoss } from './train-text.js';

const FLAGS = {
  'model-file': { kind: 'string', metavar: 'FILE', help: 'a model saved by \'backprop train --out FILE\' (required)' },
  dataset: { kind: 'string', choices: DATASETS, help: 'data to evaluate on (default: the dataset recorded in the model file; its test split)' },
  'data-dir': { kind: 'string', metavar: 'DIR', help: 'directory of the IDX files for mnist/fashion-mnist (default: ./data/<dataset>)' },
  csv: { kind: 'string', metavar: 'FILE', help: 'evaluate on every row of this CSV file (with --label)' },
  label: { kind: 'string', metavar: 'COL', help: 'name of the class column of --csv' },
  'batch-size': { kind: 'int', min: 1, max: MAX_BATCH, default: 256, help: 'samples per forward pass' },
  seed: { kind: 'int', min: 0, default: 0, help: 'seed of the synthetic test data' },
  limit: { kind: 'int', min: 1, metavar: 'N', help: 'evaluate on at most N samples' },
  text: { kind: 'string', metavar: 'FILE', help: 'for a language model: the text to evaluate on, split as training split it (first 90% / last 10%)' },
  split: { kind: 'string', choices: ['val', 'train', 'all'], help: 'for a language model: which part of --text (default: val, the last 10%)' },
  json: { kind: 'boolean', help: 'print {"loss":…,"accuracy":…,"samples":…} as one JSON line (a language model: {"loss":…,"perplexity":…,"bitsPerCharacter":…,"windows":…,"tokens":…})' },
  backend: BACKEND_FLAG,
  device: DEVICE_FLAG,
} satisfies FlagSpecs;

const HELP = `usage: backprop eval --model-file FILE [flags]

Rebuilds the model from FILE alone (its metadata records the architecture and classes) and
prints its mean cross-entropy loss and accuracy on a test set. A language model (trained with
--dataset text) is evaluated on --text FILE instead: its loss per character over the whole
validation part (the last 10%, as in training), cut into consecutive windows of its block size,
with the perplexity and bits per character.

flags:
${formatFlagHelp(FLAGS)}

examples:
  backprop eval --model-file mnist.safetensors --data-dir ../shared/data/mnist
  backprop eval --model-file iris.safetensors --csv iris.csv --label species --json
  backprop eval --model-file mnist.safetensors --data-dir ../shared/data/mnist --device webgpu
  backprop eval --model-file gpt.safetensors --text ../shared/data/tinyshakespeare/input.txt`;

export async function evalCommand(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'eval');
  if (f.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  useBackend(f.backend);
  const { device } = await useDevice(f.device, 'eval');
  if (f['model-file'] === undefined) throw new UsageError('eval: --model-file FILE is required (a model saved by \'backprop train --out FILE\')');
  if (isLanguageModelFile(f['model-file'], '--model-file')) return evalLanguageModel(f, device);
  if (f.text !== undefined || f.split !== undefined) {
    throw new UsageError(`eval: --${f.text !== undefined ? 'text' : 'split'} is for language models; ${f['model-file']} holds a classifier`);
  }
  const { model, spec } = loadModelFile(f['model-file'], '--model-file');

  let split: Split;
  if (f.csv !== undefined || f.dataset === 'csv') {
    if (f.csv === undefined) throw new UsageError('eval: --dataset csv needs --csv FILE and --label COL');
    if (f.label === undefined) throw new UsageError('eval: --csv needs --label COL, the name of the class column');
    split = csvForModel(f.csv, spec, f.label, '--csv');
    if (f.limit !== undefined && f.limit < split.x.shape[0]!) split = { x: split.x.sliceDim(0, 0, f.limit), y: split.y.sliceDim(0, 0, f.limit) };
  } else {
    const dataset = (f.dataset ?? spec.dataset) as DatasetName;
    if (!(DATASETS as readonly string[]).includes(dataset) || dataset === 'csv') {
      throw new UsageError(`eval: the model was trained on '${spec.dataset}'; pass --csv FILE --label COL or --dataset (${DATASETS.join(', ')})`);
    }
    const loaded = loadDataset({
      dataset, dataDir: f['data-dir'], csv: undefined, label: undefined,
      // synthetic data: draw a fresh test set of the usual size; images: the 10k test split
      limit: (SYNTHETIC as readonly string[]).includes(dataset) ? undefined : f.limit, seed: f.seed,
    });
    if (loaded.classes.length !== spec.classes.length || loaded.inputShape.join() !== spec.inputShape.join()) {
      throw new UsageError(`eval: ${dataset} (${loaded.classes.length} classes, samples of shape [${loaded.inputShape}]) does not fit the model in ${f['model-file']} (${spec.classes.length} classes, [${spec.inputShape}])`);
    }
    split = loaded.test;
    if (f.limit !== undefined && f.limit < split.x.shape[0]!) split = { x: split.x.sliceDim(0, 0, f.limit), y: split.y.sliceDim(0, 0, f.limit) };
  }
  const loader = new data.DataLoader(new data.TensorDataset(split.x, split.y), { batchSize: f['batch-size'] });
  const opts = { loss: (out: Tensor, y: Tensor): Tensor => nn.F.crossEntropy(out, y) };
  // on a GPU the sums stay there and are read back once, at the end
  const r = device === 'cpu' ? evaluate(model, loader, opts) : await evaluateAsync(model.to(device), onDevice(loader, device), opts);
  const n = split.x.shape[0]!;
  if (f.json || !process.stdout.isTTY) {
    process.stdout.write(`${JSON.stringify({ loss: r.loss, accuracy: r.accuracy, samples: n })}\n`);
  } else {
    process.stdout.write(`loss ${r.loss.toFixed(4)}  accuracy ${r.accuracy === null ? 'n/a' : `${(100 * r.accuracy).toFixed(2)}%`}  (${n} samples)\n`);
  }
  return 0;
}

/** Flags of eval that a language model has no use for. */
const NOT_FOR_TEXT = ['dataset', 'data-dir', 'csv', 'label', 'limit'] as const;

/** `eval` of a language model: its loss over the whole chosen part of --text. */
async function evalLanguageModel(f: ParsedFlags<typeof FLAGS>, device: Device): Promise<number> {
  const file = f['model-file']!;
  for (const flag of NOT_FOR_TEXT) {
    if (f[flag] !== undefined && !(flag === 'dataset' && f.dataset === 'text')) {
      throw new UsageError(`eval: --${flag} is not used with a language model (${file}); pass --text FILE`);
    }
  }
  if (f.text === undefined) throw new UsageError(`eval: ${file} holds a language model; pass --text FILE, the text to evaluate it on`);
  const { model, spec, vocab } = loadLanguageModel(file, '--model-file');
  requireFile(f.text, '--text');
  let ids: Int32Array;
  try {
    ids = vocab.encode(readFileSync(f.text, 'utf8'), `--text ${f.text}`);
  } catch (e) {
    if (e instanceof ValueError) throw new UsageError(`eval: ${e.message}`);
    throw e;
  }
  const cut = Math.floor(ids.length * 0.9);
  const part = f.split === 'train' ? ids.subarray(0, cut) : f.split === 'all' ? ids : ids.subarray(cut);
  const block = parseGptArchitecture(spec.model).block;
  if (part.length < block + 1) {
    throw new UsageError(`eval: the ${f.split ?? 'val'} part of --text ${f.text} has ${part.length} characters, fewer than the model's block + 1 = ${block + 1}`);
  }
  const r = await textLoss(model.to(device), part, block, f['batch-size'], device);
  const perplexity = Math.exp(r.loss), bits = r.loss / Math.LN2;
  if (f.json || !process.stdout.isTTY) {
    process.stdout.write(`${JSON.stringify({ loss: r.loss, perplexity, bitsPerCharacter: bits, windows: r.windows, tokens: r.tokens })}\n`);
  } else {
    process.stdout.write(`loss ${r.loss.toFixed(4)}  perplexity ${perplexity.toFixed(3)}  ${bits.toFixed(4)} bits/character  (${r.windows} windows of ${block}, ${r.tokens} characters)\n`);
  }
  return 0;
}
