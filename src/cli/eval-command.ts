import * as nn from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import * as data from '../data/index.js';
import { evaluate, evaluateAsync } from '../train/index.js';
import { BACKEND_FLAG, DEVICE_FLAG, onDevice, useBackend, useDevice } from './backend.js';
import { MAX_BATCH, parseFlags, formatFlagHelp, UsageError, type FlagSpecs } from './args.js';
import { DATASETS, SYNTHETIC, loadDataset, type DatasetName, type Split } from './datasets.js';
import { loadModelFile, csvForModel } from './model-file.js';

const FLAGS = {
  'model-file': { kind: 'string', metavar: 'FILE', help: 'a model saved by \'backprop train --out FILE\' (required)' },
  dataset: { kind: 'string', choices: DATASETS, help: 'data to evaluate on (default: the dataset recorded in the model file; its test split)' },
  'data-dir': { kind: 'string', metavar: 'DIR', help: 'directory of the IDX files for mnist/fashion-mnist (default: ./data/<dataset>)' },
  csv: { kind: 'string', metavar: 'FILE', help: 'evaluate on every row of this CSV file (with --label)' },
  label: { kind: 'string', metavar: 'COL', help: 'name of the class column of --csv' },
  'batch-size': { kind: 'int', min: 1, max: MAX_BATCH, default: 256, help: 'samples per forward pass' },
  seed: { kind: 'int', min: 0, default: 0, help: 'seed of the synthetic test data' },
  limit: { kind: 'int', min: 1, metavar: 'N', help: 'evaluate on at most N samples' },
  json: { kind: 'boolean', help: 'print {"loss":…,"accuracy":…,"samples":…} as one JSON line' },
  backend: BACKEND_FLAG,
  device: DEVICE_FLAG,
} satisfies FlagSpecs;

const HELP = `usage: backprop eval --model-file FILE [flags]

Rebuilds the model from FILE alone (its metadata records the architecture and classes) and
prints its mean cross-entropy loss and accuracy on a test set.

flags:
${formatFlagHelp(FLAGS)}

examples:
  backprop eval --model-file mnist.safetensors --data-dir ../shared/data/mnist
  backprop eval --model-file iris.safetensors --csv iris.csv --label species --json
  backprop eval --model-file mnist.safetensors --data-dir ../shared/data/mnist --device webgpu`;

export async function evalCommand(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'eval');
  if (f.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  useBackend(f.backend);
  const { device } = await useDevice(f.device, 'eval');
  if (f['model-file'] === undefined) throw new UsageError('eval: --model-file FILE is required (a model saved by \'backprop train --out FILE\')');
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
