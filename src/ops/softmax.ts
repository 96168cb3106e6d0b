import { apply } from '../autograd/engine.js';
import { assertFloat, } from '../tensor/dtype.js';
import { normAxis, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Backend } from '../backend/backend.js';
import { defineOp, type Raw } from './op.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';

/**
 * Stable log-softmax along one axis: x − max − log Σ exp(x − max). One fused kernel where the
 * backend has it and the axis is the last; else this composition of core kernels.
 */
function logSoftmaxRaw(b: Backend, x: Tensor, axis: number): Raw {
  const shape = x.shape;
  const cols = shape[axis]!;
  if (b.logSoftmax && axis === shape.length - 1) {
    const out = b.alloc(x.dtype, x.size);
    b.logSoftmax(x.storage, cols === 0 ? 0 : x.size / cols, cols, out);
    return { storage: out, shape };
  }
  const keep = shape.map((d, i) => (i === axis ? 1 : d));
  const m = b.alloc(x.dtype, sizeOf(keep));
  b.reduce('max', x.storage, shape, [axis], m);
  const shifted = b.alloc(x.dtype, x.size);
  b.binary('sub', x.storage, shape, m, keep, shifted, shape);
  const e = b.alloc(x.dtype, x.size);
  b.unary('exp', shifted, e);
  const s = b.alloc(x.dtype, sizeOf(keep));
  b.reduce('sum', e, shape, [axis], s);
  const ls = b.alloc(x.dtype, sizeOf(keep));
  b.unary('log', s, ls);
  const out = b.alloc(x.dtype, x.size);
  b.binary('sub', shifted, shape, ls, keep, out, shape);
  for (const t of [m, shifted, e, s, ls]) b.release?.(t);
  return { storage: out, shape };
}

// fused for numerics: large logits never overflow, and the rules below are short
export const logSoftmaxOp = defineOp<{ axis: number }>({
  name: 'logSoftmax',
  forward: (b, [x], { axis }) => logSoftmaxRaw(b, x!, axis),
  // d/dx: g − softmax · Σg
  backward: (g, { out, attrs: { axis } }) => [sub(g, mul(exp(out), sum(g, axis, true)))],
});

export const softmaxOp = defineOp<{ axis: number }>({
  name: 'softmax',
  forward: (b, [x], { axis }) => {
    const r = logSoftmaxRaw(b, x!, axis);
    const out = b.alloc(x!.dtype, x!.size);
    b.unary('exp', r.storage, out);
    b.release?.(r.storage);
    return { storage: out, shape: r.shape };
  },
  // d/dx: y · (g − Σ g·y)
  backward: (g, { out, attrs: { axis } }) => [mul(out, sub(g, sum(mul(g, out), axis, true)))],
});

/** Softmax along dim (default last). @example softmax(logits, -1) */
export function softmax(x: Tensor, dim = -1): Tensor {
  assertFloat('softmax', x.dtype);
  return apply(softmaxOp, [x], { axis: normAxis('softmax', dim, x.shape.length) });
}

/** log(softmax(x)) along dim (default last), computed stably. @example logSoftmax(logits) */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  assertFloat('logSoftmax', x.dtype);
  return apply(logSoftmaxOp, [x], { axis: normAxis('logSoftmax', dim, x.shape.length) });
}
