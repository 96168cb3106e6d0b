import { elu, gelu, leakyRelu, relu, sigmoid, softplus, tanh } from '../ops/activation.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

// Parameter-free layers, so activations can sit inside a Sequential.

/**
 * max(0, x), elementwise.
 * @example new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 1))
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

/**
 * 1 / (1 + e^−x), elementwise.
 * @example new Sequential(new Linear(2, 1), new Sigmoid())
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

/**
 * tanh(x), elementwise.
 * @example new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 1))
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
}

/**
 * The exact (erf) GELU: x·Φ(x).
 * @example new Sequential(new Linear(16, 64), new GELU(), new Linear(64, 16))
 */
export class GELU extends Module {
  forward(x: Tensor): Tensor { return gelu(x); }
}

/**
 * log(1 + e^x), elementwise: a smooth ReLU.
 * @example new Softplus().forward(tensor([0])) // [0.693]
 */
export class Softplus extends Module {
  forward(x: Tensor): Tensor { return softplus(x); }
}

/**
 * x for x > 0, negativeSlope·x otherwise (default slope 0.01).
 * @example new LeakyReLU(0.2).forward(tensor([-1, 2])) // [-0.2, 2]
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
  override label(): string { return `LeakyReLU(${this.negativeSlope})`; }
  override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}

/**
 * x for x > 0, alpha·(e^x − 1) otherwise (default alpha 1).
 * @example new ELU().forward(tensor([-1, 2])) // [-0.632, 2]
 */
export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${this.alpha}`; }
}

/**
 * Softmax along `dim` (default last): exponentials normalized to sum to 1.
 * @example new Softmax().forward(tensor([[0, 0]])) // [[0.5, 0.5]]
 */
export class Softmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return softmax(x, this.dim); }
  override label(): string { return `Softmax(dim=${this.dim})`; }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/**
 * log(softmax(x)) along `dim` (default last), computed stably; pair it with nllLoss.
 * @example new Sequential(new Linear(4, 3), new LogSoftmax())
 */
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
  override label(): string { return `LogSoftmax(dim=${this.dim})`; }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/**
 * Passes its input through unchanged (a placeholder layer).
 * @example new Identity().forward(x) === x // true
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
