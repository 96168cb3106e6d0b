import { ValueError } from '../errors.js';
import { mul } from '../ops/elementwise.js';
import { assertFloat, arrayFor } from '../tensor/dtype.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Options of the functional dropout.
 * @example dropout(h, 0.1, { training: model.training, generator: new Generator(7) })
 */
export interface DropoutOptions {
  /** when false, dropout is the identity (default true, as torch's F.dropout) */
  training?: boolean;
  /** the random source of the mask (default: the global one) */
  generator?: Generator;
}

/**
 * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1−p),
 * so the expected value is unchanged and evaluation needs no rescaling.
 * @example dropout(h, 0.5, {training: model.training})
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout: probability p must be in [0, 1], got ${p}`);
  assertFloat('dropout', x.dtype);
  if (!(opts.training ?? true) || p === 0) return x;
  const g = opts.generator ?? defaultGenerator;
  const mask = arrayFor(x.dtype, x.size);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = g.random() < p ? 0 : scale;
  return mul(x, Tensor.fromRaw(mask, x.shape));
}

/**
 * Dropout layer: active in train mode, the identity in eval mode.
 * @example new Sequential(new Linear(784, 256), new ReLU(), new Dropout(0.2), new Linear(256, 10))
 */
export class Dropout extends Module {
  readonly generator: Generator | undefined;

  constructor(readonly p = 0.5, opts: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Dropout: probability p must be in [0, 1], got ${p}`);
    this.generator = opts.generator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, generator: this.generator ?? defaultGenerator });
  }

  override label(): string {
    return `Dropout(p=${this.p})`;
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
