import { apply, reference } from '../autograd/engine.js';
import type { AttentionArgs, AttentionLayout, Device, DType } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { mul, sub, where } from './elementwise.js';
import { toDevice } from './copy.js';
import { matmul } from './matmul.js';
import { defineOp, fusedGradBackend } from './op.js';
import { sum } from './reduce.js';
import { concat, permute, reshape, sliceDim } from './shape.js';
import { softmax } from './softmax.js';

/**
 * The score given to a masked-out position: the lowest finite value of the dtype rather than
 * −∞, so softmax still gives it weight 0 but setCheckNumerics stays usable and a row whose every
 * position is masked comes out uniform instead of NaN.
 */
export function maskedScore(dtype: DType): number {
  return dtype === 'float32' ? -3.4028234663852886e38 : -Number.MAX_VALUE;
}

export interface AttentionAttrs {
  /**
   * packed: one input qkv [B, T, 3·C] holding queries, keys and values side by side (what a
   * packed projection such as nanoGPT's c_attn gives), C = heads·d, output [B, T, C].
   * Otherwise three inputs q [..., L, d], k [..., S, d], v [..., S, d] with the same leading
   * dims, output [..., L, d], and heads is 1.
   */
  packed: boolean;
  heads: number;
  scale: number;
  causal: boolean;
}

const layout = (offset: number, batchStride: number, headStride: number, rowStride: number): AttentionLayout => ({ offset, batchStride, headStride, rowStride });

/** The kernel arguments (where q, k, v and the output live) and the output shape of one application. */
function plan(inputs: readonly Tensor[], a: AttentionAttrs): { args: AttentionArgs; outShape: number[] } {
  if (a.packed) {
    const [b, t, c3] = inputs[0]!.shape as [number, number, number];
    const c = c3 / 3, d = c / a.heads;
    const at = (offset: number): AttentionLayout => layout(offset, t * c3, d, c3);
    return {
      args: { batch: b, heads: a.heads, l: t, s: t, d, scale: a.scale, causal: a.causal, q: at(0), k: at(c), v: at(2 * c), out: layout(0, t * c, d, c) },
      outShape: [b, t, c],
    };
  }
  const [q, k] = inputs as [Tensor, Tensor, Tensor];
  const r = q.shape.length;
  const l = q.shape[r - 2]!, s = k.shape[r - 2]!, d = q.shape[r - 1]!;
  const batch = sizeOf(q.shape.slice(0, -2));
  return {
    args: { batch, heads: 1, l, s, d, scale: a.scale, causal: a.causal, q: layout(0, l * d, 0, d), k: layout(0, s * d, 0, d), v: layout(0, s * d, 0, d), out: layout(0, l * d, 0, d) },
    outShape: [...q.shape],
  };
}

/** q, k, v as [..., seq, d] tensors: the inputs themselves, or the heads of a packed qkv as [B, H, T, d]. */
function operands(inputs: readonly Tensor[], a: AttentionAttrs): [Tensor, Tensor, Tensor] {
  if (!a.packed) return inputs as unknown as [Tensor, Tensor, Tensor];
  const qkv = inputs[0]!;
  const c = qkv.shape[2]! / 3;
  const h = (i: number): Tensor => splitHeads(sliceDim(qkv, 2, i * c, (i + 1) * c), a.heads);
  return [h(0), h(1), h(2)];
}

/** [B, T, H·d] → [B, H, T, d] */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, t, c] = x.shape as [number, number, number];
  return permute(reshape(x, [b, t, heads, c / heads]), [0, 2, 1, 3]);
}

/** [B, H, T, d] → [B, T, H·d] */
function mergeHeads(x: Tensor): Tensor {
  const [b, h, t, d] = x.shape as [number, number, number, number];
  return reshape(permute(x, [0, 2, 1, 3]), [b, t, h * d]);
}

/** int32 [l, s], 1 where key j may be seen by query i (j ≤ i), on `device`. */
function causalMask(l: number, s: number, device: Device): Tensor {
  const m = new Int32Array(l * s);
  for (let i = 0; i < l; i++) m.fill(1, i * s, i * s + Math.min(s, i + 1));
  const t = Tensor.fromRaw(m, [l, s]);
  return device === 'cpu' ? t : toDevice(t, device);
}

/** softmax(scale·q·kᵀ) with the causal mask applied: the attention weights [..., L, S]. */
function attentionWeights(q: Tensor, k: Tensor, scale: number, causal: boolean): Tensor {
  // scaling q first, as PyTorch's multi-head attention does
  let scores = matmul(scale === 1 ? q : mul(q, scale), k, { transB: true });
  if (causal) {
    const [l, s] = scores.shape.slice(-2) as [number, number];
    scores = where(causalMask(l, s, scores.device), scores, Tensor.scalar(maskedScore(scores.dtype), scores.dtype));
  }
  return softmax(scores, -1);
}

/**
 * Scaled dot-product attention, softmax(scale·q·kᵀ, causally masked)·v, as one primitive: the
 * forward is one kernel (no scores tensor, and for a packed qkv no slicing or head permutes),
 * and so is the backward, which recomputes the weights instead of keeping them. The
 * compositions written beside it define it and run where a backend lacks the kernels.
 */
export const attentionOp = defineOp<AttentionAttrs>({
  name: 'attention',
  forward: (b, inputs, a) => {
    const { args, outShape } = plan(inputs, a);
    if (!b.attention) {
      return reference(() => {
        const [q, k, v] = operands(inputs, a);
        const y = matmul(attentionWeights(q, k, a.scale, a.causal), v);
        return a.packed ? mergeHeads(y) : y;
      });
    }
    const out = b.alloc(inputs[0]!.dtype, sizeOf(outShape));
    const [q, k, v] = a.packed ? [inputs[0]!, inputs[0]!, inputs[0]!] : inputs as [Tensor, Tensor, Tensor];
    b.attention(q.storage, k.storage, v.storage, args, out);
    return { storage: out, shape: outShape };
  },
  backward: (g, { inputs, attrs: a }) => {
    const fused = fusedGradBackend('attentionGrad', g);
    if (fused !== null) {
      const { args } = plan(inputs, a);
      if (a.packed) {
        const qkv = inputs[0]!;
        const d = fused.alloc(qkv.dtype, qkv.size);
        fused.attentionGrad!(qkv.storage, qkv.storage, qkv.storage, g.storage, args, d, d, d);
        return [Tensor.fromRaw(d, qkv.shape)];
      }
      const [q, k, v] = inputs as [Tensor, Tensor, Tensor];
      const [dq, dk, dv] = [q, k, v].map((t) => fused.alloc(t.dtype, t.size)) as [typeof g.storage, typeof g.storage, typeof g.storage];
      fused.attentionGrad!(q.storage, k.storage, v.storage, g.storage, args, dq, dk, dv);
      return [Tensor.fromRaw(dq, q.shape), Tensor.fromRaw(dk, k.shape), Tensor.fromRaw(dv, v.shape)];
    }
    // the same gradient with differentiable ops: dV = Pᵀg, dS = P ⊙ (g·vᵀ − Σ P⊙g·vᵀ), dQ = s·dS·k, dK = s·dSᵀ·q
    const [q, k, v] = operands(inputs, a);
    const gh = a.packed ? splitHeads(g, a.heads) : g;
    const p = attentionWeights(q, k, a.scale, a.causal);
    const dp = matmul(gh, v, { transB: true });
    const ds = mul(p, sub(dp, sum(mul(dp, p), -1, true)));
    const dq = mul(matmul(ds, k), a.scale);
    const dk = mul(matmul(ds, q, { transA: true }), a.scale);
    const dv = matmul(p, gh, { transA: true });
    return a.packed ? [concat([mergeHeads(dq), mergeHeads(dk), mergeHeads(dv)], -1)] : [dq, dk, dv];
  },
});

function checkFloat(name: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype === 'int32') throw new DTypeError(`${name}: expected floating tensors, got int32`);
    if (t.dtype !== ts[0]!.dtype) throw new DTypeError(`${name}: expected tensors of one dtype, got ${ts[0]!.dtype} and ${t.dtype}`);
  }
}

/**
 * softmax(scale·q·kᵀ)·v for q [..., L, d], k and v [..., S, d] sharing their leading dims, with
 * an optional causal mask (query i sees keys 0..i), in one kernel each way. The general
 * F.scaledDotProductAttention uses it when it can (no mask tensor, no dropout, equal shapes).
 * @example attention(q, k, v, { scale: 1 / Math.sqrt(64), causal: true }) // q, k, v [B, H, T, 64]
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: { scale: number; causal: boolean }): Tensor {
  checkFloat('attention', q, k, v);
  const r = q.shape.length;
  if (r < 2 || k.shape.length !== r || v.shape.length !== r) throw new ShapeError(`attention: q, k and v must have the same rank (at least 2), got ${fmtShape(q.shape)}, ${fmtShape(k.shape)} and ${fmtShape(v.shape)}`);
  if (!sameShape(k.shape, v.shape) || !sameShape(q.shape.slice(0, -2), k.shape.slice(0, -2)) || q.shape[r - 1] !== k.shape[r - 1]) {
    throw new ShapeError(`attention: expected q [..., L, d] and k, v [..., S, d] with the same leading dims and d, got ${fmtShape(q.shape)}, ${fmtShape(k.shape)} and ${fmtShape(v.shape)}`);
  }
  return apply(attentionOp, [q, k, v], { packed: false, heads: 1, scale: opts.scale, causal: opts.causal });
}

/**
 * Multi-head self-attention from a packed projection qkv [B, T, 3·C] (queries, keys and values
 * side by side, C = numHeads·d), returning the heads' outputs side by side [B, T, C]: what
 * nanoGPT computes between c_attn and c_proj, without splitting or permuting anything.
 * @example packedSelfAttention(linear(x, wQkv), 4, { causal: true }) // x [B, T, 128] → [B, T, 128]
 */
export function packedSelfAttention(qkv: Tensor, numHeads: number, opts: { causal: boolean; scale?: number }): Tensor {
  checkFloat('packedSelfAttention', qkv);
  if (qkv.shape.length !== 3 || qkv.shape[2]! % 3 !== 0) throw new ShapeError(`packedSelfAttention: expected qkv [B, T, 3·C], got ${fmtShape(qkv.shape)}`);
  const c = qkv.shape[2]! / 3;
  if (!Number.isInteger(numHeads) || numHeads < 1 || c % numHeads !== 0) throw new ValueError(`packedSelfAttention: C = ${c} must be divisible by numHeads ${numHeads}`);
  const scale = opts.scale ?? 1 / Math.sqrt(c / numHeads);
  return apply(attentionOp, [qkv], { packed: true, heads: numHeads, scale, causal: opts.causal });
}
