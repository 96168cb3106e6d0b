import { noGrad } from '../autograd/mode.js';
import { DeviceError, NumericsError, ValueError } from '../errors.js';
import { abs, add, clamp, div, mul, pow } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Rescales gradients so that their joint norm is at most `maxNorm`, and returns the norm they
 * had (over all gradients together, as if concatenated) as a 0-d tensor, as PyTorch's
 * clip_grad_norm_. `normType` may be Infinity. On a GPU nothing is read back: the clipping
 * factor is computed and applied there.
 * @example const norm = clipGradNorm(model.parameters(), 1.0).item();
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): Tensor {
  if (!(maxNorm >= 0)) throw new ValueError(`clipGradNorm: maxNorm must be non-negative, got ${maxNorm}`);
  if (!(normType > 0)) throw new ValueError(`clipGradNorm: normType must be positive (or Infinity), got ${normType}`);
  const withGrad = [...params].filter((p) => p.peekGrad() !== null);
  if (withGrad.length === 0) return Tensor.scalar(0);
  const total = noGrad(() => {
    const grads = withGrad.map((p) => p.peekGrad()!);
    const parts = grads.map((g) => (normType === Infinity ? max(abs(g)) : normType === 2 ? sum(mul(g, g)) : sum(pow(abs(g), normType))));
    return normType === Infinity ? max(stack(parts)) : pow(sum(stack(parts)), 1 / normType);
  });
  if (opts.errorIfNonfinite) {
    if (total.device !== 'cpu') {
      throw new DeviceError(`clipGradNorm: errorIfNonfinite needs the norm on the host, which a '${total.device}' tensor cannot give synchronously; check await norm.itemAsync() instead`);
    }
    if (!Number.isFinite(total.item())) {
      throw new NumericsError(`clipGradNorm: the total gradient norm is ${total.item()}; pass errorIfNonfinite: false to clip anyway`);
    }
  }
  noGrad(() => {
    // one code path on every device, nothing read back: ×1 where no clipping is needed leaves
    // the values exactly as they were; fresh tensors, as grads of different leaves may share
    // storage; each is the library's own (no user code has it), the one it replaces given back if it was
    const coef = clamp(div(maxNorm, add(total, 1e-6)), null, 1);
    for (const p of withGrad) p.replaceGrad(mul(p.peekGrad()!, coef), true);
  });
  return total;
}
