import { readFileSync } from 'node:fs';
import { FormatError, NumericsError } from '../errors.js';
import type { Device } from '../backend/backend.js';
import { noGrad } from '../autograd/mode.js';
import { CharVocab, randomTextBatch, sequentialTextBatches, sequentialWindowCount } from '../data/text.js';
import type { GPT } from '../nn/gpt.js';
import * as optim from '../optim/index.js';
import * as io from '../io/index.js';
import { Generator, manualSeed, type GeneratorState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { UsageError } from './args.js';
import { allFinite, optimizerStateToHost, toHost } from './backend.js';
import { requireFile } from './datasets.js';
import {
  GPT_DEFAULTS, buildGpt, formatGptArchitecture, isLanguageModel, languageModelMetadata, languageModelSpecFromMetadata, parseGptArchitecture,
  type GptArchitecture, type LanguageModelSpec,
} from './language-model.js';
import { makeOptimizer, OPTIMIZERS, type OptimizerName } from './optimizers.js';
import type { TrainFlags } from './train-command.js';

/**
 * `backprop train --dataset text`: a character-level GPT trained as nanoGPT trains it. Random
 * windows of the first 90% of the text, AdamW with decay on the matrices only, linear warmup
 * then cosine decay of the learning rate per step, optional gradient clipping, and every
 * --eval-interval steps a loss estimate on --eval-iters random batches of each split.
 */

/** Everything a text run is set up from: the flags resolved and checked (pure data). */
export interface TextPlan {
  textFile: string;
  arch: GptArchitecture;
  dropout: number;
  optimizer: OptimizerName;
  lr: number;
  minLr: number;
  warmup: number;
  cosine: boolean;
  iters: number;
  evalInterval: number;
  evalIters: number;
  batchSize: number;
  seed: number;
  weightDecay: number | null;
  beta2: number | null;
  /** max 2-norm of the gradients, 0 for none */
  clipGrad: number;
}

/** The learning-rate schedule of a text run. */
export interface TextSchedule {
  lr: number;
  minLr: number;
  warmup: number;
  /** steps in the run: the cosine reaches minLr here */
  total: number;
  cosine: boolean;
}

/**
 * nanoGPT's get_lr: lr·(it + 1)/(warmup + 1) during warmup, then constant, or a cosine from lr
 * down to minLr at `total` steps.
 * @example learningRateAt(100, { lr: 1e-3, minLr: 1e-4, warmup: 100, total: 2000, cosine: true }) // 1e-3
 */
export function learningRateAt(it: number, s: TextSchedule): number {
  if (it < s.warmup) return (s.lr * (it + 1)) / (s.warmup + 1);
  if (!s.cosine) return s.lr;
  if (it >= s.total) return s.minLr;
  const ratio = (it - s.warmup) / Math.max(1, s.total - s.warmup);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (s.lr - s.minLr);
}

/** One loss estimate, as printed (one JSON line each). */
export interface TextEvalLog {
  iter: number;
  trainLoss: number;
  valLoss: number;
  /** training tokens per second since the previous estimate (null at the first) */
  tokensPerSecond: number | null;
  /** learning rate of the last step */
  lr: number;
  /** wall time since training started (evaluations included) */
  seconds: number;
}

/** The machine-readable record of one estimate: exactly these keys in this order. */
export function textEvalJsonLine(l: TextEvalLog): string {
  return JSON.stringify({ iter: l.iter, trainLoss: l.trainLoss, valLoss: l.valLoss, tokensPerSecond: l.tokensPerSecond, lr: l.lr, seconds: l.seconds });
}

const NOT_FOR_TEXT = ['csv', 'label', 'drop-columns', 'data-dir', 'limit', 'epochs'] as const;

/** Resolves and checks the flags of a text run (no I/O). */
export function textPlan(f: TrainFlags): TextPlan {
  for (const flag of NOT_FOR_TEXT) {
    if (f[flag] !== undefined) throw new UsageError(`train: --${flag} is not used with --dataset text${flag === 'epochs' ? ' (use --iters N)' : ''}`);
  }
  if (f.text === undefined && f.resume === undefined) throw new UsageError('train: --dataset text needs --text FILE (a UTF-8 text file)');
  const model = f.model ?? formatGptArchitecture(GPT_DEFAULTS);
  if (!isLanguageModel(model)) {
    throw new UsageError(`train: --dataset text trains a language model: --model gpt:layers=N,heads=N,embd=N,block=N (got '${model}')`);
  }
  let arch: GptArchitecture;
  try {
    arch = parseGptArchitecture(model);
  } catch (e) {
    throw new UsageError(`train: ${(e as Error).message}`);
  }
  if (!(f.dropout >= 0 && f.dropout < 1)) throw new UsageError(`train: bad value '${f.dropout}' for --dropout; expected a number in [0, 1)`);
  const lr = f.lr ?? 1e-3;
  const cosine = (f.schedule ?? 'cosine') === 'cosine';
  if (!cosine && f['min-lr'] !== undefined) throw new UsageError('train: --min-lr sets where the cosine schedule ends; it needs --schedule cosine');
  const minLr = f['min-lr'] ?? lr / 10;
  if (!(minLr >= 0) || minLr > lr) throw new UsageError(`train: bad value '${minLr}' for --min-lr; expected a number in [0, --lr = ${lr}]`);
  const iters = f.iters ?? 2000;
  const warmup = f.warmup ?? 0;
  if (warmup > iters) throw new UsageError(`train: --warmup ${warmup} is longer than the run (--iters ${iters})`);
  return {
    textFile: f.text ?? '',
    arch,
    dropout: f.dropout,
    optimizer: (f.optimizer ?? 'adamw') as OptimizerName,
    lr, minLr, warmup, cosine, iters,
    evalInterval: f['eval-interval'] ?? 250,
    evalIters: f['eval-iters'] ?? 20,
    batchSize: f['batch-size'],
    seed: f.seed,
    weightDecay: f['weight-decay'] ?? null,
    beta2: f.beta2 ?? null,
    clipGrad: f['clip-grad'] ?? 0,
  };
}

/** A text run's checkpoint: model, optimizer, step and random streams, and the plan in `extra`. */
interface TextCheckpoint {
  plan: TextPlan;
  spec: LanguageModelSpec;
  /** characters in the training text, so a resumed run can tell it sees the same text */
  textLength: number;
  iter: number;
  model: Record<string, Tensor>;
  optimizerState: optim.OptimizerStateDict;
  rng: { batches: GeneratorState; evaluation: GeneratorState; model: GeneratorState };
}

function writeTextCheckpoint(path: string, ck: TextCheckpoint): void {
  io.saveCheckpoint(path, {
    model: ck.model,
    optimizer: ck.optimizerState,
    epoch: 0,
    step: ck.iter,
    rng: ck.rng,
    extra: { kind: 'text', plan: { ...ck.plan, arch: { ...ck.plan.arch } }, spec: languageModelMetadata(ck.spec), textLength: ck.textLength },
  });
}

function readTextCheckpoint(path: string): TextCheckpoint {
  requireFile(path, '--resume');
  const ck = io.loadCheckpoint(path);
  const bad = (what: string): never => {
    throw new FormatError(`${path}: not a 'backprop train --dataset text' checkpoint: missing or bad '${what}' (was it written by 'backprop train --dataset text --checkpoint'?)`);
  };
  const extra = ck.extra as { kind?: unknown; plan?: TextPlan; spec?: Record<string, string>; textLength?: unknown } | undefined;
  if (!extra || extra.kind !== 'text') return bad('extra.kind');
  const plan = extra.plan;
  if (!plan || typeof plan !== 'object' || !(OPTIMIZERS as readonly unknown[]).includes(plan.optimizer)) return bad('plan');
  for (const k of ['lr', 'minLr', 'warmup', 'iters', 'evalInterval', 'evalIters', 'batchSize', 'seed', 'clipGrad', 'dropout'] as const) {
    if (typeof plan[k] !== 'number' || !Number.isFinite(plan[k])) bad(`plan.${k}`);
  }
  if (!ck.optimizer) bad('optimizer state');
  const rng = ck.rng as Partial<TextCheckpoint['rng']> | undefined;
  const isState = (s: unknown): s is GeneratorState => !!s && Array.isArray((s as GeneratorState).s) && (s as GeneratorState).s.length === 4;
  if (!rng || !isState(rng.batches) || !isState(rng.evaluation) || !isState(rng.model)) return bad('rng');
  if (typeof ck.step !== 'number' || !Number.isInteger(ck.step) || ck.step < 0) bad('step');
  if (typeof extra.textLength !== 'number') bad('textLength');
  return {
    plan, spec: languageModelSpecFromMetadata(extra.spec, path), textLength: extra.textLength as number, iter: ck.step!,
    model: ck.model, optimizerState: ck.optimizer!, rng: { batches: rng.batches, evaluation: rng.evaluation, model: rng.model },
  };
}

/**
 * One training step as nanoGPT's train.py takes it: set the learning rate, forward and backward on
 * the batch, clip the gradients' total norm when `clipGrad` > 0, update. Returns the batch loss and
 * the gradient norm before clipping (null without clipping) as tensors, unread, so a device queue
 * is not drained.
 * @example textTrainingStep(model, optimizer, x, y, learningRateAt(iter, schedule), 1).loss.item()
 */
export function textTrainingStep(model: GPT, optimizer: optim.Optimizer, x: Tensor, y: Tensor, lr: number, clipGrad: number): { loss: Tensor; gradNorm: Tensor | null } {
  for (const g of optimizer.paramGroups) g.lr = lr;
  optimizer.zeroGrad();
  const loss = model.loss(x, y);
  loss.backward();
  const gradNorm = clipGrad > 0 ? optim.clipGradNorm(model.parameters(), clipGrad) : null;
  optimizer.step();
  return { loss, gradNorm };
}

/** The mean loss of the model over `n` random batches of a split, without a graph, in eval mode. */
async function estimateLoss(model: GPT, ids: Int32Array, n: number, batchSize: number, blockSize: number, generator: Generator, device: Device): Promise<number> {
  const wasTraining = model.training;
  model.eval();
  try {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const [x, y] = randomTextBatch(ids, { batchSize, blockSize, generator });
      // the async read works on every device (a GPU's loss cannot be read synchronously)
      sum += await noGrad(() => model.loss(x.to(device), y.to(device))).itemAsync();
    }
    return sum / n;
  } finally {
    model.train(wasTraining);
  }
}

/** A language model's loss over a whole text (see textLoss). */
export interface TextLoss {
  /** mean cross-entropy per predicted character, in nats */
  loss: number;
  /** windows of blockSize characters evaluated */
  windows: number;
  /** characters predicted: windows × blockSize */
  tokens: number;
}

/**
 * The model's mean loss over all of `ids`, cut into consecutive windows of its block size
 * (sequentialTextBatches), without a graph, in eval mode: the number a loss estimate on random
 * batches approximates. The windows' losses are read once, at the end, so a GPU queue is not
 * drained per batch.
 * @example (await textLoss(model, valIds, 64)).loss // 1.9160
 */
export async function textLoss(model: GPT, ids: Int32Array, blockSize: number, batchSize = 32, device: Device = 'cpu'): Promise<TextLoss> {
  const wasTraining = model.training;
  model.eval();
  try {
    let sum: Tensor | null = null;
    for (const [x, y] of sequentialTextBatches(ids, { batchSize, blockSize })) {
      // model.loss is the batch mean: weight it by the batch's windows
      const part = noGrad(() => model.loss(x.to(device), y.to(device)).mul(x.shape[0]!));
      sum = sum === null ? part : sum.add(part);
    }
    const windows = sequentialWindowCount(ids.length, blockSize);
    return { loss: (await sum!.itemAsync()) / windows, windows, tokens: windows * blockSize };
  } finally {
    model.train(wasTraining);
  }
}

// setImmediate lets a SIGINT handler run between steps without the timer clamp of setTimeout
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function trainTextCommand(f: TrainFlags, backend: string, device: Device = 'cpu'): Promise<number> {
  const resumed = f.resume !== undefined ? readTextCheckpoint(f.resume) : null;
  let plan = textPlan(f);
  if (resumed) {
    // a resumed run continues the original plan; only the stopping point may move
    if (f.model !== undefined && formatGptArchitecture(plan.arch) !== resumed.spec.model) {
      throw new UsageError(`train: --resume ${f.resume} holds a '${resumed.spec.model}' model, but --model is '${f.model}'`);
    }
    const iters = f.iters ?? resumed.plan.iters;
    plan = { ...resumed.plan, textFile: f.text ?? resumed.plan.textFile, iters };
    if (resumed.iter >= iters) throw new UsageError(`train: --resume ${f.resume} already has ${resumed.iter} steps; pass --iters greater than ${resumed.iter} to continue`);
  }
  requireFile(plan.textFile, '--text');
  const text = readFileSync(plan.textFile, 'utf8');
  const vocab = resumed ? new CharVocab(resumed.spec.vocab) : CharVocab.fromText(text);
  const ids = vocab.encode(text, `--text ${plan.textFile}`);
  if (resumed && ids.length !== resumed.textLength) {
    throw new UsageError(`train: --resume ${f.resume} was trained on a text of ${resumed.textLength} characters, but --text ${plan.textFile} has ${ids.length}`);
  }
  const block = plan.arch.block;
  const split = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, split), val = ids.subarray(split);
  for (const [name, part] of [['training part (first 90%)', train], ['validation part (last 10%)', val]] as const) {
    if (part.length < block + 1) {
      throw new UsageError(`train: --text ${plan.textFile}: its ${name} has ${part.length} characters, fewer than block + 1 = ${block + 1}; use a longer text or a smaller block (--model gpt:...,block=N)`);
    }
  }

  const spec: LanguageModelSpec = resumed ? resumed.spec : { model: formatGptArchitecture(plan.arch), vocab: [...vocab.chars], dropout: plan.dropout, dataset: `text:${plan.textFile}` };
  manualSeed(plan.seed);
  // separate streams for the weights and dropout, the training batches and the estimates, so a
  // checkpoint restores each exactly
  const modelGenerator = new Generator(plan.seed);
  const batchGenerator = new Generator(plan.seed + 1);
  const evalGenerator = new Generator(plan.seed + 2);
  const model = buildGpt(spec, modelGenerator);
  // built on the CPU from the seed (the same weights on every device), then moved in place
  model.to(device);
  const optimizer = makeOptimizer(plan.optimizer, model.parameters(), plan.lr, {
    ...(plan.weightDecay !== null ? { weightDecay: plan.weightDecay } : {}), ...(plan.beta2 !== null ? { beta2: plan.beta2 } : {}), decayMatricesOnly: true,
  });
  let iter = 0;
  if (resumed) {
    model.loadStateDict(resumed.model);
    optimizer.loadStateDict(resumed.optimizerState);
    batchGenerator.setState(resumed.rng.batches);
    evalGenerator.setState(resumed.rng.evaluation);
    modelGenerator.setState(resumed.rng.model);
    iter = resumed.iter;
  }
  const schedule: TextSchedule = { lr: plan.lr, minLr: plan.minLr, warmup: plan.warmup, total: plan.iters, cosine: plan.cosine };
  const params = model.parameters();

  const json = f.json || !process.stdout.isTTY;
  const info = (s: string): void => {
    (json ? process.stderr : process.stdout).write(`${s}\n`);
  };
  info(`training ${spec.model} (${model.numParameters()} parameters${plan.dropout > 0 ? `, dropout ${plan.dropout}` : ''}) on ${plan.textFile}: `
    + `${train.length} train / ${val.length} validation characters, vocabulary of ${vocab.size}, ${plan.optimizer} lr ${plan.lr}`
    + `${plan.cosine ? ` (cosine to ${Number(plan.minLr.toPrecision(6))} over ${plan.iters} steps${plan.warmup > 0 ? `, ${plan.warmup} warmup` : ''})` : ''}, batch ${plan.batchSize}x${block}, ${device === 'cpu' ? `${backend} backend` : device}`
    + `${resumed ? `, resuming after step ${iter}` : ''}`);

  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const start = performance.now();
  let trainMs = 0, tokensSinceEval = 0, lr = learningRateAt(iter, schedule);
  let lastSaved = iter;
  const evaluate = async (): Promise<void> => {
    const log: TextEvalLog = {
      iter,
      trainLoss: await estimateLoss(model, train, plan.evalIters, plan.batchSize, block, evalGenerator, device),
      valLoss: await estimateLoss(model, val, plan.evalIters, plan.batchSize, block, evalGenerator, device),
      tokensPerSecond: tokensSinceEval > 0 ? tokensSinceEval / (trainMs / 1000) : null,
      lr,
      seconds: (performance.now() - start) / 1000,
    };
    tokensSinceEval = 0;
    trainMs = 0;
    // a diverged run stops here (exit code 2), before its checkpoint is overwritten
    if (!Number.isFinite(log.trainLoss) || !Number.isFinite(log.valLoss) || !(await allFinite(params))) {
      throw new NumericsError(`train: the ${Number.isFinite(log.trainLoss) && Number.isFinite(log.valLoss) ? 'weights' : `loss estimate (train ${log.trainLoss}, validation ${log.valLoss})`} became non-finite by step ${iter}; stopped without saving`
        + `${f.out !== undefined ? ` ${f.out}` : ''}${f.checkpoint !== undefined ? `; ${f.checkpoint} keeps step ${lastSaved}` : ''}`
        + '; lower --lr or set --clip-grad');
    }
    if (json) process.stdout.write(`${textEvalJsonLine(log)}\n`);
    else {
      process.stdout.write(`step ${log.iter}/${plan.iters}  train loss ${log.trainLoss.toFixed(4)}  val loss ${log.valLoss.toFixed(4)}`
        + `${log.tokensPerSecond !== null ? `  ${Math.round(log.tokensPerSecond)} tokens/s` : ''}  ${log.seconds.toFixed(1)}s\n`);
    }
    if (f.checkpoint !== undefined && (iter > lastSaved || iter === 0)) {
      writeTextCheckpoint(f.checkpoint, {
        plan, spec, textLength: ids.length, iter, model: await toHost(model.stateDict()), optimizerState: await optimizerStateToHost(optimizer.stateDict()),
        rng: { batches: batchGenerator.getState(), evaluation: evalGenerator.getState(), model: modelGenerator.getState() },
      });
      lastSaved = iter;
    }
  };
  try {
    model.train();
    if (!resumed) await evaluate();
    while (iter < plan.iters) {
      const t0 = performance.now();
      lr = learningRateAt(iter, schedule);
      const [x, y] = randomTextBatch(train, { batchSize: plan.batchSize, blockSize: block, generator: batchGenerator });
      textTrainingStep(model, optimizer, x.to(device), y.to(device), lr, plan.clipGrad);
      iter++;
      tokensSinceEval += plan.batchSize * block;
      trainMs += performance.now() - t0;
      if (iter % plan.evalInterval === 0 || iter === plan.iters) await evaluate();
      await nextTurn();
      if (controller.signal.aborted) {
        process.stderr.write(`backprop: interrupted after ${iter} steps`
          + `${f.checkpoint !== undefined && lastSaved > 0 ? `; continue from step ${lastSaved} with --resume ${f.checkpoint}` : ''}\n`);
        return 130;
      }
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (f.out !== undefined) {
    io.saveSafetensors(f.out, await toHost(model.stateDict()), languageModelMetadata(spec));
    info(`saved model to ${f.out}`);
  }
  return 0;
}
