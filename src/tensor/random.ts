import { ValueError } from '../errors.js';
import { checkGeneratorState } from '../validate.js';

/**
 * A seeded random number generator (xoshiro128**). Integer arithmetic only, so the same seed
 * gives the same stream on every JS engine and backend. Its state can be saved and restored,
 * which is what checkpoints use to make a resumed run match an uninterrupted one.
 * @example
 * const g = new Generator(42);
 * const w = randn([784, 128], { generator: g });
 * const order = g.permutation(60000); // a shuffled epoch
 */
export class Generator {
  private s = new Uint32Array(4);
  /** a cached second Box-Muller normal, so normals come in a reproducible sequence */
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /**
   * Restarts the stream from `seed`; the same seed always gives the same numbers.
   * @example const g = new Generator().manualSeed(7);
   */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ValueError(`manualSeed: seed must be a finite number, got ${seed}`);
    // splitmix32 spreads a small seed over the 128-bit state
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 4294967296)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
    this.spare = null;
    return this;
  }

  /** A uniformly random unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal by the Box-Muller transform. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  randint(low: number, high: number): number {
    const span = high - low;
    if (!(span > 0)) throw new ValueError(`randint: high (${high}) must be greater than low (${low})`);
    if (span <= 4294967296) {
      // rejection sampling removes modulo bias
      const limit = 4294967296 - (4294967296 % span);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return low + (x % span);
    }
    return low + Math.floor(this.random() * span);
  }

  /** Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /**
   * A JSON-safe snapshot of the stream's position, to save with a checkpoint.
   * @example const saved = g.getState(); const a = g.random(); g.setState(saved); g.random() === a // true
   */
  getState(): GeneratorState {
    return { s: Array.from(this.s), spare: this.spare };
  }

  /**
   * Resumes the stream from a snapshot taken by getState (e.g. one loaded from a checkpoint).
   * @example g.setState(JSON.parse(savedJson));
   */
  setState(state: GeneratorState): this {
    const valid = checkGeneratorState('Generator.setState', state);
    this.s.set(valid.s);
    this.spare = valid.spare;
    return this;
  }
}

/**
 * A Generator's position in its stream, as plain numbers so it survives JSON (checkpoints store it).
 * @example const state: GeneratorState = defaultGenerator.getState(); const json = JSON.stringify(state);
 */
export interface GeneratorState {
  /** the four 32-bit words of the xoshiro128** state */
  s: number[];
  /** the cached second Box-Muller normal, if any */
  spare: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The generator random creation functions use when none is passed; `manualSeed` seeds it.
 * @example const state = defaultGenerator.getState(); // saved with a checkpoint
 */
export const defaultGenerator = new Generator(0);

/**
 * Seeds the default generator, like torch.manual_seed, so runs (weight init, shuffling,
 * dropout) repeat exactly.
 * @example manualSeed(0); const model = new nn.Linear(2, 2); // the same weights every run
 */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
