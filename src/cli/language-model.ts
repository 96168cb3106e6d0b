import { FormatError, ValueError } from '../errors.js';
import { CharVocab } from '../data/text.js';
import { GPT } from '../nn/gpt.js';
import type { Generator } from '../tensor/random.js';
import * as io from '../io/index.js';
import { requireFile } from './datasets.js';

/**
 * Language-model specs: `--model gpt:layers=4,heads=4,embd=128,block=64` and what a model file
 * records besides the weights (the spec and the character vocabulary, in the safetensors
 * `__metadata__` as `backprop.*` strings), so `generate` rebuilds the model from the file alone.
 */

/** The size of a GPT as the --model string gives it. */
export interface GptArchitecture {
  layers: number;
  heads: number;
  embd: number;
  /** context length (positions) */
  block: number;
}

const GPT_KEYS = ['layers', 'heads', 'embd', 'block'] as const;
/** nanoGPT's small CPU configuration, used for keys the --model string leaves out */
export const GPT_DEFAULTS: GptArchitecture = { layers: 4, heads: 4, embd: 128, block: 64 };

/** Whether a --model string names a language model (gpt or gpt:...). */
export function isLanguageModel(model: string): boolean {
  return model === 'gpt' || model.startsWith('gpt:');
}

/**
 * Parses `gpt` or `gpt:key=value,...` with keys layers, heads, embd and block (others default to
 * nanoGPT's small CPU configuration). A bad string is a ValueError naming the flag.
 * @example parseGptArchitecture('gpt:layers=2,embd=64') // { layers: 2, heads: 4, embd: 64, block: 64 }
 */
export function parseGptArchitecture(model: string, flag = '--model'): GptArchitecture {
  const usage = 'expected gpt:layers=N,heads=N,embd=N,block=N (e.g. gpt:layers=4,heads=4,embd=128,block=64; keys left out take those values)';
  if (!isLanguageModel(model)) throw new ValueError(`${flag}: '${model}' is not a language model; ${usage}`);
  const arch: GptArchitecture = { ...GPT_DEFAULTS };
  const body = model === 'gpt' ? '' : model.slice(4);
  const seen = new Set<string>();
  for (const part of body === '' ? [] : body.split(',')) {
    const m = /^([a-z]+)=(\d+)$/.exec(part);
    if (!m) throw new ValueError(`${flag}: bad part '${part}' in '${model}'; ${usage}`);
    const key = m[1]!;
    if (!(GPT_KEYS as readonly string[]).includes(key)) throw new ValueError(`${flag}: unknown key '${key}' in '${model}'; allowed: ${GPT_KEYS.join(', ')}`);
    if (seen.has(key)) throw new ValueError(`${flag}: key '${key}' appears twice in '${model}'`);
    seen.add(key);
    const v = Number(m[2]);
    if (!(v >= 1)) throw new ValueError(`${flag}: ${key} must be a positive integer in '${model}', got ${m[2]}`);
    arch[key as keyof GptArchitecture] = v;
  }
  if (arch.embd % arch.heads !== 0) throw new ValueError(`${flag}: embd ${arch.embd} must be divisible by heads ${arch.heads} in '${model}'`);
  return arch;
}

/** The canonical --model string of an architecture, as recorded in model files. */
export function formatGptArchitecture(a: GptArchitecture): string {
  return `gpt:layers=${a.layers},heads=${a.heads},embd=${a.embd},block=${a.block}`;
}

/** Everything needed to rebuild a trained language model besides its weights. */
export interface LanguageModelSpec {
  /** the canonical --model string */
  model: string;
  /** the characters, index = token id */
  vocab: string[];
  /** dropout probability used in training (informational: generation runs in eval mode) */
  dropout: number;
  /** what it was trained on, informational (e.g. 'text:input.txt') */
  dataset: string;
}

/** Builds the GPT of a spec, its weights drawn from `generator` (nanoGPT's init). */
export function buildGpt(spec: LanguageModelSpec, generator?: Generator): GPT {
  const a = parseGptArchitecture(spec.model);
  return new GPT({
    vocabSize: spec.vocab.length, blockSize: a.block, nLayer: a.layers, nHead: a.heads, nEmbd: a.embd, dropout: spec.dropout,
    ...(generator ? { generator } : {}),
  });
}

const PREFIX = 'backprop.';

/** The spec as safetensors metadata (strings only, as the format requires). */
export function languageModelMetadata(spec: LanguageModelSpec): Record<string, string> {
  return {
    [`${PREFIX}format`]: 'model-v1',
    [`${PREFIX}model`]: spec.model,
    [`${PREFIX}vocab`]: JSON.stringify(spec.vocab),
    [`${PREFIX}dropout`]: String(spec.dropout),
    [`${PREFIX}dataset`]: spec.dataset,
  };
}

/** Reads a language-model spec back; anything missing or malformed is a FormatError naming the file. */
export function languageModelSpecFromMetadata(md: Record<string, string> | undefined | null, file: string): LanguageModelSpec {
  const get = (key: string): string => {
    const v = md?.[PREFIX + key];
    if (typeof v !== 'string') {
      throw new FormatError(`${file}: not a backprop language model file: __metadata__ has no '${PREFIX}${key}' entry (was it saved by 'backprop train --dataset text --out'?)`);
    }
    return v;
  };
  const format = get('format');
  if (format !== 'model-v1') throw new FormatError(`${file}: unsupported backprop model format '${format}', expected 'model-v1'`);
  const model = get('model');
  if (!isLanguageModel(model)) {
    throw new FormatError(`${file}: holds a '${model}' classifier, not a language model; use 'backprop predict' or 'backprop eval' with it`);
  }
  try {
    parseGptArchitecture(model);
  } catch (e) {
    throw new FormatError(`${file}: __metadata__ '${PREFIX}model' is not a valid model spec: ${(e as Error).message}`);
  }
  const vocabJson = get('vocab');
  let vocab: unknown;
  try {
    vocab = JSON.parse(vocabJson);
  } catch {
    throw new FormatError(`${file}: __metadata__ '${PREFIX}vocab' is not valid JSON`);
  }
  if (!Array.isArray(vocab) || !vocab.every((c) => typeof c === 'string')) throw new FormatError(`${file}: __metadata__ '${PREFIX}vocab' must be a JSON array of characters`);
  try {
    new CharVocab(vocab as string[]);
  } catch (e) {
    throw new FormatError(`${file}: __metadata__ '${PREFIX}vocab' is not a valid vocabulary: ${(e as Error).message}`);
  }
  const dropout = Number(get('dropout'));
  if (!(dropout >= 0 && dropout < 1)) throw new FormatError(`${file}: __metadata__ '${PREFIX}dropout' must be a number in [0, 1)`);
  return { model, vocab: vocab as string[], dropout, dataset: get('dataset') };
}

/**
 * Whether a model file holds a language model (its metadata names a gpt), from its header
 * alone; a file that is not safetensors is left to the loader to report.
 */
export function isLanguageModelFile(path: string, flag: string): boolean {
  requireFile(path, flag);
  const model = io.readSafetensorsMetadata(path)?.[`${PREFIX}model`];
  return typeof model === 'string' && isLanguageModel(model);
}

/** Rebuilds a language model from a file written by `backprop train --dataset text --out`, in eval mode. */
export function loadLanguageModel(path: string, flag: string): { model: GPT; spec: LanguageModelSpec; vocab: CharVocab } {
  requireFile(path, flag);
  const { tensors, metadata } = io.loadSafetensors(path);
  const spec = languageModelSpecFromMetadata(metadata, path);
  const model = buildGpt(spec);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new FormatError(`${path}: the weights do not fit the recorded model '${spec.model}' with a vocabulary of ${spec.vocab.length}: ${(e as Error).message}`);
  }
  model.eval();
  return { model, spec, vocab: new CharVocab(spec.vocab) };
}
