import { apply, reference } from '../autograd/engine.js';
import { assertFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { ActGradActivation, Backend, UnaryOp } from '../backend/backend.js';
import { defineOp, fusedGradBackend, type OpDef, type Raw } from './op.js';
import { add, cast, compare, erf, exp, mul, sub, unaryRaw, where } from './elementwise.js';

function act(b: Backend, op: UnaryOp, x: Tensor, param?: number): Raw {
  return unaryRaw(b, op, x, param);
}

/** 1 where x > 0, else 0, as a constant of x's dtype. */
function positive(x: Tensor): Tensor {
  return cast(compare('gt', x.detach(), 0), x.dtype);
}

/**
 * g · act'(y) from the activation's saved output y, in one kernel pass instead of three: the
 * backward of sigmoid, tanh and relu (and of biasAct with them). Its own rule differentiates
 * act'(y) once more (σ'' = 1 − 2y, tanh'' = −2y in terms of y), so double backward still works.
 */
export const actGradOp: OpDef<{ act: ActGradActivation }> = defineOp<{ act: ActGradActivation }>({
  name: 'actGrad',
  forward: (b, [g, y], { act }) => {
    if (!b.actGrad) return reference(() => actGradReference(g!, y!, act));
    const out = b.alloc(g!.dtype, g!.size);
    b.actGrad(act, g!.storage, y!.storage, out);
    return { storage: out, shape: g!.shape };
  },
  backward: (gg, { inputs: [g, y], attrs: { act } }) => [
    g!.requiresGrad ? apply(actGradOp, [gg, y!], { act }) : null,
    act === 'relu' || !y!.requiresGrad ? null : mul(mul(gg, g!), act === 'sigmoid' ? sub(1, mul(y!, 2)) : mul(y!, -2)),
  ],
});

/** actGrad from core ops, for backends without the fused kernel. */
function actGradReference(g: Tensor, y: Tensor, act: ActGradActivation): Tensor {
  switch (act) {
    case 'sigmoid': return mul(g, mul(y, sub(1, y)));
    case 'tanh': return mul(g, sub(1, mul(y, y)));
    case 'relu': return mul(g, positive(y));
  }
}

/** g · act'(y) for an activation output y. */
export function actGrad(g: Tensor, y: Tensor, act: ActGradActivation): Tensor {
  return apply(actGradOp, [g, y], { act });
}

export const sigmoidOp = defineOp<Record<string, never>>({
  name: 'sigmoid',
  forward: (b, [x]) => act(b, 'sigmoid', x!),
  // σ'(z) = σ(z)(1 − σ(z)): the amplifier on each neuron in the backward pass
  backward: (g, { out }) => [actGrad(g, out, 'sigmoid')],
});

export const tanhOp = defineOp<Record<string, never>>({
  name: 'tanh',
  forward: (b, [x]) => act(b, 'tanh', x!),
  backward: (g, { out }) => [actGrad(g, out, 'tanh')],
});

export const reluOp = defineOp<Record<string, never>>({
  name: 'relu',
  forward: (b, [x]) => act(b, 'relu', x!),
  // relu(x) > 0 exactly where x > 0
  backward: (g, { out }) => [actGrad(g, out, 'relu')],
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
  backward: (g, { inputs: [x], out: y }) => {
    // one pass (g·gelu'(x)) where the backend has it, else the differentiable composition
    const b = fusedGradBackend('geluGrad', g);
    if (b === null || g.dtype !== x!.dtype) return [mul(g, geluDerivative(x!))];
    const out = b.alloc(g.dtype, g.size);
    b.geluGrad!(g.storage, x!.storage, y.storage, out);
    return [Tensor.fromRaw(out, g.shape)];
  },
});

/** gelu(x) = xΦ(x), so gelu'(x) = Φ(x) + xφ(x); written with ops, so it differentiates again. */
export function geluDerivative(x: Tensor): Tensor {
  const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(mul(x, x), -0.5)), 0.3989422804014327);
  return add(cdf, mul(x, pdf));
}

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
