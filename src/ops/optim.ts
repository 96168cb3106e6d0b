import type { AdamHyper, Backend, SgdHyper } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { noGrad } from '../autograd/mode.js';
import { DeviceError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, cast, div, maximum, mul, neg, sqrt, sub } from './elementwise.js';

/**
 * Optimizer updates: in-place, outside the graph. Each uses the backend's fused kernel where it
 * has one (one pass over parameter, gradient and state) and otherwise the composition of ops
 * written beside it, which also documents the formula. Optimizers (src/optim) call these and
 * never a backend.
 */

/** The backend shared by a parameter and the tensors of its update; throws if they are apart. */
function updateBackend(name: string, p: Tensor, others: readonly (Tensor | null)[]): Backend {
  for (const t of others) {
    if (t !== null && t.device !== p.device) {
      throw new DeviceError(`${name}: the parameter of shape ${fmtShape(p.shape)} is on '${p.device}' but its gradient or state is on '${t.device}'`);
    }
  }
  return backendFor(p.device);
}

/** Writes `value` into `target`'s storage (same shape), so every view of target sees it. */
export function assignInPlace(target: Tensor, value: Tensor): void {
  const v = value.dtype === target.dtype ? value : noGrad(() => cast(value, target.dtype));
  backendFor(target.device).unary('copy', v.storage, target.storage);
}

/**
 * One SGD step, in place (PyTorch's semantics): d = ±g (+ wd·θ); with momentum the velocity
 * b = μ·b + (1 − dampening)·d (b = d on the first step), then d = b, or d + μ·b for Nesterov;
 * θ ← θ − lr·d.
 */
export function sgdUpdate(p: Tensor, g: Tensor, buf: Tensor | null, h: SgdHyper): void {
  const b = updateBackend('SGD', p, [g, buf]);
  if (b.sgdStep) {
    b.sgdStep(p.storage, g.storage, buf?.storage ?? null, h);
    return;
  }
  noGrad(() => {
    let d = h.maximize ? neg(g) : g;
    if (h.weightDecay !== 0) d = add(d, mul(p, h.weightDecay));
    if (buf !== null) {
      const v = h.first ? d : add(mul(buf, h.momentum), mul(d, 1 - h.dampening));
      assignInPlace(buf, v);
      d = h.nesterov ? add(d, mul(v, h.momentum)) : v;
    }
    assignInPlace(p, sub(p, mul(d, h.lr)));
  });
}

/**
 * One Adam/AdamW step, in place: d = ±g (+ wd·θ for Adam; AdamW scales θ by 1 − lr·wd instead);
 * m = β₁m + (1 − β₁)d, v = β₂v + (1 − β₂)d²; with AMSGrad v̂ = max(v̂, v);
 * θ ← θ − lr/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε).
 */
export function adamUpdate(p: Tensor, g: Tensor, m: Tensor, v: Tensor, vmax: Tensor | null, h: AdamHyper): void {
  const b = updateBackend('Adam', p, [g, m, v, vmax]);
  if (b.adamStep) {
    b.adamStep(p.storage, g.storage, m.storage, v.storage, vmax?.storage ?? null, h);
    return;
  }
  noGrad(() => {
    let theta = p;
    let d = h.maximize ? neg(g) : g;
    if (h.weightDecay !== 0) {
      if (h.decoupled) theta = mul(theta, 1 - h.lr * h.weightDecay);
      else d = add(d, mul(theta, h.weightDecay));
    }
    const m1 = add(mul(m, h.beta1), mul(d, 1 - h.beta1));
    const v1 = add(mul(v, h.beta2), mul(mul(d, d), 1 - h.beta2));
    assignInPlace(m, m1);
    assignInPlace(v, v1);
    let denomV = v1;
    if (vmax !== null) {
      denomV = maximum(vmax, v1);
      assignInPlace(vmax, denomV);
    }
    const stepSize = h.lr / (1 - h.beta1 ** h.step);
    const bc2Sqrt = Math.sqrt(1 - h.beta2 ** h.step);
    assignInPlace(p, sub(theta, div(mul(m1, stepSize), add(div(sqrt(denomV), bc2Sqrt), h.eps))));
  });
}
