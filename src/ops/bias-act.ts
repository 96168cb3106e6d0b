import { apply } from '../autograd/engine.js';
import type { BiasActivation } from '../backend/backend.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import { add, erf, exp, mul, sumTo } from './elementwise.js';
import { actGrad } from './activation.js';

export type { BiasActivation };

/**
 * act(z + bias) for z [..., C] and bias [C] in one kernel: the layer output of Linear + activation
 * without materializing z + bias. Values equal add followed by the activation, bit for bit.
 */
export const biasActOp = defineOp<{ act: BiasActivation }>({
  name: 'biasAct',
  forward: (b, [z, bias], { act }) => {
    const out = b.alloc(z!.dtype, z!.size);
    b.biasAct(act, z!.data, bias!.data, out);
    return { data: out, shape: z!.shape };
  },
  backward: (g, { inputs: [z, bias], out, attrs: { act } }) => {
    let gz: Tensor;
    switch (act) {
      case 'none': gz = g; break;
      // σ' = σ(1 − σ), tanh' = 1 − tanh², relu' = [out > 0]: all from the saved output, one pass
      case 'sigmoid': case 'tanh': case 'relu': gz = actGrad(g, out, act); break;
      case 'gelu': {
        const v = add(z!, bias!);
        const cdf = mul(add(erf(mul(v, Math.SQRT1_2)), 1), 0.5);
        const pdf = mul(exp(mul(mul(v, v), -0.5)), 0.3989422804014327);
        gz = mul(g, add(cdf, mul(v, pdf)));
        break;
      }
    }
    return [gz, sumTo(gz, bias!.shape)];
  },
});

/**
 * Fused act(z + bias) over the last dim of z; `act` is 'none', 'relu', 'sigmoid', 'tanh' or 'gelu'.
 * @example biasAct(matmul(x, w, { transB: true }), b, 'sigmoid') // = sigmoid(linear(x, w, b))
 */
export function biasAct(z: Tensor, bias: Tensor, act: BiasActivation): Tensor {
  if (z.dtype === 'int32' || bias.dtype !== z.dtype) throw new DTypeError(`biasAct: expected floating z and bias of the same dtype, got ${z.dtype} and ${bias.dtype}`);
  const c = z.shape[z.shape.length - 1];
  if (bias.shape.length !== 1 || c === undefined || bias.shape[0] !== c) {
    throw new ShapeError(`biasAct: bias must have shape [${c ?? '?'}] to match the last dim of z ${fmtShape(z.shape)}, got ${fmtShape(bias.shape)}`);
  }
  return apply(biasActOp, [z, bias], { act });
}
