/**
 * In-place initializers with PyTorch's formulas (torch.nn.init). Each fills a tensor's data
 * and returns the tensor; random ones draw from `{generator}`, by default the library's
 * default generator, so `manualSeed(n)` makes a freshly built model reproducible.
 * @example
 * const fc = new nn.Linear(256, 10);
 * nn.init.xavierUniform(fc.weight);
 * nn.init.zeros(fc.bias!);
 * @packageDocumentation
 */

import { arrayFor } from '../tensor/dtype.js';
import { backendFor } from '../backend/registry.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The random source of an initializer.
 * @example normal(w, 0, 0.02, { generator: new Generator(42) })
 */
export interface InitOptions {
  /** default: the library's default generator (seeded by manualSeed) */
  generator?: Generator;
}

/**
 * The activation after a layer, which sets the gain of the Xavier and Kaiming initializers.
 * @example calculateGain('tanh') // 5/3
 */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'leaky_relu' | 'selu';
/**
 * Whether Kaiming scales by the fan-in (preserves forward variance) or the fan-out (backward).
 * @example kaimingNormal(w, { mode: 'fanOut', nonlinearity: 'relu' })
 */
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

/**
 * Fills t in place from a host array: the values are drawn on the CPU (the same seeded stream
 * on every device) and, for a tensor on a GPU, uploaded into it.
 */
function fill(op: string, t: Tensor, draw: (d: Float32Array | Float64Array) => void): Tensor {
  if (t.dtype === 'int32') throw new DTypeError(`init.${op}: expected a floating tensor, got int32`);
  const d = (t.device === 'cpu' ? t.data : arrayFor(t.dtype, t.size)) as Float32Array | Float64Array;
  draw(d);
  if (t.device !== 'cpu') t.setStorage(backendFor(t.device).upload(d));
  return t;
}

/**
 * The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.
 * @example calculateGain('relu') // √2
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: throw new ValueError(`init.calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * fan_in and fan_out of a weight: [out, in, ...kernel] gives in·k and out·k, as PyTorch.
 * @example fans(zeros([256, 784])) // {fanIn: 784, fanOut: 256}
 */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.shape.length < 2) {
    throw new ShapeError(`init: fan in and fan out need a tensor with at least 2 dims, got shape ${fmtShape(t.shape)}`);
  }
  const receptive = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

function fanFor(t: Tensor, mode: FanMode): number {
  const f = fans(t);
  if (mode === 'fanIn' || mode === 'fan_in') return f.fanIn;
  if (mode === 'fanOut' || mode === 'fan_out') return f.fanOut;
  throw new ValueError(`init: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
}

/** Fills with U(a, b). @example uniform(w, -0.1, 0.1, {generator: new Generator(1)}) */
export function uniform(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  return fill('uniform', t, (d) => { for (let i = 0; i < d.length; i++) d[i] = a + (b - a) * g.random(); });
}

/** Fills with N(mean, std²). @example normal(embedding.weight, 0, 0.02) */
export function normal(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  return fill('normal', t, (d) => { for (let i = 0; i < d.length; i++) d[i] = mean + std * g.normal(); });
}

/** Fills with N(mean, std²) redrawn until inside [a, b]. @example truncNormal(w, 0, 0.02, -0.04, 0.04) */
export function truncNormal(t: Tensor, mean = 0, std = 1, a = -2, b = 2, opts: InitOptions = {}): Tensor {
  if (!(a < b)) throw new ValueError(`init.truncNormal: need a < b, got [${a}, ${b}]`);
  const g = opts.generator ?? defaultGenerator;
  return fill('truncNormal', t, (d) => {
    for (let i = 0; i < d.length; i++) {
      let v = mean + std * g.normal();
      for (let tries = 0; (v < a || v > b) && tries < 1000; tries++) v = mean + std * g.normal();
      d[i] = Math.min(Math.max(v, a), b);
    }
  });
}

/** Fills with one value. @example constant(bn.weight!, 0.5) */
export function constant(t: Tensor, value: number): Tensor {
  if (t.device !== 'cpu') {
    t.setStorage(backendFor(t.device).upload(arrayFor(t.dtype, t.size).fill(value)));
    return t;
  }
  t.data.fill(value);
  return t;
}

/** Fills with 0. @example zeros(fc.bias!) */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills with 1. @example ones(ln.weight!) */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Glorot: U(±gain·√(6/(fanIn+fanOut))). @example xavierUniform(w, {gain: calculateGain('tanh')}) */
export function xavierUniform(t: Tensor, opts: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -bound, bound, opts);
}

/** Glorot: N(0, gain²·2/(fanIn+fanOut)). @example xavierNormal(w) */
export function xavierNormal(t: Tensor, opts: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal(t, 0, (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

/**
 * Options of kaimingUniform and kaimingNormal, as torch.nn.init.kaiming_*.
 * @example kaimingUniform(w, { a: 0.1, mode: 'fanIn', nonlinearity: 'leakyRelu' })
 */
export interface KaimingOptions extends InitOptions {
  /** negative slope of the leaky ReLU that follows (default 0) */
  a?: number;
  /** the fan the variance is scaled by (default 'fanIn') */
  mode?: FanMode;
  /** the activation after the layer (default 'leakyRelu', with slope a) */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const fan = fanFor(t, opts.mode ?? 'fanIn');
  return calculateGain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? 0) / Math.sqrt(fan);
}

/**
 * He: U(±gain·√(3/fan)). PyTorch's Linear and Conv2d use a = √5, i.e. U(±1/√fanIn).
 * @example kaimingUniform(w, {nonlinearity: 'relu'})
 */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform(t, -bound, bound, opts);
}

/** He: N(0, gain²/fan). @example kaimingNormal(conv.weight, { nonlinearity: 'relu' }) */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, opts), opts);
}
