import { apply } from '../autograd/engine.js';
import { assertFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { Backend, UnaryOp } from '../backend/backend.js';
import { defineOp, type Raw } from './op.js';
import { add, cast, compare, erf, exp, mul, sub, where } from './elementwise.js';

function act(b: Backend, op: UnaryOp, x: Tensor, param?: number): Raw {
  const out = b.alloc(x.dtype, x.size);
  b.unary(op, x.data, out, param);
  return { data: out, shape: x.shape };
}

/** 1 where x > 0, else 0, as a constant of x's dtype. */
function positive(x: Tensor): Tensor {
  return cast(compare('gt', x.detach(), 0), x.dtype);
}

export const sigmoidOp = defineOp<Record<string, never>>({
  name: 'sigmoid',
  forward: (b, [x]) => act(b, 'sigmoid', x!),
  // σ'(z) = σ(z)(1 − σ(z)): the amplifier on each neuron in the backward pass
  backward: (g, { out }) => [mul(g, mul(out, sub(1, out)))],
});

export const tanhOp = defineOp<Record<string, never>>({
  name: 'tanh',
  forward: (b, [x]) => act(b, 'tanh', x!),
  backward: (g, { out }) => [mul(g, sub(1, mul(out, out)))],
});

export const reluOp = defineOp<Record<string, never>>({
  name: 'relu',
  forward: (b, [x]) => act(b, 'relu', x!),
  backward: (g, { inputs: [x] }) => [mul(g, positive(x!))],
});

export const leakyReluOp = defineOp<{ slope: number }>({
  name: 'leakyRelu',
  forward: (b, [x], { slope }) => act(b, 'leakyRelu', x!, slope),
  backward: (g, { inputs: [x], attrs: { slope } }) => [mul(g, where(positive(x!), Tensor.scalar(1, x!.dtype), slope))],
});

export const eluOp = defineOp<{ alpha: number }>({
  name: 'elu',
  forward: (b, [x], { alpha }) => act(b, 'elu', x!, alpha),
  // for x <= 0, d/dx α(eˣ − 1) = αeˣ
  backward: (g, { inputs: [x], attrs: { alpha } }) => [mul(g, where(positive(x!), Tensor.scalar(1, x!.dtype), mul(exp(x!), alpha)))],
});

export const geluOp = defineOp<Record<string, never>>({
  name: 'gelu',
  forward: (b, [x]) => act(b, 'gelu', x!),
  // gelu(x) = xΦ(x), so gelu'(x) = Φ(x) + xφ(x)
  backward: (g, { inputs: [x] }) => {
    const cdf = mul(add(erf(mul(x!, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x!, x!), -0.5)), 0.3989422804014327);
    return [mul(g, add(cdf, mul(x!, pdf)))];
  },
});

export const softplusOp = defineOp<Record<string, never>>({
  name: 'softplus',
  forward: (b, [x]) => act(b, 'softplus', x!),
  backward: (g, { inputs: [x] }) => [mul(g, sigmoid(x!))],
});

/** 1 / (1 + e^-x). @example sigmoid(tensor([4, -2])) // [0.982, 0.119] */
export function sigmoid(x: Tensor): Tensor {
  assertFloat('sigmoid', x.dtype);
  return apply(sigmoidOp, [x], {});
}
export function tanh(x: Tensor): Tensor {
  assertFloat('tanh', x.dtype);
  return apply(tanhOp, [x], {});
}
export function relu(x: Tensor): Tensor {
  return apply(reluOp, [x], {});
}
/** x for x > 0, slope·x otherwise (PyTorch's default slope 0.01). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  assertFloat('leakyRelu', x.dtype);
  return apply(leakyReluOp, [x], { slope });
}
export function elu(x: Tensor, alpha = 1): Tensor {
  assertFloat('elu', x.dtype);
  return apply(eluOp, [x], { alpha });
}
/** The exact (erf) GELU, PyTorch's default. */
export function gelu(x: Tensor): Tensor {
  assertFloat('gelu', x.dtype);
  return apply(geluOp, [x], {});
}
export function softplus(x: Tensor): Tensor {
  assertFloat('softplus', x.dtype);
  return apply(softplusOp, [x], {});
}
