import type { Tensor } from '../tensor/tensor.js';
import type { GeneratorState } from '../tensor/random.js';
import { FormatError } from '../errors.js';
import type { OptimizerStateDict, SchedulerStateDict } from '../optim/index.js';
import * as io from '../io/index.js';
import { specFromMetadata, specToMetadata, type ModelSpec } from './model-spec.js';
import { OPTIMIZERS, type OptimizerName } from './optimizers.js';
import { MAX_BATCH } from './args.js';

/**
 * What `train --checkpoint` saves after every epoch so that `--resume` continues bit for bit:
 * weights, optimizer buffers and step counts, the lr schedule, the epoch, and the three random
 * streams (the default generator, the loader's shuffling generator and dropout's generator).
 * Stored with io.saveCheckpoint (atomic); the run's settings travel in its `extra` JSON.
 */
export interface TrainCheckpoint {
  spec: ModelSpec;
  optimizer: OptimizerName;
  seed: number;
  batchSize: number;
  limit: number | null;
  /** epochs completed */
  epoch: number;
  /** the --epochs the run was started with */
  epochs: number;
  model: Record<string, Tensor>;
  optimizerState: OptimizerStateDict;
  /** the lr schedule and its state (null: constant lr) */
  schedule: { name: 'cosine'; tMax: number } | null;
  schedulerState: SchedulerStateDict | null;
  rng: { default: GeneratorState; loader: GeneratorState; dropout: GeneratorState };
}

/** Writes a checkpoint atomically (temp file + rename), so a kill never leaves half a file. */
export function writeTrainCheckpoint(path: string, ck: TrainCheckpoint): void {
  io.saveCheckpoint(path, {
    model: ck.model,
    optimizer: ck.optimizerState,
    epoch: ck.epoch,
    rng: ck.rng,
    extra: {
      spec: specToMetadata(ck.spec),
      optimizer: ck.optimizer,
      seed: ck.seed,
      batchSize: ck.batchSize,
      limit: ck.limit,
      epochs: ck.epochs,
      schedule: ck.schedule,
      schedulerState: ck.schedulerState,
    },
  });
}

/** Reads a checkpoint; anything missing or malformed is a FormatError naming the file. */
export function readTrainCheckpoint(path: string): TrainCheckpoint {
  const ck = io.loadCheckpoint(path);
  const bad = (what: string): never => {
    throw new FormatError(`${path}: not a 'backprop train' checkpoint: missing or bad '${what}' (was it written by 'backprop train --checkpoint'?)`);
  };
  const extra = ck.extra as {
    spec?: Record<string, string>; optimizer?: unknown; seed?: unknown; batchSize?: unknown; limit?: unknown; epochs?: unknown;
    schedule?: { name?: unknown; tMax?: unknown } | null; schedulerState?: SchedulerStateDict | null;
  } | undefined;
  if (!extra || typeof extra !== 'object' || Array.isArray(extra)) return bad('extra');
  if (!extra.spec || typeof extra.spec !== 'object') bad('spec');
  if (!(OPTIMIZERS as readonly unknown[]).includes(extra.optimizer)) bad('optimizer');
  if (!ck.optimizer) bad('optimizer state');
  const int = (v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number =>
    (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : bad(what));
  const rng = ck.rng as Partial<TrainCheckpoint['rng']> | undefined;
  const isState = (s: unknown): s is GeneratorState => !!s && Array.isArray((s as GeneratorState).s) && (s as GeneratorState).s.length === 4;
  if (!rng || !isState(rng.default) || !isState(rng.loader) || !isState(rng.dropout)) return bad('rng');
  const sch = extra.schedule ?? null;
  if (sch !== null && (sch.name !== 'cosine' || !(typeof sch.tMax === 'number' && sch.tMax > 0))) bad('schedule');
  const schedulerState = extra.schedulerState ?? null;
  if (schedulerState !== null && typeof schedulerState !== 'object') bad('schedulerState');
  return {
    spec: specFromMetadata(extra.spec, path),
    optimizer: extra.optimizer as OptimizerName,
    seed: int(extra.seed, 'seed', 0),
    batchSize: int(extra.batchSize, 'batchSize', 1, MAX_BATCH),
    limit: extra.limit === null ? null : int(extra.limit, 'limit', 1),
    epoch: int(ck.epoch, 'epoch', 0),
    epochs: int(extra.epochs, 'epochs', 1),
    model: ck.model,
    optimizerState: ck.optimizer!,
    schedule: sch === null ? null : { name: 'cosine', tMax: sch.tMax as number },
    schedulerState,
    rng: { default: rng.default, loader: rng.loader, dropout: rng.dropout },
  };
}
