import { readFileSync } from 'node:fs';
import { FormatError, ValueError } from '../errors.js';
import type { HyperValue, OptimizerStateDict, ParamState, StateValue } from '../optim/optimizer.js';
import type { GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { setOwn } from './records.js';
import { checkCount, checkGeneratorState, preview } from '../validate.js';

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
  // the reader's checks, so a file this writes always loads
  checkCount('saveCheckpoint', 'epoch', ckpt.epoch);
  if (ckpt.step !== undefined) checkCount('saveCheckpoint', 'step', ckpt.step);
  if (ckpt.rng !== undefined) {
    if (Array.isArray((ckpt.rng as { s?: unknown }).s)) checkGeneratorState('saveCheckpoint rng', ckpt.rng);
    else for (const [k, v] of Object.entries(ckpt.rng)) checkGeneratorState(`saveCheckpoint rng '${k}'`, v);
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
          setOwn<JsonValue>(enc, key, v);
        } else {
          const tname = `optimizer.${idx}.${key}`;
          const flat = v instanceof Tensor ? v.data : v;
          tensors[tname] = Tensor.fromRaw(flat, [flat.length]);
          setOwn<JsonValue>(enc, key, { $tensor: tname });
        }
      }
      setOwn(state, idx, enc);
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
  return parseCheckpoint(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Decodes checkpoint bytes (see loadCheckpoint). Every field is checked by the same rule its
 * constructor uses (counts, generator states); `name` appears in errors.
 * @example const ck = parseCheckpoint(bytes, 'ckpt.safetensors');
 */
export function parseCheckpoint(bytes: Uint8Array, name = 'checkpoint data'): Checkpoint {
  const { tensors, metadata } = parseSafetensors(bytes, name);
  const fail = (msg: string): never => {
    throw new FormatError(`${name}: ${msg}`);
  };
  /** runs a shared field check, reporting its ValueError as this file's FormatError */
  const field = <T>(check: () => T): T => {
    try {
      return check();
    } catch (e) {
      if (e instanceof ValueError) return fail(e.message);
      throw e;
    }
  };
  if (metadata[FORMAT_KEY] !== FORMAT || metadata[JSON_KEY] === undefined) fail(`not a backprop checkpoint (its metadata has no '${JSON_KEY}' entry)`);
  if (metadata[VERSION_KEY] !== '1') fail(`checkpoint version '${String(metadata[VERSION_KEY]).slice(0, 20)}' is not supported (expected '1')`);
  let meta: unknown;
  try {
    meta = JSON.parse(metadata[JSON_KEY]!, reviver);
  } catch (e) {
    // the reviver walks the parsed value recursively, so absurd nesting ends up here too
    return fail(`the checkpoint metadata is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(meta)) return fail('the checkpoint metadata is not a JSON object');
  const ckpt: Checkpoint = { model: {}, epoch: field(() => checkCount('checkpoint', 'epoch', meta['epoch'])) };
  if (meta['step'] !== null && meta['step'] !== undefined) ckpt.step = field(() => checkCount('checkpoint', 'step', meta['step']));
  const rng = meta['rng'];
  if (rng !== null && rng !== undefined) {
    // one generator state, or a record of them by name
    if (isRecord(rng) && Array.isArray(rng['s'])) {
      ckpt.rng = field(() => checkGeneratorState('checkpoint rng', rng));
    } else if (isRecord(rng)) {
      const states: Record<string, GeneratorState> = {};
      for (const [k, v] of Object.entries(rng)) setOwn(states, k, field(() => checkGeneratorState(`checkpoint rng '${k}'`, v)));
      ckpt.rng = states;
    } else {
      fail(`the checkpoint's rng must be a generator state or a record of them, got ${preview(rng)}`);
    }
  }
  if (meta['extra'] !== null && meta['extra'] !== undefined) ckpt.extra = meta['extra'] as JsonValue;
  const used = new Set<string>();
  for (const [tname, t] of Object.entries(tensors)) {
    if (tname.startsWith('model.')) {
      setOwn(ckpt.model, tname.slice('model.'.length), t);
      used.add(tname);
    }
  }
  const opt = meta['optimizer'];
  if (opt !== null && opt !== undefined) ckpt.optimizer = decodeOptimizer(opt, tensors, used, fail);
  const stray = Object.keys(tensors).filter((n) => !used.has(n));
  if (stray.length > 0) fail(`unexpected tensors in a checkpoint: ${stray.slice(0, 5).join(', ')}`);
  return ckpt;
}

/**
 * The optimizer entry: its structure and value types. What the values mean (step counts, buffer
 * sizes, hyper-parameter ranges) is checked by the optimizer's loadStateDict.
 */
function decodeOptimizer(opt: unknown, tensors: Record<string, Tensor>, used: Set<string>, fail: (msg: string) => never): OptimizerStateDict {
  if (!isRecord(opt) || !Array.isArray(opt['paramGroups']) || !isRecord(opt['state'])) {
    return fail('the optimizer entry of the checkpoint metadata is malformed: expected {state: {...}, paramGroups: [...]}');
  }
  const paramGroups: OptimizerStateDict['paramGroups'] = [];
  (opt['paramGroups'] as unknown[]).forEach((g, gi) => {
    if (!isRecord(g) || !Array.isArray(g['params']) || !g['params'].every((id) => Number.isSafeInteger(id) && (id as number) >= 0)) {
      fail(`optimizer parameter group ${gi} must be an object with params: [non-negative integers], got ${preview(g)}`);
    }
    const group: Record<string, HyperValue> & { params: number[] } = { params: [...(g as { params: number[] }).params] };
    for (const [k, v] of Object.entries(g as Record<string, unknown>)) {
      if (k === 'params') continue;
      const ok = typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
      if (!ok) fail(`hyper-parameter '${k}' of optimizer group ${gi} must be a number, boolean, string or number[], got ${preview(v)}`);
      setOwn(group, k, Array.isArray(v) ? [...(v as number[])] : (v as HyperValue));
    }
    paramGroups.push(group);
  });
  const state: Record<string, ParamState> = {};
  for (const [idx, st] of Object.entries(opt['state'] as Record<string, unknown>)) {
    if (!isRecord(st)) return fail(`the optimizer state of parameter ${preview(idx)} must be an object, got ${preview(st)}`);
    const dec: ParamState = {};
    for (const [key, v] of Object.entries(st)) {
      if (typeof v === 'number') {
        setOwn<StateValue>(dec, key, v);
        continue;
      }
      const tname = isRecord(v) ? v['$tensor'] : undefined;
      if (typeof tname !== 'string') return fail(`optimizer state '${key}' of parameter ${idx} is neither a number nor a tensor reference`);
      const t = tname.startsWith('optimizer.') && Object.prototype.hasOwnProperty.call(tensors, tname) ? tensors[tname] : undefined;
      if (t === undefined) return fail(`optimizer state '${key}' of parameter ${idx} refers to tensor '${tname.slice(0, 80)}', which the file does not contain`);
      setOwn<StateValue>(dec, key, t);
      used.add(tname);
    }
    setOwn(state, idx, dec);
  }
  return { state, paramGroups };
}
