import type { AttentionArgs, AttentionLayout, TypedArray } from '../backend.js';

/**
 * Scaled dot-product attention of the reference backend: one query row at a time, scores and
 * weights in float64, masked keys skipped (their weight is exactly 0, as in the composition).
 */

const base = (l: AttentionLayout, b: number, h: number): number => l.offset + b * l.batchStride + h * l.headStride;

/** Keys query i may see: all s, or 0..i under the causal mask. */
const visible = (a: AttentionArgs, i: number): number => (a.causal ? Math.min(a.s, i + 1) : a.s);

/** p[0..n) = softmax over the visible keys of query row qi; returns n. */
function weights(q: TypedArray, qi: number, k: TypedArray, kb: number, a: AttentionArgs, i: number, p: Float64Array): number {
  const n = visible(a, i), d = a.d, kr = a.k.rowStride;
  let mx = -Infinity;
  for (let j = 0; j < n; j++) {
    let dot = 0;
    const kj = kb + j * kr;
    for (let c = 0; c < d; c++) dot += q[qi + c]! * k[kj + c]!;
    const sc = dot * a.scale;
    p[j] = sc;
    if (sc > mx || sc !== sc) mx = sc;
  }
  let sum = 0;
  for (let j = 0; j < n; j++) { const e = Math.exp(p[j]! - mx); p[j] = e; sum += e; }
  for (let j = 0; j < n; j++) p[j] = p[j]! / sum;
  return n;
}

export function attention(q: TypedArray, k: TypedArray, v: TypedArray, a: AttentionArgs, out: TypedArray): void {
  const { batch, heads, l, d } = a;
  const p = new Float64Array(a.s);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qb = base(a.q, b, h), kb = base(a.k, b, h), vb = base(a.v, b, h), ob = base(a.out, b, h);
      for (let i = 0; i < l; i++) {
        const n = weights(q, qb + i * a.q.rowStride, k, kb, a, i, p);
        const oi = ob + i * a.out.rowStride;
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += p[j]! * v[vb + j * a.v.rowStride + c]!;
          out[oi + c] = acc;
        }
      }
    }
  }
}

export function attentionGrad(q: TypedArray, k: TypedArray, v: TypedArray, g: TypedArray, a: AttentionArgs, dq: TypedArray, dk: TypedArray, dv: TypedArray): void {
  const { batch, heads, l, s, d, scale } = a;
  const p = new Float64Array(s), ds = new Float64Array(s);
  const accK = new Float64Array(s * d), accV = new Float64Array(s * d);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qb = base(a.q, b, h), kb = base(a.k, b, h), vb = base(a.v, b, h), gb = base(a.out, b, h);
      accK.fill(0);
      accV.fill(0);
      for (let i = 0; i < l; i++) {
        const qi = qb + i * a.q.rowStride, gi = gb + i * a.out.rowStride;
        const n = weights(q, qi, k, kb, a, i, p);
        // dP = g·vᵀ, then the softmax Jacobian: dS = P ⊙ (dP − Σ dP·P)
        let t = 0;
        for (let j = 0; j < n; j++) {
          let dp = 0;
          const vj = vb + j * a.v.rowStride;
          for (let c = 0; c < d; c++) dp += g[gi + c]! * v[vj + c]!;
          ds[j] = dp;
          t += dp * p[j]!;
        }
        for (let j = 0; j < n; j++) ds[j] = p[j]! * (ds[j]! - t) * scale;
        const dqi = base(a.q, b, h) + i * a.q.rowStride;
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += ds[j]! * k[kb + j * a.k.rowStride + c]!;
          dq[dqi + c] = acc;
        }
        for (let j = 0; j < n; j++) {
          const dsj = ds[j]!, pj = p[j]!;
          for (let c = 0; c < d; c++) {
            accK[j * d + c]! += dsj * q[qi + c]!;
            accV[j * d + c]! += pj * g[gi + c]!;
          }
        }
      }
      for (let j = 0; j < s; j++) {
        const kj = kb + j * a.k.rowStride, vj = vb + j * a.v.rowStride;
        for (let c = 0; c < d; c++) {
          dk[kj + c] = accK[j * d + c]!;
          dv[vj + c] = accV[j * d + c]!;
        }
      }
    }
  }
}
