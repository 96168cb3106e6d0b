import { apply, reference } from '../autograd/engine.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { assertFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp, fusedGradBackend } from './op.js';
import { add, div, mul, sqrt, sub, sumTo } from './elementwise.js';
import { mean } from './reduce.js';

export interface LayerNormAttrs {
  eps: number;
  /** inputs are [x, weight?, bias?]: which of the two are there */
  weight: boolean;
  bias: boolean;
}

/** The optional weight and bias among an op's inputs. */
function affine(inputs: readonly Tensor[], a: LayerNormAttrs): [Tensor | null, Tensor | null] {
  const w = a.weight ? inputs[1]! : null;
  const b = a.bias ? inputs[a.weight ? 2 : 1]! : null;
  return [w, b];
}

/** x̂ = (x − μ)/σ over the last dim and σ = √(biased variance + eps): the common part of both directions. */
function normalized(x: Tensor, eps: number): { xh: Tensor; sd: Tensor } {
  const xc = sub(x, mean(x, -1, true));
  const sd = sqrt(add(mean(mul(xc, xc), -1, true), eps));
  return { xh: div(xc, sd), sd };
}

/**
 * Layer normalization over the last dim, one fused kernel each way: y = x̂·w + b with
 * x̂ = (x − μ)/√(σ² + eps). A primitive so the forward is one pass instead of eight and the
 * backward one pass instead of about fifteen; the compositions below are its definition.
 */
export const layerNormOp = defineOp<LayerNormAttrs>({
  name: 'layerNormLastDim',
  forward: (b, inputs, a) => {
    const x = inputs[0]!;
    const [w, bias] = affine(inputs, a);
    if (!b.layerNorm) {
      return reference(() => {
        let y = normalized(x, a.eps).xh;
        if (w) y = mul(y, w);
        return bias ? add(y, bias) : y;
      });
    }
    const cols = x.shape[x.shape.length - 1]!;
    const out = b.alloc(x.dtype, x.size);
    b.layerNorm(x.storage, w?.storage ?? null, bias?.storage ?? null, cols === 0 ? 0 : x.size / cols, cols, a.eps, out);
    return { storage: out, shape: x.shape };
  },
  backward: (g, { inputs, attrs: a }) => {
    const x = inputs[0]!;
    const [w, bias] = affine(inputs, a);
    const grads: (Tensor | null)[] = [];
    const b = fusedGradBackend('layerNormGrad', g);
    if (b !== null) {
      const cols = x.shape[x.shape.length - 1]!;
      const dx = b.alloc(x.dtype, x.size);
      const dw = w?.requiresGrad ? b.alloc(w.dtype, w.size) : null;
      const db = bias?.requiresGrad ? b.alloc(bias.dtype, bias.size) : null;
      b.layerNormGrad!(g.storage, x.storage, w?.storage ?? null, cols === 0 ? 0 : x.size / cols, cols, a.eps, dx, dw, db);
      grads.push(Tensor.fromRaw(dx, x.shape));
      if (w) grads.push(dw ? Tensor.fromRaw(dw, w.shape) : null);
      if (bias) grads.push(db ? Tensor.fromRaw(db, bias.shape) : null);
      return grads;
    }
    // dx = (gw − mean(gw) − x̂·mean(gw·x̂))/σ with gw = g·w; written with ops, so it differentiates again
    const { xh, sd } = normalized(x, a.eps);
    const gw = w ? mul(g, w) : g;
    const dx = div(sub(sub(gw, mean(gw, -1, true)), mul(xh, mean(mul(gw, xh), -1, true))), sd);
    grads.push(dx);
    if (w) grads.push(w.requiresGrad ? sumTo(mul(g, xh), w.shape) : null);
    if (bias) grads.push(bias.requiresGrad ? sumTo(g, bias.shape) : null);
    return grads;
  },
});

/**
 * Layer normalization over the last dimension of x: (x − mean)/√(var + eps)·weight + bias, the
 * biased variance, weight and bias of shape [C] optional (torch.nn.functional.layer_norm with
 * normalized_shape [C]).
 * @example layerNormLastDim(x, w, b, 1e-5) // x [B, T, C], w and b [C]
 */
export function layerNormLastDim(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  assertFloat('layerNorm', x.dtype);
  const c = x.shape[x.shape.length - 1];
  if (c === undefined) throw new ShapeError('layerNorm: expected an input with at least one dimension, got a scalar');
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === null) continue;
    if (t.shape.length !== 1 || t.shape[0] !== c) throw new ShapeError(`layerNorm: ${name} must have shape [${c}] for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
    if (t.dtype !== x.dtype) throw new DTypeError(`layerNorm: ${name} is ${t.dtype} but the input is ${x.dtype}`);
  }
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return apply(layerNormOp, inputs, { eps, weight: weight !== null, bias: bias !== null });
}
