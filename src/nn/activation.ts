import {
  celu, elu, gelu, glu, hardsigmoid, hardswish, hardtanh, leakyRelu, logsigmoid, mish, prelu, relu, relu6, selu, sigmoid, silu,
  softplus, softsign, tanh,
} from '../ops/activation.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import { full } from '../tensor/creation.js';
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

/**
 * x·σ(x), elementwise (also called swish).
 * @example new Sequential(new Linear(16, 64), new SiLU(), new Linear(64, 16))
 */
export class SiLU extends Module {
  forward(x: Tensor): Tensor { return silu(x); }
}

/**
 * x·tanh(softplus(x)), elementwise.
 * @example new Mish().forward(tensor([1])) // [0.865]
 */
export class Mish extends Module {
  forward(x: Tensor): Tensor { return mish(x); }
}

/**
 * The self-normalizing scale·elu(x, alpha), with PyTorch's constants.
 * @example new SELU().forward(tensor([1])) // [1.0507]
 */
export class SELU extends Module {
  forward(x: Tensor): Tensor { return selu(x); }
}

/**
 * max(0, x) + min(0, alpha·(e^(x/alpha) − 1)) (default alpha 1).
 * @example new CELU(2).forward(tensor([-1])) // [-0.787]
 */
export class CELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return celu(x, this.alpha); }
  override extraRepr(): string { return `alpha=${this.alpha}`; }
}

/**
 * x clamped to [minVal, maxVal] (default [−1, 1]).
 * @example new Hardtanh(-2, 2).forward(tensor([-3, 1])) // [-2, 1]
 */
export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1) { super(); }
  forward(x: Tensor): Tensor { return hardtanh(x, { minVal: this.minVal, maxVal: this.maxVal }); }
  override extraRepr(): string { return `minVal=${this.minVal}, maxVal=${this.maxVal}`; }
}

/**
 * min(max(x, 0), 6), elementwise.
 * @example new ReLU6().forward(tensor([-1, 8])) // [0, 6]
 */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor { return relu6(x); }
}

/**
 * x·hardsigmoid(x), elementwise (MobileNetV3).
 * @example new Hardswish().forward(tensor([1])) // [0.667]
 */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor { return hardswish(x); }
}

/**
 * clamp(x/6 + 1/2, 0, 1), elementwise.
 * @example new Hardsigmoid().forward(tensor([0])) // [0.5]
 */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor { return hardsigmoid(x); }
}

/**
 * log σ(x), elementwise, computed stably.
 * @example new LogSigmoid().forward(tensor([0])) // [-0.693]
 */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor { return logsigmoid(x); }
}

/**
 * x / (1 + |x|), elementwise.
 * @example new Softsign().forward(tensor([1])) // [0.5]
 */
export class Softsign extends Module {
  forward(x: Tensor): Tensor { return softsign(x); }
}

/**
 * x for x > 0, a·x otherwise, with a learned slope a: one shared (numParameters 1, the default)
 * or one per channel (dim 1), initialized to `init` (0.25), as torch.nn.PReLU (parameter `weight`).
 * @example new PReLU(16).forward(randn([8, 16]))
 */
export class PReLU extends Module {
  weight: Tensor;
  constructor(numParameters = 1, init = 0.25) {
    super();
    this.weight = this.registerParameter('weight', full([numParameters], init, { requiresGrad: true }));
  }
  forward(x: Tensor): Tensor { return prelu(x, this.weight); }
  override extraRepr(): string { return `numParameters=${this.weight.size}`; }
}

/**
 * The gated linear unit a·σ(b) over the two halves of dim (default last).
 * @example new GLU().forward(randn([4, 10])).shape // [4, 5]
 */
export class GLU extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return glu(x, this.dim); }
  override extraRepr(): string { return `dim=${this.dim}`; }
}
