import { ValueError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Character-level text data for language models: a vocabulary of the distinct characters of a
 * text (ids in sorted order, as nanoGPT's shakespeare_char), and random [B, T] windows of
 * token ids with their next-character targets.
 */

/** A character as the vocabulary shows it in messages: printable as is, else by code point. */
function show(ch: string): string {
  const code = ch.codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code < 32 || code === 127 ? hex : `'${ch}' (${hex})`;
}

/**
 * The characters of a text, each with an id: the sorted distinct code points (so a character
 * outside the Basic Multilingual Plane is one token, not two surrogates).
 * @example
 * const vocab = CharVocab.fromText('hello');
 * vocab.chars // ['e', 'h', 'l', 'o']
 * vocab.decode(vocab.encode('hole')) // 'hole'
 */
export class CharVocab {
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;

  constructor(chars: readonly string[]) {
    if (chars.length === 0) throw new ValueError('CharVocab: the vocabulary is empty (the text has no characters)');
    const ids = new Map<string, number>();
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) throw new ValueError(`CharVocab: entry ${i} must be a single character, got ${JSON.stringify(c)}`);
      if (ids.has(c)) throw new ValueError(`CharVocab: character ${show(c)} appears twice (entries ${ids.get(c)} and ${i})`);
      ids.set(c, i);
    });
    this.chars = [...chars];
    this.#ids = ids;
  }

  /** The vocabulary of a text: its distinct characters, sorted by code point. @example CharVocab.fromText(text).size // 65 for tiny Shakespeare */
  static fromText(text: string): CharVocab {
    const set = new Set(text);
    return new CharVocab([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** Number of distinct characters. */
  get size(): number {
    return this.chars.length;
  }

  /** Whether a character has an id. @example vocab.has('Z') */
  has(ch: string): boolean {
    return this.#ids.has(ch);
  }

  /**
   * The ids of a string's characters. A character outside the vocabulary is a ValueError naming
   * it and its position (`what` names the text in the message, e.g. '--prompt').
   * @example vocab.encode('To be') // Int32Array [..]
   */
  encode(text: string, what = 'encode'): Int32Array {
    const out: number[] = [];
    let pos = 0;
    for (const ch of text) {
      const id = this.#ids.get(ch);
      if (id === undefined) {
        throw new ValueError(`${what}: character ${show(ch)} at position ${pos} is not in the vocabulary of ${this.size} characters (${this.describe()})`);
      }
      out.push(id);
      pos++;
    }
    return Int32Array.from(out);
  }

  /** The string of a sequence of ids. @example vocab.decode([20, 43]) */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]!];
      if (c === undefined) throw new ValueError(`decode: id ${ids[i]} is outside the vocabulary of ${this.size} characters`);
      s += c;
    }
    return s;
  }

  /** A short listing for messages: the printable characters, then how many others there are. */
  describe(): string {
    const printable = this.chars.filter((c) => c.codePointAt(0)! > 32 && c.codePointAt(0)! !== 127);
    const shown = printable.slice(0, 80).join('');
    const rest = this.size - Math.min(printable.length, 80);
    return `${shown}${rest > 0 ? ` and ${rest} other${rest === 1 ? '' : 's'}` : ''}`;
  }
}

/**
 * Options of randomTextBatch.
 * @example randomTextBatch(ids, { batchSize: 12, blockSize: 64, generator: new Generator(1) })
 */
export interface TextBatchOptions {
  batchSize: number;
  /** the window length T */
  blockSize: number;
  /** the random source of the window starts (default: the global one) */
  generator?: Generator;
}

/**
 * B random windows of T token ids and their targets (the same windows shifted by one), as
 * int32 tensors [B, T]: nanoGPT's get_batch. Needs at least T + 1 ids.
 * @example const [x, y] = randomTextBatch(trainIds, { batchSize: 12, blockSize: 64 });
 */
export function randomTextBatch(ids: Int32Array, opts: TextBatchOptions): [Tensor, Tensor] {
  const { batchSize: b, blockSize: t } = opts;
  if (!Number.isInteger(b) || b < 1 || !Number.isInteger(t) || t < 1) {
    throw new ValueError(`randomTextBatch: batchSize and blockSize must be positive integers, got ${b} and ${t}`);
  }
  if (ids.length < t + 1) {
    throw new ValueError(`randomTextBatch: a text of ${ids.length} tokens is too short for windows of ${t} tokens plus a target (needs at least ${t + 1})`);
  }
  const g = opts.generator ?? defaultGenerator;
  const x = new Int32Array(b * t), y = new Int32Array(b * t);
  for (let i = 0; i < b; i++) {
    const start = g.randint(0, ids.length - t);
    x.set(ids.subarray(start, start + t), i * t);
    y.set(ids.subarray(start + 1, start + t + 1), i * t);
  }
  return [Tensor.fromRaw(x, [b, t]), Tensor.fromRaw(y, [b, t])];
}

/**
 * The whole text as consecutive, non-overlapping windows of T ids with their targets, in batches
 * of at most B windows ([b, T] int32 tensors, the last batch possibly smaller): every id but the
 * final few is predicted exactly once, so the mean loss over them is the text's loss, free of the
 * sampling noise of random batches. Needs at least T + 1 ids.
 * @example for (const [x, y] of sequentialTextBatches(valIds, { batchSize: 32, blockSize: 64 })) sum += ...
 */
export function* sequentialTextBatches(ids: Int32Array, opts: Omit<TextBatchOptions, 'generator'>): IterableIterator<[Tensor, Tensor]> {
  const { batchSize: b, blockSize: t } = opts;
  if (!Number.isInteger(b) || b < 1 || !Number.isInteger(t) || t < 1) {
    throw new ValueError(`sequentialTextBatches: batchSize and blockSize must be positive integers, got ${b} and ${t}`);
  }
  if (ids.length < t + 1) {
    throw new ValueError(`sequentialTextBatches: a text of ${ids.length} tokens is too short for windows of ${t} tokens plus a target (needs at least ${t + 1})`);
  }
  const windows = sequentialWindowCount(ids.length, t);
  for (let first = 0; first < windows; first += b) {
    const n = Math.min(b, windows - first);
    const x = new Int32Array(n * t), y = new Int32Array(n * t);
    for (let i = 0; i < n; i++) {
      const start = (first + i) * t;
      x.set(ids.subarray(start, start + t), i * t);
      y.set(ids.subarray(start + 1, start + t + 1), i * t);
    }
    yield [Tensor.fromRaw(x, [n, t]), Tensor.fromRaw(y, [n, t])];
  }
}

/** How many windows sequentialTextBatches makes of `length` ids: starts 0, T, 2T, … with a target after each. @example sequentialWindowCount(111540, 64) // 1742 */
export function sequentialWindowCount(length: number, blockSize: number): number {
  return length < blockSize + 1 ? 0 : Math.floor((length - blockSize - 1) / blockSize) + 1;
}
