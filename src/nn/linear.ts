import { ShapeError, fmtShape } from '../errors.js';
import type { BiasActivation } from '../backend/backend.js';
import { traceScope } from '../autograd/trace.js';
import { biasAct } from '../ops/bias-act.js';
import { add, cast } from '../ops/elementwise.js';
import { promote } from '../tensor/dtype.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/shape.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { fans, kaimingUniform, uniform } from './init.js';
import { Module } from './module.js';

/**
 * y = x·Wᵀ + b for x [..., in] and weight [out, in], as torch's F.linear.
 * @example linear(x, w, b)
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.shape.length !== 2) throw new ShapeError(`linear: weight must be 2-D [out, in], got ${fmtShape(weight.shape)}`);
  // an exporter sees one fully connected layer (ONNX Gemm), not a matmul and an add
  return traceScope('linear', bias ? [x, weight, bias] : [x, weight], { act: 'none', bias: !!bias }, () => {
    const y = matmul(rows(x), weight, { transB: true });
    return unrows(bias ? add(y, bias) : y, x);
  });
}

/**
 * x [..., in] as one matrix [N, in]: a single GEMM (and a single one for the weight's gradient)
 * instead of one per leading index. Reshapes of contiguous tensors are free.
 */
function rows(x: Tensor): Tensor {
  return x.shape.length > 2 ? reshape(x, [-1, x.shape[x.shape.length - 1]!]) : x;
}

/** y [N, out] back to x's leading dims. */
function unrows(y: Tensor, x: Tensor): Tensor {
  return x.shape.length > 2 ? reshape(y, [...x.shape.slice(0, -1), y.shape[1]!]) : y;
}

/** Weight default of Linear and Conv2d: kaiming_uniform(a=√5), i.e. U(±1/√fanIn); bias U(±1/√fanIn). */
export function resetLinearLike(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  const opts = generator ? { generator } : {};
  kaimingUniform(weight, { a: Math.sqrt(5), ...opts });
  if (bias) {
    const { fanIn } = fans(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound, opts);
  }
}

/**
 * A fully connected layer: weight [out, in], bias [out], initialized as PyTorch does.
 * @example const fc = new Linear(784, 256); fc.forward(x) // [N, 256]
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super();
    this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures], { requiresGrad: true }));
    this.bias = opts.bias ?? true ? this.registerParameter('bias', zeros([outFeatures], { requiresGrad: true })) : null;
    resetLinearLike(this.weight, this.bias, opts.generator);
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== this.inFeatures) throw this.shapeError(`[..., ${this.inFeatures}]`, x.shape);
    return linear(x, this.weight, this.bias);
  }

  /** act(forward(x)) with the bias add and the activation fused into one pass (Sequential uses it). */
  forwardAct(x: Tensor, act: BiasActivation): Tensor {
    const bias = this.bias;
    if (bias === null) return this.forward(x);
    if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== this.inFeatures) throw this.shapeError(`[..., ${this.inFeatures}]`, x.shape);
    return traceScope('linear', [x, this.weight, bias], { act, bias: true }, () => {
      const z = matmul(rows(x), this.weight, { transB: true });
      // mixed dtypes promote as add does (the activation still applies: Sequential skips its layer)
      const d = promote(z.dtype, bias.dtype);
      return unrows(biasAct(cast(z, d), cast(bias, d), act), x);
    });
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }

  override label(): string {
    return `Linear(${this.inFeatures}→${this.outFeatures})`;
  }
}
