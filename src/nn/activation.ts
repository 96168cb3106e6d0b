import { elu, gelu, leakyRelu, relu, sigmoid, softplus, tanh } from '../ops/activation.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

// Parameter-free layers, so activations can sit inside a Sequential.

/** @example new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 1)) */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
}

/** The exact (erf) GELU. */
export class GELU extends Module {
  forward(x: Tensor): Tensor { return gelu(x); }
}

export class Softplus extends Module {
  forward(x: Tensor): Tensor { return softplus(x); }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
  override label(): string { return `LeakyReLU(${this.negativeSlope})`; }
  override extraRepr(): string { return `negativeSlope=${this.negativeSlope}`; }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return elu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${this.alpha}`; }
}

/** Softmax along `dim` (default last). */
export class Softmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return softmax(x, this.dim); }
  override label(): string { return `Softmax(dim=${this.dim})`; }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

export class LogSoftmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
  override label(): string { return `LogSoftmax(dim=${this.dim})`; }
  override extraRepr(): string { return `dim=${this.dim}`; }
}

/** Passes its input through unchanged (a placeholder layer). */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
