import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { BackpropError } from '../../src/errors.js';

/**
 * A small seeded mutation fuzzer for the file readers. Each mutant is a seed file with one to
 * four stacked edits (bit flips, interesting bytes and integers, deleted, duplicated or
 * repeated ranges, format tokens); the same seed number always gives the same mutants, so a
 * failure names what reproduces it. The runner asserts the reader's contract on every mutant:
 * it either throws a BackpropError or returns what an independent decoder (written in the
 * test, sharing no code with src/) reads from the same bytes, and no input takes a second.
 */

/** mulberry32: a tiny PRNG independent of the library's own Generator. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** uniform integer in [0, n) */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x2c, 0x2e, 0x2d, 0x30, 0x39, 0x5b, 0x5d, 0x7b, 0x7d, 0x22, 0x65];
const INTERESTING_U32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 2 ** 24, 60000, 784];
const enc = new TextEncoder();

/** Format tokens to splice in, e.g. JSON punctuation and key names, or CSV cells. */
export type Dictionary = readonly string[];

function splice(a: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length - remove + insert.length);
  out.set(a.subarray(0, at), 0);
  out.set(insert, at);
  out.set(a.subarray(at + remove), at + insert.length);
  return out;
}

/** One random edit of `a`. */
function edit(a: Uint8Array, rng: Rng, dict: Dictionary): Uint8Array {
  const n = a.length;
  const at = rng.int(n + 1);
  switch (rng.int(10)) {
    case 0: { // flip one bit
      if (n === 0) return a;
      const b = a.slice();
      b[rng.int(n)]! ^= 1 << rng.int(8);
      return b;
    }
    case 1: { // an interesting byte
      if (n === 0) return a;
      const b = a.slice();
      b[rng.int(n)] = rng.pick(INTERESTING_BYTES);
      return b;
    }
    case 2: { // an interesting 32-bit integer, either byte order
      if (n < 4) return a;
      const b = a.slice();
      const v = rng.pick(INTERESTING_U32);
      new DataView(b.buffer).setUint32(rng.int(n - 3), v, rng.int(2) === 0);
      return b;
    }
    case 3: // delete a range
      return splice(a, at, Math.min(n - at, 1 + rng.int(rng.int(2) ? 4 : 64)), new Uint8Array(0));
    case 4: { // duplicate a range somewhere else
      const from = rng.int(n);
      const len = Math.min(n - from, 1 + rng.int(32));
      return splice(a, at, 0, a.slice(from, from + len));
    }
    case 5: // truncate
      return a.subarray(0, rng.int(n + 1));
    case 6: // insert a token
      return splice(a, at, 0, enc.encode(rng.pick(dict)));
    case 7: { // overwrite with a token
      const t = enc.encode(rng.pick(dict));
      return splice(a, at, Math.min(n - at, t.length), t);
    }
    case 8: { // repeat a small chunk many times: deep nesting, long cells, big counts
      const from = rng.int(n);
      const chunk = a.length > 0 && rng.int(2) ? a.slice(from, from + 1 + rng.int(3)) : enc.encode(rng.pick(dict));
      const times = rng.pick([10, 100, 1000, 5000, 20000]);
      const rep = new Uint8Array(chunk.length * times);
      for (let i = 0; i < times; i++) rep.set(chunk, i * chunk.length);
      return splice(a, at, 0, rep);
    }
    default: { // random bytes
      const len = 1 + rng.int(8);
      const r = new Uint8Array(len);
      for (let i = 0; i < len; i++) r[i] = rng.int(256);
      return splice(a, at, rng.int(2) ? 0 : Math.min(n - at, len), r);
    }
  }
}

/** A mutant of `seed`: one to four stacked edits. */
export function mutate(seed: Uint8Array, rng: Rng, dict: Dictionary): Uint8Array {
  let a = seed;
  const edits = 1 + rng.int(4);
  for (let i = 0; i < edits; i++) a = edit(a, rng, dict);
  return a;
}

export interface FuzzTarget<T, R> {
  /** names the reader in messages and in the printed counts */
  name: string;
  /** how many mutants to try */
  count: number;
  seed: number;
  /** builds mutant i (usually `mutate` of one of the seed files, sometimes structure-aware) */
  generate: (rng: Rng, i: number) => Uint8Array;
  /** the reader under test */
  read: (bytes: Uint8Array) => T;
  /** the independent decoder: what the bytes hold, or a string saying why they are invalid */
  reference: (bytes: Uint8Array) => R | string;
  /** throws (assert) when the reader's result differs from the reference's */
  compare: (got: T, want: R) => void;
  /**
   * the reference states every rule of the format, so a file it accepts must be accepted too
   * (false for a reference that only decodes and leaves field checks to the test)
   */
  strict: boolean;
}

export interface FuzzCounts {
  tried: number;
  typed: number;
  accepted: number;
  /** invalid by the reference and rejected by the reader: agreement on rejections */
  bothRejected: number;
  /** valid by the reference but rejected by the reader (a failure when the target is strict) */
  readerOnlyRejected: number;
  slowestMs: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b.subarray(0, 400)).toString('base64');

/**
 * Runs the fuzz loop and asserts the contract on every mutant; prints and returns the counts
 * (tried / typed errors / accepted). A failure reports the mutant number and its bytes.
 */
export function runFuzz<T, R>(t: TestContext, target: FuzzTarget<T, R>): FuzzCounts {
  const rng = new Rng(target.seed);
  const counts: FuzzCounts = { tried: 0, typed: 0, accepted: 0, bothRejected: 0, readerOnlyRejected: 0, slowestMs: 0 };
  const failures: string[] = [];
  for (let i = 0; i < target.count && failures.length < 5; i++) {
    const bytes = target.generate(rng, i);
    counts.tried++;
    let got: { ok: true; value: T } | { ok: false; error: unknown };
    const start = performance.now();
    try {
      got = { ok: true, value: target.read(bytes) };
    } catch (e) {
      got = { ok: false, error: e };
    }
    const ms = performance.now() - start;
    counts.slowestMs = Math.max(counts.slowestMs, ms);
    const where = `${target.name} mutant ${i} (seed ${target.seed}, ${bytes.length} bytes, base64 start ${hex(bytes)})`;
    if (ms > 1000) failures.push(`${where}: took ${ms.toFixed(0)} ms`);
    if (!got.ok) {
      if (got.error instanceof BackpropError) {
        counts.typed++;
        if (typeof target.reference(bytes) === 'string') {
          counts.bothRejected++;
        } else {
          counts.readerOnlyRejected++;
          if (target.strict) failures.push(`${where}: the reader rejected a valid file: ${(got.error as Error).message.slice(0, 300)}`);
        }
      } else {
        failures.push(`${where}: untyped error ${String((got.error as Error)?.stack ?? got.error).slice(0, 600)}`);
      }
      continue;
    }
    counts.accepted++;
    const want = target.reference(bytes);
    if (typeof want === 'string') {
      failures.push(`${where}: the reader accepted what the reference decoder rejects: ${want}`);
      continue;
    }
    try {
      target.compare(got.value, want);
    } catch (e) {
      failures.push(`${where}: decoded values differ from the reference: ${(e as Error).message.slice(0, 600)}`);
    }
  }
  const line = `fuzz ${target.name}: ${counts.tried} tried, ${counts.typed} typed errors, ${counts.accepted} accepted `
    + `(reference agrees on ${counts.bothRejected} of the rejections; slowest input ${counts.slowestMs.toFixed(1)} ms)`;
  console.log(line);
  t.diagnostic(line);
  assert.deepEqual(failures, [], failures.join('\n'));
  return counts;
}

/** Bitwise equality of two number lists, NaN payloads aside: what a decoder read must be exact. */
export function assertSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      assert.fail(`${what}[${i}]: ${got[i]}, expected ${want[i]}`);
    }
  }
}

/** JSON texts a structure-aware edit puts in place of a value: deep nesting, odd numbers, hostile keys. */
export const JSON_SNIPPETS: readonly string[] = [
  'null', 'true', '0', '-1', '1.5', '1e400', '-0', '4294967296', '9007199254740993', '""', '"x"', '[]', '{}', '[0,0]', '[1,2,3,4]', '[0,0,0,0]',
  `${'['.repeat(5000)}1${']'.repeat(5000)}`, `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`, `[${'1,'.repeat(20000)}1]`, `"${'x'.repeat(100000)}"`,
  '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', '{"__proto__":1}', '{"constructor":"x"}',
  '{"$number":"NaN"}', '{"$number":"Infinity"}', '{"$number":"x"}', '{"$tensor":"model.w"}', '{"$tensor":"optimizer.0.expAvg"}',
  '{"s":[1,2,3,4],"spare":null}', '{"s":[0,0,0,0],"spare":null}', '{"s":[1,2,3],"spare":0.5}', '{"s":["1",2,3,4],"spare":null}',
];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'model.__proto__', '0', '-1', 'NaN'];

/**
 * A structure-aware edit of JSON text: one value somewhere in the tree is replaced by a snippet,
 * or one key renamed to a hostile one. The result is valid JSON (unlike most byte edits), so
 * the reader's field checks, not its JSON parser, see it. null when `text` is not JSON.
 */
export function mutateJson(text: string, rng: Rng, snippets: readonly string[] = JSON_SNIPPETS): string | null {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return null;
  }
  // every container in the tree, to pick one uniformly
  const nodes: (Record<string, unknown> | unknown[])[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v !== null && typeof v === 'object') {
      nodes.push(v as Record<string, unknown>);
      for (const c of Object.values(v)) stack.push(c);
    }
  }
  if (nodes.length === 0) return rng.pick(snippets);
  const node = rng.pick(nodes);
  const keys = Object.keys(node);
  const MARK = '\u0001fuzz-snippet\u0001';
  const snippet = rng.pick(snippets);
  if (keys.length === 0 || rng.int(6) === 0) {
    if (Array.isArray(node)) node.push(MARK);
    else Object.defineProperty(node, rng.pick(HOSTILE_KEYS), { value: MARK, enumerable: true, configurable: true, writable: true });
  } else if (!Array.isArray(node) && rng.int(4) === 0) {
    // rename a key, keeping its value
    const k = rng.pick(keys);
    const v = (node as Record<string, unknown>)[k];
    delete (node as Record<string, unknown>)[k];
    Object.defineProperty(node, rng.pick(HOSTILE_KEYS), { value: v, enumerable: true, configurable: true, writable: true });
    return JSON.stringify(root);
  } else {
    (node as Record<string, unknown>)[rng.pick(keys)] = MARK;
  }
  return JSON.stringify(root).replace(JSON.stringify(MARK), () => snippet);
}
