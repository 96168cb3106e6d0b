import { readFileSync } from 'node:fs';
import { FormatError, ValueError } from '../errors.js';
import type { OptimizerStateDict, ParamState } from '../optim/optimizer.js';
import type { GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

/**
 * Any value JSON can hold: what a checkpoint's `extra` may carry.
 * @example const extra: JsonValue = { scheduler: sched.stateDict(), bestAccuracy: 0.98 };
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Everything needed to resume training where it stopped.
 * @example
 * const ckpt: Checkpoint = { model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3, rng: defaultGenerator.getState() };
 */
export interface Checkpoint {
  /** the model's state dict */
  model: Record<string, Tensor>;
  /** the optimizer's state dict (buffers and hyper-parameters) */
  optimizer?: OptimizerStateDict;
  /** epochs completed */
  epoch: number;
  /** batches completed, for a mid-epoch checkpoint */
  step?: number;
  /** generator states (e.g. the DataLoader's and dropout's), one or a record of them */
  rng?: GeneratorState | Record<string, GeneratorState>;
  /** any other JSON (scheduler state, config, metrics history) */
  extra?: JsonValue;
}

// The file is plain safetensors: model tensors under "model.<name>", optimizer buffers under
// "optimizer.<param>.<key>", and everything else as JSON in the metadata, so other tools can
// read the weights of a checkpoint directly.
const FORMAT_KEY = 'format';
const FORMAT = 'backprop-checkpoint';
const VERSION_KEY = 'backprop.version';
const JSON_KEY = 'backprop.checkpoint';

/** JSON cannot hold ±Infinity or NaN (a plateau scheduler's `best` starts at Infinity). */
function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v;
}

function reviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const n = (v as Record<string, unknown>)['$number'];
    if (keys.length === 1 && typeof n === 'string') return Number(n);
  }
  return v;
}

/**
 * Saves a training checkpoint atomically (a crash mid-save leaves the previous file intact).
 * @example saveCheckpoint('run/ckpt.safetensors', {model: model.stateDict(), optimizer: opt.stateDict(), epoch, rng: loader.generator.getState()});
 */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  if (ckpt === null || typeof ckpt !== 'object' || typeof ckpt.epoch !== 'number' || ckpt.model === null || typeof ckpt.model !== 'object') {
    throw new ValueError('saveCheckpoint: expected {model: Record<string, Tensor>, epoch: number, optimizer?, step?, rng?, extra?}');
  }
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(ckpt.model)) tensors[`model.${name}`] = t;
  let optimizer: JsonValue = null;
  if (ckpt.optimizer !== undefined) {
    const state: Record<string, Record<string, JsonValue>> = {};
    for (const [idx, st] of Object.entries(ckpt.optimizer.state)) {
      const enc: Record<string, JsonValue> = {};
      for (const [key, v] of Object.entries(st)) {
        if (typeof v === 'number') {
          enc[key] = v;
        } else {
          const tname = `optimizer.${idx}.${key}`;
          const flat = v instanceof Tensor ? v.data : v;
          tensors[tname] = Tensor.fromRaw(flat, [flat.length]);
          enc[key] = { $tensor: tname };
        }
      }
      state[idx] = enc;
    }
    optimizer = { state, paramGroups: ckpt.optimizer.paramGroups as JsonValue };
  }
  const meta = { epoch: ckpt.epoch, step: ckpt.step ?? null, rng: (ckpt.rng ?? null) as JsonValue, extra: ckpt.extra ?? null, optimizer };
  const bytes = serializeSafetensors(tensors, { [FORMAT_KEY]: FORMAT, [VERSION_KEY]: '1', [JSON_KEY]: JSON.stringify(meta, replacer) });
  writeFileAtomic(path, bytes);
}

/**
 * Loads a checkpoint written by saveCheckpoint; a truncated or corrupt file is a FormatError
 * naming it. @example const ck = loadCheckpoint('run/ckpt.safetensors'); model.loadStateDict(ck.model); opt.loadStateDict(ck.optimizer!);
 */
export function loadCheckpoint(path: string): Checkpoint {
  const buf = readFileSync(path);
  const { tensors, metadata } = parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
  const fail = (msg: string): never => {
    throw new FormatError(`${path}: ${msg}`);
  };
  if (metadata[FORMAT_KEY] !== FORMAT || metadata[JSON_KEY] === undefined) fail(`not a backprop checkpoint (its metadata has no '${JSON_KEY}' entry)`);
  if (metadata[VERSION_KEY] !== '1') fail(`checkpoint version '${metadata[VERSION_KEY]}' is not supported (expected '1')`);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(metadata[JSON_KEY]!, reviver) as Record<string, unknown>;
  } catch (e) {
    return fail(`the checkpoint metadata is not valid JSON (${(e as Error).message})`);
  }
  if (meta === null || typeof meta !== 'object' || typeof meta['epoch'] !== 'number') fail('the checkpoint metadata has no numeric epoch');
  const used = new Set<string>();
  const model: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('model.')) {
      model[name.slice('model.'.length)] = t;
      used.add(name);
    }
  }
  const ckpt: Checkpoint = { model, epoch: meta['epoch'] as number };
  if (typeof meta['step'] === 'number') ckpt.step = meta['step'];
  if (meta['rng'] !== null && meta['rng'] !== undefined) ckpt.rng = meta['rng'] as Checkpoint['rng'];
  if (meta['extra'] !== null && meta['extra'] !== undefined) ckpt.extra = meta['extra'] as JsonValue;
  const opt = meta['optimizer'] as { state?: unknown; paramGroups?: unknown } | null;
  if (opt !== null && opt !== undefined) {
    if (typeof opt !== 'object' || !Array.isArray(opt.paramGroups) || opt.state === null || typeof opt.state !== 'object') {
      fail('the optimizer entry of the checkpoint metadata is malformed');
    }
    const state: Record<string, ParamState> = {};
    for (const [idx, st] of Object.entries(opt.state as Record<string, Record<string, unknown>>)) {
      const dec: ParamState = {};
      for (const [key, v] of Object.entries(st)) {
        if (typeof v === 'number') {
          dec[key] = v;
          continue;
        }
        const tname = (v as { $tensor?: unknown } | null)?.$tensor;
        if (typeof tname !== 'string') return fail(`optimizer state '${key}' of parameter ${idx} is neither a number nor a tensor reference`);
        const t = tensors[tname];
        if (t === undefined) return fail(`optimizer state '${key}' of parameter ${idx} refers to tensor '${tname}', which the file does not contain`);
        dec[key] = t;
        used.add(tname);
      }
      state[idx] = dec;
    }
    ckpt.optimizer = { state, paramGroups: opt.paramGroups as OptimizerStateDict['paramGroups'] };
  }
  const stray = Object.keys(tensors).filter((n) => !used.has(n));
  if (stray.length > 0) fail(`unexpected tensors in a checkpoint: ${stray.slice(0, 5).join(', ')}`);
  return ckpt;
}
