import { apply, reference } from '../autograd/engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { assertFloat } from '../tensor/dtype.js';
import { normAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { ActGradActivation, Backend, UnaryOp } from '../backend/backend.js';
import { defineOp, fusedGradBackend, type OpDef, type Raw } from './op.js';
import { abs, add, cast, compare, div, erf, exp, mul, neg, sub, unaryRaw, where } from './elementwise.js';
import { reshape, sliceDim } from './shape.js';

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
    // 1 − [y ≤ 0], not [y > 0]: at y = NaN the gradient passes on, as torch's threshold_backward
    case 'relu': return mul(g, sub(1, cast(compare('le', y.detach(), 0), y.dtype)));
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
/** Hyperbolic tangent, elementwise. @example tanh(tensor([0])) // [0] */
export function tanh(x: Tensor): Tensor {
  assertFloat('tanh', x.dtype);
  return apply(tanhOp, [x], {});
}
/** max(0, x), elementwise (NaN stays NaN). @example relu(tensor([-1, 2])) // [0, 2] */
export function relu(x: Tensor): Tensor {
  return apply(reluOp, [x], {});
}
/** x for x > 0, slope·x otherwise (PyTorch's default slope 0.01). @example leakyRelu(tensor([-1, 2]), 0.2) // [-0.2, 2] */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  assertFloat('leakyRelu', x.dtype);
  return apply(leakyReluOp, [x], { slope });
}
/** x for x > 0, alpha·(eˣ − 1) otherwise (default alpha 1). @example elu(tensor([-1, 2])) // [-0.632, 2] */
export function elu(x: Tensor, alpha = 1): Tensor {
  assertFloat('elu', x.dtype);
  return apply(eluOp, [x], { alpha });
}
/** The exact (erf) GELU, PyTorch's default: x·Φ(x). @example gelu(tensor([1])) // [0.841] */
export function gelu(x: Tensor): Tensor {
  assertFloat('gelu', x.dtype);
  return apply(geluOp, [x], {});
}
/** log(1 + eˣ), computed stably. @example softplus(tensor([0])) // [0.693] */
export function softplus(x: Tensor): Tensor {
  assertFloat('softplus', x.dtype);
  return apply(softplusOp, [x], {});
}

// ---------- more activations (PyTorch's nn.functional set) ----------

/** 1 where lo < x < hi (strictly), else 0, as a constant of x's dtype. */
function strictlyInside(x: Tensor, lo: number, hi: number): Tensor {
  const xd = x.detach();
  return mul(cast(compare('gt', xd, lo), x.dtype), cast(compare('lt', xd, hi), x.dtype));
}

export const siluOp = defineOp<Record<string, never>>({
  name: 'silu',
  forward: (b, [x]) => act(b, 'silu', x!),
  // (xσ(x))' = σ(x)(1 + x(1 − σ(x)))
  backward: (g, { inputs: [x] }) => {
    const s = sigmoid(x!);
    return [mul(g, mul(s, add(mul(x!, sub(1, s)), 1)))];
  },
});

export const mishOp = defineOp<Record<string, never>>({
  name: 'mish',
  forward: (b, [x]) => act(b, 'mish', x!),
  // with t = tanh(softplus(x)): mish' = t + x·σ(x)·(1 − t²)
  backward: (g, { inputs: [x] }) => {
    const t = tanh(softplus(x!));
    return [mul(g, add(t, mul(mul(x!, sigmoid(x!)), sub(1, mul(t, t)))))];
  },
});

export const hardsigmoidOp = defineOp<Record<string, never>>({
  name: 'hardsigmoid',
  forward: (b, [x]) => act(b, 'hardsigmoid', x!),
  // slope 1/6 strictly inside (−3, 3), 0 at and beyond the corners, as PyTorch's rule
  backward: (g, { inputs: [x] }) => [mul(g, mul(strictlyInside(x!, -3, 3), 1 / 6))],
});

export const hardswishOp = defineOp<Record<string, never>>({
  name: 'hardswish',
  forward: (b, [x]) => act(b, 'hardswish', x!),
  // 0 below −3, x/3 + 1/2 on [−3, 3], 1 above (PyTorch's rule, corners included)
  backward: (g, { inputs: [x] }) => {
    const xd = x!.detach();
    const below = compare('lt', xd, -3), above = compare('gt', xd, 3);
    const zero = Tensor.scalar(0, x!.dtype), one = Tensor.scalar(1, x!.dtype);
    return [mul(g, where(below, zero, where(above, one, add(div(x!, 3), 0.5))))];
  },
});

export const hardtanhOp = defineOp<{ min: number; max: number }>({
  name: 'hardtanh',
  forward: (b, [x], { min, max }) => unaryRaw(b, 'clamp', x!, min, max),
  // unlike clamp, the gradient stops at the corners themselves (PyTorch's hardtanh rule)
  backward: (g, { inputs: [x], attrs: { min, max } }) => [mul(g, strictlyInside(x!, min, max))],
});

/** x·σ(x) (also called swish). @example silu(tensor([0, 1])) // [0, 0.731] */
export function silu(x: Tensor): Tensor {
  assertFloat('silu', x.dtype);
  return apply(siluOp, [x], {});
}
/** x·tanh(softplus(x)). @example mish(tensor([0, 1])) // [0, 0.865] */
export function mish(x: Tensor): Tensor {
  assertFloat('mish', x.dtype);
  return apply(mishOp, [x], {});
}
/** clamp(x/6 + 1/2, 0, 1): a piecewise-linear sigmoid. @example hardsigmoid(tensor([-4, 0, 4])) // [0, 0.5, 1] */
export function hardsigmoid(x: Tensor): Tensor {
  assertFloat('hardsigmoid', x.dtype);
  return apply(hardsigmoidOp, [x], {});
}
/** x·hardsigmoid(x), as in MobileNetV3. @example hardswish(tensor([-4, 1, 4])) // [0, 0.667, 4] */
export function hardswish(x: Tensor): Tensor {
  assertFloat('hardswish', x.dtype);
  return apply(hardswishOp, [x], {});
}

/** Corners of hardtanh. @example hardtanh(x, {minVal: 0, maxVal: 6}) */
export interface HardtanhOptions {
  /** lower corner (default −1) */
  minVal?: number;
  /** upper corner (default 1) */
  maxVal?: number;
}

/**
 * x clamped to [minVal, maxVal] (default [−1, 1]); the gradient is 1 strictly between them.
 * @example hardtanh(tensor([-2, 0.5, 2])) // [-1, 0.5, 1]
 */
export function hardtanh(x: Tensor, opts: HardtanhOptions = {}): Tensor {
  assertFloat('hardtanh', x.dtype);
  const min = opts.minVal ?? -1, max = opts.maxVal ?? 1;
  if (!(min <= max)) throw new ValueError(`hardtanh: minVal (${min}) must not exceed maxVal (${max})`);
  return apply(hardtanhOp, [x], { min, max });
}
/** min(max(x, 0), 6), i.e. hardtanh on [0, 6]. @example relu6(tensor([-1, 3, 8])) // [0, 3, 6] */
export function relu6(x: Tensor): Tensor {
  return hardtanh(x, { minVal: 0, maxVal: 6 });
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** scale·elu(x, alpha) with the self-normalizing constants of Klambauer et al. @example selu(tensor([1])) // [1.0507] */
export function selu(x: Tensor): Tensor {
  assertFloat('selu', x.dtype);
  return mul(elu(x, SELU_ALPHA), SELU_SCALE);
}
/** max(0, x) + min(0, alpha·(e^(x/alpha) − 1)) = alpha·elu(x/alpha). @example celu(tensor([-1, 1]), 2) // [-0.787, 1] */
export function celu(x: Tensor, alpha = 1): Tensor {
  assertFloat('celu', x.dtype);
  if (alpha === 0) throw new ValueError('celu: alpha must not be 0 (it divides x)');
  return alpha === 1 ? elu(x, 1) : mul(elu(div(x, alpha), 1), alpha);
}
/** log σ(x) = −softplus(−x), stable for large |x|. @example logsigmoid(tensor([0])) // [-0.693] */
export function logsigmoid(x: Tensor): Tensor {
  assertFloat('logsigmoid', x.dtype);
  return neg(softplus(neg(x)));
}
/** x / (1 + |x|). @example softsign(tensor([-3, 1])) // [-0.75, 0.5] */
export function softsign(x: Tensor): Tensor {
  assertFloat('softsign', x.dtype);
  return div(x, add(abs(x), 1));
}

/**
 * x for x > 0, weight·x otherwise, with one learned slope (weight of 1 element) or one per
 * channel (dim 1 of x), as torch.nn.functional.prelu.
 * @example prelu(tensor([[-1, 2]]), tensor([0.25])) // [[-0.25, 2]]
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  assertFloat('prelu', x.dtype);
  if (weight.shape.length > 1) throw new ShapeError(`prelu: weight must be 1-D (1 or channels elements), got ${fmtShape(weight.shape)}`);
  let w = weight;
  if (weight.size !== 1) {
    const channels = x.shape.length >= 2 ? x.shape[1]! : 1;
    if (x.shape.length < 2 || weight.size !== channels) {
      throw new ShapeError(`prelu: weight has ${weight.size} elements but the input ${fmtShape(x.shape)} has ${channels} channels (dim 1); use 1 or ${channels}`);
    }
    w = reshape(weight, [channels, ...new Array<number>(x.shape.length - 2).fill(1)]);
  } else {
    w = reshape(weight, []);
  }
  return where(positive(x), x, mul(w, x));
}

/**
 * The gated linear unit: a·σ(b), where a and b are the two halves of x along `dim` (default last).
 * @example glu(tensor([[1, 2, 0, 0]])) // [[0.5, 1]]
 */
export function glu(x: Tensor, dim = -1): Tensor {
  assertFloat('glu', x.dtype);
  if (x.shape.length === 0) throw new ShapeError('glu: expected at least 1 dim, got a 0-d tensor');
  const axis = normAxis('glu', dim, x.shape.length);
  const n = x.shape[axis]!;
  if (n % 2 !== 0) throw new ShapeError(`glu: dim ${axis} of ${fmtShape(x.shape)} has odd size ${n}; it must split into two equal halves`);
  return mul(sliceDim(x, axis, 0, n / 2), sigmoid(sliceDim(x, axis, n / 2, n)));
}
