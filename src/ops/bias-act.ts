import { apply, reference } from '../autograd/engine.js';
import type { BiasActivation } from '../backend/backend.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import { add, mul, sumTo } from './elementwise.js';
import { actGrad, gelu, geluDerivative, relu, sigmoid, tanh } from './activation.js';

export type { BiasActivation };

/**
 * act(z + bias) for z [..., C] and bias [C] in one kernel: the layer output of Linear + activation
 * without materializing z + bias. Values equal add followed by the activation, bit for bit.
 */
export const biasActOp = defineOp<{ act: BiasActivation }>({
  name: 'biasAct',
  forward: (b, [z, bias], { act }) => {
    if (!b.biasAct) return reference(() => biasActReference(z!, bias!, act));
    const out = b.alloc(z!.dtype, z!.size);
    b.biasAct(act, z!.storage, bias!.storage, out);
    return { storage: out, shape: z!.shape };
  },
  backward: (g, { inputs: [z, bias], out, attrs: { act } }) => {
    let gz: Tensor;
    switch (act) {
      case 'none': gz = g; break;
      // σ' = σ(1 − σ), tanh' = 1 − tanh², relu' = [out > 0]: all from the saved output, one pass
      case 'sigmoid': case 'tanh': case 'relu': gz = actGrad(g, out, act); break;
      case 'gelu': gz = mul(g, geluDerivative(add(z!, bias!))); break;
    }
    return [gz, sumTo(gz, bias!.shape)];
  },
});

/** biasAct from core ops, for backends without the fused kernel. */
function biasActReference(z: Tensor, bias: Tensor, act: BiasActivation): Tensor {
  const v = add(z, bias);
  switch (act) {
    case 'none': return v;
    case 'relu': return relu(v);
    case 'sigmoid': return sigmoid(v);
    case 'tanh': return tanh(v);
    case 'gelu': return gelu(v);
  }
}

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
