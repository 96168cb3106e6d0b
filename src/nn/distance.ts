import { DTypeError, ValueError } from '../errors.js';
import { abs, clamp, compare, div, mul, pow, sqrt, where } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { assertFloat } from '../tensor/dtype.js';
import { broadcastShapes, normAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { expand } from '../ops/shape.js';

/**
 * The p-norm along one dim (kept as size 1). Where the norm is 0 its gradient is 0, as
 * PyTorch's subgradient, rather than the 0/0 of differentiating a root at 0.
 */
function vectorNorm(x: Tensor, p: number, dim: number): Tensor {
  if (p === Infinity) return max(abs(x), dim, true);
  if (p === 1) return sum(abs(x), dim, true);
  const s = p === 2 ? sum(mul(x, x), dim, true) : sum(pow(abs(x), p), dim, true);
  // test for s = 0, not s > 0: a NaN sum must give a NaN norm, not the zero vector's 0
  const zero = compare('eq', s.detach(), 0);
  const safe = where(zero, Tensor.scalar(1, s.dtype), s);
  return where(zero, Tensor.scalar(0, s.dtype), p === 2 ? sqrt(safe) : pow(safe, 1 / p));
}

/**
 * normalize's options: the norm's exponent, the dim, and the smallest divisor.
 * @example nn.F.normalize(features, { p: 1, dim: 1 }) // rows summing to 1 in absolute value
 */
export interface NormalizeOptions {
  /** the exponent of the norm (default 2; Infinity for the max norm) */
  p?: number;
  /** the dim to normalize along (default 1) */
  dim?: number;
  /** the smallest divisor, so a zero vector stays zero (default 1e-12) */
  eps?: number;
}

/**
 * x / max(‖x‖_p, eps) along a dim, as torch.nn.functional.normalize.
 * @example normalize(embeddings, {dim: -1}) // unit rows
 */
export function normalize(x: Tensor, opts: NormalizeOptions = {}): Tensor {
  assertFloat('normalize', x.dtype);
  const p = opts.p ?? 2;
  if (!(p > 0)) throw new ValueError(`normalize: p must be positive, got ${p}`);
  const dim = normAxis('normalize', opts.dim ?? 1, x.shape.length);
  return div(x, clamp(vectorNorm(x, p, dim), opts.eps ?? 1e-12));
}

/**
 * cosineSimilarity's options: the dim holding the vectors and the smallest norm.
 * @example nn.F.cosineSimilarity(queries, keys, { dim: -1, eps: 1e-6 }) // [N, D] and [N, D] → [N]
 */
export interface CosineSimilarityOptions {
  /** the dim holding the vectors (default 1) */
  dim?: number;
  /** the smallest norm each vector is divided by (default 1e-8) */
  eps?: number;
}

/**
 * Σ (x1/max(‖x1‖, eps))·(x2/max(‖x2‖, eps)) along dim, after broadcasting x1 and x2, as
 * torch.nn.functional.cosine_similarity (PyTorch 1.13 clamps each norm separately too).
 * @example cosineSimilarity(a, b, {dim: -1}) // [N, D] and [N, D] → [N]
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, opts: CosineSimilarityOptions = {}): Tensor {
  if (x1.dtype === 'int32' || x2.dtype === 'int32') throw new DTypeError(`cosineSimilarity: expected floating tensors, got ${x1.dtype} and ${x2.dtype}`);
  const shape = broadcastShapes('cosineSimilarity', x1.shape, x2.shape);
  const a = expand(x1, shape), b = expand(x2, shape);
  const dim = normAxis('cosineSimilarity', opts.dim ?? 1, shape.length);
  const eps = opts.eps ?? 1e-8;
  return sum(mul(div(a, clamp(vectorNorm(a, 2, dim), eps)), div(b, clamp(vectorNorm(b, 2, dim), eps))), dim);
}
