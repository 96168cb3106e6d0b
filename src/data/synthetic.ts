import { ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';

/**
 * A labelled 2-D point set: x [n,2] float32, y [n] int32 class indices.
 * @example const { x, y, numClasses } = moons({ n: 200, noise: 0.1 });
 */
export interface Synthetic2D {
  /** the points, [n, 2] float32 */
  x: Tensor;
  /** their classes, [n] int32 */
  y: Tensor;
  /** the number of classes */
  numClasses: number;
}

/**
 * Size, noise and seed of a synthetic data set.
 * @example spirals({ n: 300, noise: 0.2, seed: 1 })
 */
export interface SyntheticOptions {
  /** total number of points (split as evenly as possible between classes) */
  n?: number;
  /** standard deviation of the gaussian noise added to each coordinate */
  noise?: number;
  /** seed of a fresh generator (default 0), so the same options give the same points */
  seed?: number;
  /** used instead of `seed` when given */
  generator?: Generator;
}

/** The i-th of m noiseless points of class `cls`. */
type PointFn = (cls: number, i: number, m: number, g: Generator) => [number, number];

function rng(opts: SyntheticOptions): Generator {
  return opts.generator ?? new Generator(opts.seed ?? 0);
}

/**
 * Draws `n` points class by class with `point`, adds noise, then shuffles, so that unshuffled
 * batches still mix classes.
 */
function make(name: string, numClasses: number, opts: SyntheticOptions, g: Generator, defaultNoise: number, point: PointFn): Synthetic2D {
  const { n = 200, noise = defaultNoise } = opts;
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${name}: n must be a non-negative integer, got ${n}`);
  if (!(noise >= 0)) throw new ValueError(`${name}: noise must be non-negative, got ${noise}`);
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  let k = 0;
  for (let c = 0; c < numClasses; c++) {
    const m = Math.floor(n / numClasses) + (c < n % numClasses ? 1 : 0);
    for (let i = 0; i < m; i++, k++) {
      const [a, b] = point(c, i, m, g);
      xs[2 * k] = a + noise * g.normal();
      xs[2 * k + 1] = b + noise * g.normal();
      ys[k] = c;
    }
  }
  const perm = g.permutation(n);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  perm.forEach((src, dst) => {
    x[2 * dst] = xs[2 * src]!;
    x[2 * dst + 1] = xs[2 * src + 1]!;
    y[dst] = ys[src]!;
  });
  return { x: Tensor.fromRaw(x, [n, 2]), y: Tensor.fromRaw(y, [n]), numClasses };
}

function checkClasses(name: string, k: number, min: number): void {
  if (!Number.isInteger(k) || k < min) throw new ValueError(`${name}: classes must be an integer ≥ ${min}, got ${k}`);
}

/**
 * `classes` interleaved spiral arms of radius 0..1, each turning `turns` times around the origin.
 * @example const {x, y} = spirals({n: 300, classes: 3, noise: 0.02, seed: 1});
 */
export function spirals(opts: SyntheticOptions & { classes?: number; turns?: number } = {}): Synthetic2D {
  const { classes = 2, turns = 1 } = opts;
  checkClasses('spirals', classes, 1);
  return make('spirals', classes, opts, rng(opts), 0.03, (c, i, m) => {
    const t = i / m;
    const r = 0.05 + 0.95 * t;
    const a = (2 * Math.PI * c) / classes + 2 * Math.PI * turns * t;
    return [r * Math.cos(a), r * Math.sin(a)];
  });
}

/**
 * Two interleaving half circles (scikit-learn's make_moons); class 0 is the upper moon.
 * @example const {x, y} = moons({n: 200, noise: 0.1});
 */
export function moons(opts: SyntheticOptions = {}): Synthetic2D {
  return make('moons', 2, opts, rng(opts), 0.1, (c, _i, _m, g) => {
    const a = Math.PI * g.random();
    return c === 0 ? [Math.cos(a), Math.sin(a)] : [1 - Math.cos(a), 0.5 - Math.sin(a)];
  });
}

/**
 * Two concentric circles: class 0 of radius 1 outside, class 1 of radius `factor` inside.
 * @example const {x, y} = circles({n: 200, factor: 0.5, noise: 0.05});
 */
export function circles(opts: SyntheticOptions & { factor?: number } = {}): Synthetic2D {
  const { factor = 0.5 } = opts;
  if (!(factor > 0 && factor < 1)) throw new ValueError(`circles: factor must be in (0, 1), got ${factor}`);
  return make('circles', 2, opts, rng(opts), 0.05, (c, _i, _m, g) => {
    const a = 2 * Math.PI * g.random();
    const r = c === 0 ? 1 : factor;
    return [r * Math.cos(a), r * Math.sin(a)];
  });
}

/**
 * Points in the four quadrants of [-1,1]²; class 1 where the signs of x and y differ.
 * @example const {x, y} = xor({n: 200});
 */
export function xor(opts: SyntheticOptions = {}): Synthetic2D {
  return make('xor', 2, opts, rng(opts), 0.05, (c, i, _m, g) => {
    // alternate between the two quadrants of the class so both stay balanced
    const sx = i % 2 === 0 ? 1 : -1;
    const sy = c === 0 ? sx : -sx;
    return [sx * (0.05 + 0.95 * g.random()), sy * (0.05 + 0.95 * g.random())];
  });
}

/**
 * `classes` gaussian clusters with standard deviation `noise`, their centres evenly spaced on a
 * circle of radius `radius` (rotated at random by the seed).
 * @example const {x, y, numClasses} = blobs({n: 300, classes: 3, noise: 0.3});
 */
export function blobs(opts: SyntheticOptions & { classes?: number; radius?: number } = {}): Synthetic2D {
  const { classes = 3, radius = 2 } = opts;
  checkClasses('blobs', classes, 1);
  const g = rng(opts);
  const phase = 2 * Math.PI * g.random();
  return make('blobs', classes, opts, g, 0.5, (c) => {
    const a = phase + (2 * Math.PI * c) / classes;
    return [radius * Math.cos(a), radius * Math.sin(a)];
  });
}
