import { resolve } from 'node:path';
import { Generator, defaultGenerator, manualSeed } from '../tensor/random.js';
import * as nn from '../nn/index.js';
import * as optim from '../optim/index.js';
import * as data from '../data/index.js';
import * as io from '../io/index.js';
import { fit, type BatchLog, type EpochLog } from '../train/index.js';
import { BACKEND_FLAG, DEVICE_FLAG, allFinite, onDevice, optimizerStateToHost, toHost, useBackend, useDevice } from './backend.js';
import { MAX_BATCH, parseFlags, formatFlagHelp, UsageError, type FlagSpecs, type ParsedFlags } from './args.js';
import { DATASETS, SYNTHETIC, loadDataset, type DatasetName } from './datasets.js';
import { ACTIVATIONS, buildModel, parseArchitecture, specToMetadata, validateArchitecture, type Activation, type ModelSpec } from './model-spec.js';
import { ProgressBar, epochJsonLine, formatEpochSummary } from './progress.js';
import { OPTIMIZERS, makeOptimizer, type OptimizerName, type OptimizerSettings } from './optimizers.js';
import { trainTextCommand } from './train-text.js';
import { readTrainCheckpoint, writeTrainCheckpoint, type TrainCheckpoint } from './checkpoint.js';
import { requireFile } from './datasets.js';
import { checkModelTensors } from './model-file.js';
import { BackpropError, FormatError, NumericsError } from '../errors.js';
import { firstNonFinite } from '../numerics.js';
import { MAX_DECODED_BYTES } from '../limits.js';

const SCHEDULES = ['none', 'cosine'] as const;

const FLAGS = {
  dataset: { kind: 'string', default: 'spirals', choices: DATASETS, help: 'the data to train on' },
  'data-dir': { kind: 'string', metavar: 'DIR', help: 'directory of the gzipped IDX files for mnist/fashion-mnist (default: ./data/<dataset>, relative to the working directory)' },
  csv: { kind: 'string', metavar: 'FILE', help: 'CSV file with a header row, for --dataset csv (80/20 train/test split by --seed)' },
  label: { kind: 'string', metavar: 'COL', help: 'name of the class column of --csv' },
  'drop-columns': { kind: 'string', metavar: 'COL,...', help: 'columns of --csv to leave out of the features, comma-separated (e.g. id)' },
  model: { kind: 'string', metavar: 'SPEC', help: 'mlp:IN-HIDDEN...-OUT (e.g. mlp:784-256-10), lenet5, or for --dataset text gpt:layers=N,heads=N,embd=N,block=N (default: mlp:2-64-64-C for synthetic data, mlp:784-256-10 for images, mlp:F-32-C for CSV, gpt:layers=4,heads=4,embd=128,block=64 for text)' },
  activation: { kind: 'string', default: 'relu', choices: ACTIVATIONS, help: 'hidden-layer activation' },
  dropout: { kind: 'number', default: 0, metavar: 'P', help: 'dropout probability after each hidden fully connected layer, in [0, 1)' },
  optimizer: { kind: 'string', choices: OPTIMIZERS, help: 'optimizer (momentum = SGD with momentum 0.9; default: adam, adamw for --dataset text)' },
  schedule: { kind: 'string', choices: SCHEDULES, help: 'learning-rate schedule: none, or cosine annealing (to 0 over --epochs, stepped per epoch; for --dataset text to --min-lr over --iters, stepped per step); default: none, cosine for --dataset text' },
  lr: { kind: 'number', above: 0, metavar: 'RATE', help: 'learning rate (default: 0.001 for adam/adamw, 0.05 for sgd/momentum; 0.01 with adam/adamw on synthetic and CSV data)' },
  epochs: { kind: 'int', min: 1, help: 'total number of epochs (default: 30 for synthetic data, 5 otherwise)' },
  'weight-decay': { kind: 'number', metavar: 'X', help: 'weight decay, >= 0 (default: the optimizer\'s own, 0.01 for adamw and 0 otherwise; for --dataset text only matrices and embeddings decay)' },
  beta2: { kind: 'number', metavar: 'X', help: 'adam/adamw second-moment decay β₂ in [0, 1) (default: 0.999)' },
  text: { kind: 'string', metavar: 'FILE', help: 'UTF-8 text for --dataset text: a character-level GPT trains on its first 90% of characters and validates on the last 10%' },
  iters: { kind: 'int', min: 1, help: 'optimizer steps, for --dataset text (default: 2000)' },
  'eval-interval': { kind: 'int', min: 1, help: 'steps between loss estimates, for --dataset text (default: 250)' },
  'eval-iters': { kind: 'int', min: 1, help: 'random batches per loss estimate, for --dataset text (default: 20)' },
  warmup: { kind: 'int', min: 0, help: 'steps of linear learning-rate warmup, for --dataset text (default: 0)' },
  'min-lr': { kind: 'number', metavar: 'RATE', help: 'learning rate the cosine schedule ends at, for --dataset text (default: --lr / 10)' },
  'clip-grad': { kind: 'number', above: 0, metavar: 'X', help: 'clip the gradients\' joint 2-norm to X before each step, for --dataset text (default: no clipping)' },
  'batch-size': { kind: 'int', min: 1, max: MAX_BATCH, default: 64, help: 'samples per step' },
  seed: { kind: 'int', min: 0, default: 0, help: 'seed of weight init, shuffling, dropout and synthetic data' },
  out: { kind: 'string', metavar: 'FILE', help: 'write the trained model to FILE.safetensors (readable by eval/predict)' },
  checkpoint: { kind: 'string', metavar: 'FILE', help: 'write a resumable checkpoint to FILE after every epoch (atomically)' },
  resume: { kind: 'string', metavar: 'FILE', help: 'continue from a checkpoint written by --checkpoint, up to --epochs; model, optimizer, schedule, batch size and seed come from the checkpoint (pass the same data flags)' },
  json: { kind: 'boolean', help: 'print one JSON line per epoch, or per loss estimate with --dataset text (also the default when stdout is not a terminal)' },
  limit: { kind: 'int', min: 1, metavar: 'N', help: 'use only the first N training samples (and at most N test samples)' },
  backend: BACKEND_FLAG,
  device: DEVICE_FLAG,
} satisfies FlagSpecs;

const HELP = `usage: backprop train [flags]

Trains a classifier and reports test loss and accuracy after every epoch: a progress bar on a
terminal, one JSON line per epoch with --json or when stdout is not a terminal:
  {"epoch":1,"trainLoss":…,"testLoss":…,"testAccuracy":…,"seconds":…,"samplesPerSecond":…}

With --dataset text it trains a character-level GPT (nanoGPT's) on --text FILE for --iters
steps of random --batch-size windows, and estimates the train and validation losses on
--eval-iters random batches every --eval-interval steps, one JSON line each:
  {"iter":250,"trainLoss":…,"valLoss":…,"tokensPerSecond":…,"lr":…,"seconds":…}
(tokensPerSecond counts training tokens since the previous estimate, evaluation time excluded;
seconds is the wall time since training started). --out writes the model with its vocabulary,
for 'backprop generate'.

On --device webgpu the data stay in host memory and each batch is uploaded as it is drawn; the
loss is read back once per epoch (the progress bar reads it every batch), and divergence is
checked once per epoch instead of every step.

flags:
${formatFlagHelp(FLAGS)}

examples:
  backprop train                                   # small MLP on synthetic spirals
  backprop train --dataset mnist --data-dir ../shared/data/mnist --model mlp:784-256-10 --epochs 5 --out mnist.safetensors
  backprop train --dataset mnist --data-dir ../shared/data/mnist --model lenet5 --checkpoint ck.safetensors
  backprop train --dataset mnist --data-dir ../shared/data/mnist --model lenet5 --resume ck.safetensors --epochs 10
  backprop train --dataset mnist --data-dir ../shared/data/mnist --model lenet5 --device webgpu --out lenet5.safetensors
  backprop train --dataset csv --csv ../shared/data/iris.csv --label species --epochs 50 --out iris.safetensors
  backprop train --dataset text --text ../shared/data/tinyshakespeare/input.txt --model gpt:layers=4,heads=4,embd=128,block=64 \\
    --batch-size 12 --iters 2000 --lr 0.001 --min-lr 0.0001 --warmup 100 --weight-decay 0.1 --beta2 0.99 --clip-grad 1 --out gpt.safetensors`;

/** The parsed flags of 'backprop train'. */
export type TrainFlags = ParsedFlags<typeof FLAGS>;

/** Flags that only --dataset text reads. */
const TEXT_ONLY = ['text', 'iters', 'eval-interval', 'eval-iters', 'warmup', 'min-lr', 'clip-grad'] as const;

export async function trainCommand(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'train');
  if (f.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const backend = useBackend(f.backend);
  checkOptimizerSettings(f);
  const { device, info: deviceInfo } = await useDevice(f.device, 'train');
  if (f.dataset === 'text') return trainTextCommand(f, backend, device);
  for (const flag of TEXT_ONLY) {
    if (f[flag] !== undefined) throw new UsageError(`train: --${flag} is only used with --dataset text (got --dataset ${f.dataset})`);
  }
  const dataset = f.dataset as DatasetName;
  const synthetic = (SYNTHETIC as readonly string[]).includes(dataset);
  if (!(f.dropout >= 0 && f.dropout < 1)) throw new UsageError(`train: bad value '${f.dropout}' for --dropout; expected a number in [0, 1)`);
  if (f.csv !== undefined && dataset !== 'csv') throw new UsageError(`train: --csv is only used with --dataset csv (got --dataset ${dataset})`);
  if (f['drop-columns'] !== undefined && dataset !== 'csv') throw new UsageError(`train: --drop-columns is only used with --dataset csv (got --dataset ${dataset})`);
  if (f['data-dir'] !== undefined && dataset !== 'mnist' && dataset !== 'fashion-mnist') {
    throw new UsageError(`train: --data-dir is only used with --dataset mnist or fashion-mnist (got --dataset ${dataset})`);
  }
  // checked before any data is loaded or any epoch is run: a typo costs nothing
  if (f.model !== undefined) parseArchitecture(f.model);
  checkOutputs(f.out, f.checkpoint);
  const resumed: TrainCheckpoint | null = f.resume !== undefined ? (requireFile(f.resume, '--resume'), readTrainCheckpoint(f.resume)) : null;
  if (resumed) {
    checkModelTensors(resumed.model, resumed.spec, f.resume!);
  }

  const seed = resumed ? resumed.seed : f.seed;
  const batchSize = resumed ? resumed.batchSize : f['batch-size'];
  if (resumed) {
    // A resumed run must see the same data in the same order as the original one.
    if (resumed.spec.dataset !== datasetLabel(dataset, f.csv)) {
      throw new UsageError(`train: --resume ${f.resume} was trained on '${resumed.spec.dataset}', but --dataset is '${datasetLabel(dataset, f.csv)}'`);
    }
    if (f.model !== undefined && f.model !== resumed.spec.model) {
      throw new UsageError(`train: --resume ${f.resume} holds a '${resumed.spec.model}' model, but --model is '${f.model}'`);
    }
    if ((f.limit ?? null) !== resumed.limit) {
      throw new UsageError(`train: --resume ${f.resume} was trained with --limit ${resumed.limit ?? '(none)'}; pass the same --limit`);
    }
  }

  manualSeed(seed);
  const loaded = loadDataset({ dataset, dataDir: f['data-dir'], csv: f.csv, label: f.label, dropColumns: f['drop-columns']?.split(',').map((c) => c.trim()).filter((c) => c !== ''), limit: f.limit, seed });
  const numClasses = loaded.classes.length;
  const features = loaded.inputShape.reduce((a, b) => a * b, 1);
  const modelString = resumed ? resumed.spec.model
    : f.model ?? (synthetic ? `mlp:${features}-64-64-${numClasses}` : dataset === 'csv' ? `mlp:${features}-32-${numClasses}` : `mlp:${features}-256-${numClasses}`);
  const arch = parseArchitecture(modelString);
  validateArchitecture(arch, modelString, loaded.inputShape, numClasses, dataset);
  checkActivations(arch, modelString, Math.min(Math.max(batchSize, 256), Math.max(loaded.train.x.shape[0]!, loaded.test.x.shape[0]!)));

  const spec: ModelSpec = resumed ? resumed.spec : {
    model: modelString,
    activation: f.activation as Activation,
    dropout: f.dropout,
    inputShape: loaded.inputShape,
    classes: loaded.classes,
    dataset: loaded.dataset,
    normalization: loaded.normalization,
    featureNames: loaded.featureNames,
    ...(loaded.ignoredColumns ? { ignoredColumns: loaded.ignoredColumns } : {}),
  };
  const optimizerName = resumed ? resumed.optimizer : ((f.optimizer ?? 'adam') as OptimizerName);
  const lr = f.lr ?? (optimizerName === 'sgd' || optimizerName === 'momentum' ? 0.05 : synthetic || dataset === 'csv' ? 0.01 : 0.001);
  const epochs = f.epochs ?? (resumed ? resumed.epochs : synthetic ? 30 : 5);

  // Separate streams for init, shuffling and dropout, so each can be checkpointed and restored.
  const { module: model, dropoutGenerator } = buildModel(spec, new Generator(seed), seed + 2);
  // built on the CPU from the seed (the same weights on every device), then moved in place
  model.to(device);
  const loaderGenerator = new Generator(seed + 1);
  const optimizer = makeOptimizer(optimizerName, model.parameters(), lr, optimizerSettings(f));
  // cosine keeps the horizon of the original run, so a resumed run follows the same lr curve
  const schedule = resumed ? resumed.schedule : f.schedule === 'cosine' ? { name: 'cosine' as const, tMax: epochs } : null;
  const scheduler = schedule ? new optim.CosineAnnealingLR(optimizer, { tMax: schedule.tMax }) : undefined;
  const trainLoader = new data.DataLoader(new data.TensorDataset(loaded.train.x, loaded.train.y), { batchSize, shuffle: true, generator: loaderGenerator });
  const testLoader = new data.DataLoader(new data.TensorDataset(loaded.test.x, loaded.test.y), { batchSize: Math.max(batchSize, 256) });

  let initialEpoch = 0;
  if (resumed) {
    try {
      // each of these checks its fields by the rules their constructors use (betas, steps, ...)
      model.loadStateDict(resumed.model);
      optimizer.loadStateDict(resumed.optimizerState);
      if (scheduler && resumed.schedulerState) scheduler.loadStateDict(resumed.schedulerState);
      defaultGenerator.setState(resumed.rng.default);
      loaderGenerator.setState(resumed.rng.loader);
      dropoutGenerator.setState(resumed.rng.dropout);
    } catch (e) {
      if (e instanceof BackpropError) throw new FormatError(`${f.resume}: not a resumable checkpoint: ${e.message}`);
      throw e;
    }
    initialEpoch = resumed.epoch;
    if (f.lr !== undefined) {
      if (scheduler) throw new UsageError(`train: --lr cannot change the learning rate of a run with --schedule cosine (from --resume ${f.resume})`);
      for (const g of optimizer.paramGroups) g.lr = f.lr;
    }
    if (initialEpoch === epochs && f.out !== undefined) {
      // a finished run killed while writing --out: the checkpoint holds the final weights
      io.saveSafetensors(f.out, await toHost(model.stateDict()), specToMetadata(spec));
      process.stderr.write(`--resume ${f.resume} has finished all ${epochs} epochs; saved its model to ${f.out}\n`);
      return 0;
    }
    if (initialEpoch >= epochs) {
      throw new UsageError(`train: --resume ${f.resume} already has ${initialEpoch} epochs; pass --epochs greater than ${initialEpoch} to continue${initialEpoch === epochs ? ', or --out FILE to save its model' : ''}`);
    }
  }

  const json = f.json || !process.stdout.isTTY;
  const info = (s: string): void => {
    // keep stdout pure JSON lines in JSON mode
    (json ? process.stderr : process.stdout).write(`${s}\n`);
  };
  const bar = json ? null : new ProgressBar(process.stdout, epochs);
  info(`training ${spec.model} (${spec.activation}${spec.dropout > 0 ? `, dropout ${spec.dropout}` : ''}, ${model.numParameters()} parameters) on ${loaded.dataset}: ${loaded.train.x.shape[0]} train / ${loaded.test.x.shape[0]} test samples, ${optimizerName} lr ${optimizer.paramGroups[0]!.lr}${schedule ? ` (cosine over ${schedule.tMax} epochs)` : ''}, batch ${batchSize}, ${device === 'cpu' ? `${backend} backend` : `${device} (${deviceInfo.description})`}${resumed ? `, resuming after epoch ${initialEpoch}` : ''}`);

  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let last: EpochLog | undefined;
  const params = model.parameters();
  // Training stops at the first non-finite loss or weight, before the epoch's checkpoint is
  // written, so --checkpoint keeps the last good epoch and --out is not written at all.
  const diverged = (what: string, value: number | string, where: string): NumericsError => new NumericsError(
    `train: the ${what} became ${value} at ${where}; stopped without saving${f.out !== undefined ? ` ${f.out}` : ''}`
    + `${f.checkpoint === undefined ? '' : last ? `; ${f.checkpoint} keeps epoch ${last.epoch}`
      : f.resume !== undefined && resolve(f.resume) === resolve(f.checkpoint) ? `; ${f.checkpoint} keeps epoch ${initialEpoch}` : `; ${f.checkpoint} was not written`}`
    + `; try a lower --lr (it was ${optimizer.paramGroups[0]!.lr})`,
  );
  const checkFinite = (loss: number, where: string): void => {
    if (!Number.isFinite(loss)) throw diverged('loss', loss, where);
    for (let k = 0; k < params.length; k++) {
      // weights on a GPU (BACKPROP_DEVICE) cannot be read each step; the loss still shows divergence
      if (params[k]!.device !== 'cpu') continue;
      const i = firstNonFinite(params[k]!.data);
      if (i >= 0) throw diverged(`weights (parameter ${k}, index ${i})`, params[k]!.data[i]!, where);
    }
  };
  // a GPU run checks its loss and weights once per epoch (each check is a readback)
  const checkDevice = async (e: EpochLog): Promise<void> => {
    if (device === 'cpu') return;
    if (!Number.isFinite(e.trainLoss)) throw diverged('training loss', e.trainLoss, `epoch ${e.epoch}`);
    if (!(await allFinite(params))) throw diverged('weights', 'non-finite', `epoch ${e.epoch}`);
  };
  // on a GPU every batch callback reads the loss back: only the progress bar asks for one
  const onBatchEnd = device === 'cpu' || bar ? (b: BatchLog): void => {
    const step = (b.epoch - 1) * trainLoader.length + b.batch;
    checkFinite(b.loss, `epoch ${b.epoch}, step ${step} (batch ${b.batch} of ${b.batches ?? '?'})`);
    if (bar) {
      bar.batch(b);
      if (b.batch === b.batches) bar.validating();
    }
  } : undefined;
  try {
    await fit(model, onDevice(trainLoader, device), {
      optimizer,
      loss: (out, y) => nn.F.crossEntropy(out, y),
      epochs,
      initialEpoch,
      validation: onDevice(testLoader, device),
      scheduler,
      signal: controller.signal,
      callbacks: {
        ...(onBatchEnd ? { onBatchEnd } : {}),
        onEpochEnd: async (e) => {
          await checkDevice(e);
          if (e.testLoss !== null && !Number.isFinite(e.testLoss)) throw diverged('test loss', e.testLoss, `the end of epoch ${e.epoch}`);
          last = e;
          if (bar) bar.epoch(e);
          else process.stdout.write(`${epochJsonLine(e)}\n`);
          if (f.checkpoint !== undefined) {
            writeTrainCheckpoint(f.checkpoint, {
              spec, optimizer: optimizerName, seed, batchSize, limit: f.limit ?? null, epoch: e.epoch, epochs,
              model: await toHost(model.stateDict()), optimizerState: await optimizerStateToHost(optimizer.stateDict()),
              schedule, schedulerState: scheduler ? scheduler.stateDict() : null,
              rng: { default: defaultGenerator.getState(), loader: loaderGenerator.getState(), dropout: dropoutGenerator.getState() },
            });
          }
        },
      },
    });
  } catch (e) {
    if (bar) process.stdout.write('\n');
    if (!controller.signal.aborted) throw e;
    const done = last?.epoch ?? initialEpoch;
    process.stderr.write(`backprop: interrupted after ${done} complete epoch${done === 1 ? '' : 's'}`
      + `${f.checkpoint !== undefined && done > initialEpoch ? `; continue with --resume ${f.checkpoint}` : ''}\n`);
    return 130;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (f.out !== undefined) {
    io.saveSafetensors(f.out, await toHost(model.stateDict()), specToMetadata(spec));
    info(`saved model to ${f.out}`);
  }
  if (last && !json) {
    info(last.testAccuracy !== null ? `test accuracy ${(100 * last.testAccuracy).toFixed(2)}%` : formatEpochSummary(last, epochs));
  }
  return 0;
}

/** --out and --checkpoint must be writable now, not after the last epoch; the message names the flag and path. */
function checkOutputs(out: string | undefined, checkpoint: string | undefined): void {
  if (out !== undefined && checkpoint !== undefined && resolve(out) === resolve(checkpoint)) {
    throw new UsageError(`train: --out and --checkpoint are the same file (${out}); the model would overwrite the checkpoint`);
  }
  for (const [flag, path] of [['--out', out], ['--checkpoint', checkpoint]] as const) {
    if (path === undefined) continue;
    try {
      io.checkWritable(path);
    } catch (e) {
      throw new UsageError(`train: ${flag}: ${(e as Error).message}`);
    }
  }
}

/**
 * One layer's output for a batch must fit in memory too: mlp:2-100000000-2 has few enough
 * parameters, but a batch of 256 through it is 100 GB.
 */
function checkActivations(arch: ReturnType<typeof parseArchitecture>, model: string, batch: number): void {
  const widest = arch.kind === 'mlp' ? Math.max(...arch.sizes) : 6 * 28 * 28;
  const bytes = batch * widest * 4;
  if (bytes > MAX_DECODED_BYTES) {
    throw new UsageError(`train: --model ${model}: a batch of ${batch} through its widest layer (${widest}) needs ${bytes} bytes, more than ${MAX_DECODED_BYTES}; use a smaller model or --batch-size`);
  }
}

function datasetLabel(dataset: DatasetName, csv: string | undefined): string {
  return dataset === 'csv' ? `csv:${csv ?? ''}` : dataset;
}


/** --weight-decay and --beta2 as optimizer settings (unset ones keep the optimizer's defaults). */
export function optimizerSettings(f: TrainFlags): OptimizerSettings {
  return { ...(f['weight-decay'] !== undefined ? { weightDecay: f['weight-decay'] } : {}), ...(f.beta2 !== undefined ? { beta2: f.beta2 } : {}) };
}

/** Range checks of the optimizer flags that the flag table cannot express. */
function checkOptimizerSettings(f: TrainFlags): void {
  const wd = f['weight-decay'];
  if (wd !== undefined && !(wd >= 0)) throw new UsageError(`train: bad value '${wd}' for --weight-decay; expected a number >= 0`);
  const b2 = f.beta2;
  if (b2 !== undefined) {
    if (!(b2 >= 0 && b2 < 1)) throw new UsageError(`train: bad value '${b2}' for --beta2; expected a number in [0, 1)`);
    const opt = f.optimizer ?? (f.dataset === 'text' ? 'adamw' : 'adam');
    if (opt !== 'adam' && opt !== 'adamw') throw new UsageError(`train: --beta2 is only used with --optimizer adam or adamw (got ${opt})`);
  }
}
