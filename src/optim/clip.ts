import { NumericsError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Rescales gradients so that their joint norm is at most `maxNorm`, and returns the norm they
 * had (over all gradients together, as if concatenated). `normType` may be Infinity.
 * @example const norm = clipGradNorm(model.parameters(), 1.0);
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): number {
  if (!(maxNorm >= 0)) throw new ValueError(`clipGradNorm: maxNorm must be non-negative, got ${maxNorm}`);
  if (!(normType > 0)) throw new ValueError(`clipGradNorm: normType must be positive (or Infinity), got ${normType}`);
  const withGrad = [...params].filter((p) => p.grad !== null);
  let total = 0;
  if (normType === Infinity) {
    for (const p of withGrad) for (const v of p.grad!.data) total = Math.max(total, Math.abs(v));
    // NaN must not disappear in Math.max
    for (const p of withGrad) for (const v of p.grad!.data) if (Number.isNaN(v)) total = NaN;
  } else {
    for (const p of withGrad) {
      for (const v of p.grad!.data) total += normType === 2 ? v * v : Math.abs(v) ** normType;
    }
    total = normType === 2 ? Math.sqrt(total) : total ** (1 / normType);
  }
  if (opts.errorIfNonfinite && !Number.isFinite(total)) {
    throw new NumericsError(`clipGradNorm: the total gradient norm is ${total}; pass errorIfNonfinite: false to clip anyway`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of withGrad) {
      // grads of different leaves may share storage, so write fresh tensors instead of in place
      const g = p.grad!;
      const scaled = g.data.slice();
      for (let i = 0; i < scaled.length; i++) scaled[i] = scaled[i]! * coef;
      p.grad = Tensor.fromRaw(scaled, g.shape);
    }
  }
  return total;
}
