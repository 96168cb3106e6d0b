import type { Device, DType, TypedArray } from '../backend/backend.js';
import { backendFor, getDefaultDevice, isDevice } from '../backend/registry.js';
import { ShapeError, ValueError, DTypeError, fmtShape } from '../errors.js';
import { arrayFor, arrayFrom, dtypeOfArray, isDType } from './dtype.js';
import { checkShape, sizeOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';
import { defaultGenerator, type Generator } from './random.js';

/**
 * Options every creation function takes: the dtype (float32 unless given), whether the new
 * tensor is a leaf that collects `.grad`, and the device it lives on.
 * @example const w = zeros([3, 2], { dtype: 'float64', requiresGrad: true, device: 'cpu' });
 */
export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** where the tensor lives (default: getDefaultDevice(), 'cpu' unless set) */
  device?: Device;
}

/**
 * Creation options plus the random stream to draw from, so a run can be reproduced without
 * touching the global seed.
 * @example const x = randn([4, 3], { generator: new Generator(42), dtype: 'float64' });
 */
export interface RandomOptions extends CreateOptions {
  /** the stream to draw from (default: defaultGenerator, seeded by manualSeed) */
  generator?: Generator;
}

/** Puts a freshly built CPU tensor on the requested device and sets requiresGrad. */
function finish(t: Tensor, opts: CreateOptions): Tensor {
  const device = opts.device ?? getDefaultDevice();
  if (!isDevice(device)) throw new ValueError(`unknown device '${String(device)}'; expected 'cpu' or 'webgpu'`);
  const out = device === 'cpu' ? t : new Tensor(backendFor(device).upload(t.data), t.shape);
  if (opts.requiresGrad) out.requiresGrad = true;
  return out;
}

/** The same elements under another shape (one dim may be -1); creation never needs the op library. */
function withShape(op: string, t: Tensor, shape: readonly number[]): Tensor {
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const resolved = shape.map((d) => (d === -1 && known > 0 ? t.size / known : d));
  checkShape(op, resolved);
  if (sizeOf(resolved) !== t.size) throw new ShapeError(`${op}: cannot give ${t.size} values the shape ${fmtShape(shape)}`);
  return new Tensor(t.data, resolved);
}

function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float32';
  if (!isDType(dtype)) throw new DTypeError(`${op}: unknown dtype '${String(dtype)}'; expected float32, float64 or int32`);
  return dtype;
}

/**
 * Creates a tensor from nested arrays, a typed array with `{shape}`, or a number.
 * @example tensor([[1, 2], [3, 4]]); tensor(new Float32Array(6), {shape: [2, 3]}); tensor(3.5)
 */
export function tensor(
  values: NestedArray | TypedArray | readonly number[] | Tensor,
  opts: CreateOptions & { shape?: readonly number[] } = {},
): Tensor {
  if (values instanceof Tensor) {
    const d = opts.dtype ?? values.dtype;
    // a copy, on the CPU: a GPU tensor is copied with x.clone() or x.to(device)
    return finish(new Tensor(arrayFrom(d, values.data), values.shape), opts);
  }
  if (ArrayBuffer.isView(values)) {
    const src = values as TypedArray;
    const dtype = opts.dtype === undefined ? dtypeOfArray(src) : checkDType('tensor', opts.dtype);
    const shape = opts.shape ?? [src.length];
    checkShape('tensor', shape);
    if (sizeOf(shape) !== src.length) {
      throw new ShapeError(`tensor: shape ${fmtShape(shape)} needs ${sizeOf(shape)} values but the typed array has ${src.length}`);
    }
    const data = dtypeOfArray(src) === dtype ? src.slice() : arrayFrom(dtype, src);
    return finish(new Tensor(data, [...shape]), opts);
  }
  const dtype = checkDType('tensor', opts.dtype);
  if (typeof values === 'number') {
    const t = Tensor.scalar(values, dtype);
    return finish(opts.shape ? withShape('tensor', t, opts.shape) : t, opts);
  }
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const flat = arrayFor(dtype, sizeOf(shape));
  let k = 0;
  const walk = (v: unknown, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (typeof v !== 'number') {
        throw new ValueError(`tensor: expected a number at [${path.join('][')}], got ${Array.isArray(v) ? 'an array (ragged nesting)' : typeof v}`);
      }
      flat[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new ShapeError(`tensor: ragged nested array: expected length ${shape[d]} at [${path.join('][')}], got ${Array.isArray(v) ? v.length : typeof v}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], d + 1, [...path, i]);
  };
  walk(values, 0, []);
  const t = new Tensor(flat, shape);
  if (opts.shape) return finish(withShape('tensor', t, opts.shape), opts);
  return finish(t, opts);
}

/**
 * A tensor of `shape` filled with `value`.
 * @example full([2, 3], 0.5); full([4], -1, { dtype: 'int32' })
 */
export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const a = arrayFor(checkDType('full', opts.dtype), sizeOf(shape));
  a.fill(value);
  return finish(new Tensor(a, [...shape]), opts);
}

/**
 * A tensor of `shape` filled with zeros, e.g. a bias or an accumulator.
 * @example const b = zeros([10], { requiresGrad: true });
 */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/**
 * A tensor of `shape` filled with ones, e.g. a LayerNorm scale or a mask.
 * @example const mask = ones([2, 5], { dtype: 'int32' });
 */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/**
 * Values start, start+step, ... below end; with one argument, 0 up to it.
 * @example arange(5).toArray() // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.25).toArray() // [1, 1.25, 1.5, 1.75]
 */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((e - s) / step));
  checkShape('arange', [n]);
  const a = arrayFor(checkDType('arange', opts.dtype), n);
  for (let i = 0; i < n; i++) a[i] = s + i * step;
  return finish(new Tensor(a, [n]), opts);
}

/**
 * `steps` evenly spaced values from start to end inclusive.
 * @example linspace(0, 1, 5).toArray() // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}`);
  checkShape('linspace', [steps]);
  const a = arrayFor(checkDType('linspace', opts.dtype), steps);
  for (let i = 0; i < steps; i++) a[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(new Tensor(a, [steps]), opts);
}

/**
 * Identity matrix n×m (m defaults to n).
 * @example eye(3); eye(2, 4, { dtype: 'float64' })
 */
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const a = arrayFor(checkDType('eye', opts.dtype), n * m);
  for (let i = 0; i < Math.min(n, m); i++) a[i * m + i] = 1;
  return finish(new Tensor(a, [n, m]), opts);
}

/** Uniform in [0, 1). @example rand([2, 3], {generator: new Generator(42)}) */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkShape('rand', shape);
  const g = opts.generator ?? defaultGenerator;
  const a = arrayFor(checkFloat('rand', opts.dtype), sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = g.random();
  return finish(new Tensor(a, [...shape]), opts);
}

/**
 * Samples from the standard normal distribution, e.g. for weights or noise.
 * @example const noise = randn([8, 16]).mul(0.1);
 */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkShape('randn', shape);
  const g = opts.generator ?? defaultGenerator;
  const a = arrayFor(checkFloat('randn', opts.dtype), sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = g.normal();
  return finish(new Tensor(a, [...shape]), opts);
}

/**
 * Uniform integers in [low, high); int32 by default, e.g. random class labels.
 * @example const labels = randint(0, 10, [32]);
 */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkShape('randint', shape);
  const g = opts.generator ?? defaultGenerator;
  const a = arrayFor(opts.dtype === undefined ? 'int32' : checkDType('randint', opts.dtype), sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = g.randint(low, high);
  return finish(new Tensor(a, [...shape]), opts);
}

function checkFloat(op: string, dtype: DType | undefined): DType {
  const d = checkDType(op, dtype);
  if (d === 'int32') throw new DTypeError(`${op}: expected a floating dtype, got int32 (use randint for integers)`);
  return d;
}

const likeOpts = <T extends CreateOptions>(t: Tensor, opts: T): T => ({ ...opts, dtype: opts.dtype ?? t.dtype, device: opts.device ?? t.device });

/**
 * Zeros with t's shape, dtype and device (each can be overridden).
 * @example const g = zerosLike(w);
 */
export const zerosLike = (t: Tensor, opts: CreateOptions = {}): Tensor => zeros(t.shape, likeOpts(t, opts));
/**
 * Ones with t's shape, dtype and device (each can be overridden).
 * @example const seed = onesLike(y); y.backward(seed);
 */
export const onesLike = (t: Tensor, opts: CreateOptions = {}): Tensor => ones(t.shape, likeOpts(t, opts));
/**
 * A tensor with t's shape, dtype and device, filled with `value`.
 * @example const fill = fullLike(logits, -Infinity);
 */
export const fullLike = (t: Tensor, value: number, opts: CreateOptions = {}): Tensor => full(t.shape, value, likeOpts(t, opts));
/**
 * Uniform samples in [0, 1) with t's shape, dtype and device, e.g. for a dropout mask.
 * @example const keep = randLike(x).lt(0.9);
 */
export const randLike = (t: Tensor, opts: RandomOptions = {}): Tensor => rand(t.shape, likeOpts(t, opts));
/**
 * Standard normal samples with t's shape, dtype and device.
 * @example const noisy = x.add(randnLike(x).mul(0.01));
 */
export const randnLike = (t: Tensor, opts: RandomOptions = {}): Tensor => randn(t.shape, likeOpts(t, opts));
/**
 * Uniform integers in [low, high) with t's shape; the dtype follows t unless given.
 * @example const idx = randintLike(targets, 0, 10);
 */
export const randintLike = (t: Tensor, low: number, high: number, opts: RandomOptions = {}): Tensor =>
  randint(low, high, t.shape, likeOpts(t, opts));
