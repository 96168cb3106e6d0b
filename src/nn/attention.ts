import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { add, compare, mul, where } from '../ops/elementwise.js';
import { tril } from '../ops/masking.js';
import { attention as attentionOp, maskedScore } from '../ops/attention.js';
import { matmul } from '../ops/matmul.js';
import { mean } from '../ops/reduce.js';
import { permute, reshape, sliceDim, split, squeeze, transpose, unsqueeze } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { ones, zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { broadcastShapes, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { dropout } from './dropout.js';
import { xavierUniform } from './init.js';
import { Linear, linear } from './linear.js';
import { Module } from './module.js';

/** Whether q, k, v fit the fused attention op: one float dtype, k and v alike, the same leading dims. */
function fusable(q: Tensor, k: Tensor, v: Tensor): boolean {
  const r = q.shape.length;
  return q.dtype === k.dtype && k.dtype === v.dtype && k.shape.length === r && v.shape.length === r
    && sameShape(k.shape, v.shape) && q.shape[r - 1] === k.shape[r - 1] && sameShape(q.shape.slice(0, -2), k.shape.slice(0, -2));
}

/** What may be attended: an int32 0/1 mask (1 = allowed) and a float bias added to the scores. */
interface AttentionMasks {
  allowed: Tensor | null;
  bias: Tensor | null;
}

/** Intersects two "allowed" masks (either may be absent). */
function bothAllowed(a: Tensor | null, b: Tensor | null): Tensor | null {
  return a === null ? b : b === null ? a : mul(a, b);
}

/**
 * softmax(q·kᵀ·scale + bias, masked) · v over the last two dims, returning the output and the
 * attention weights (after dropout, as PyTorch returns them).
 */
function attend(q: Tensor, k: Tensor, v: Tensor, masks: AttentionMasks, scale: number, dropoutP: number, generator?: Generator): { out: Tensor; weights: Tensor } {
  // scaling q first, as PyTorch's multi-head attention does
  let scores = matmul(scale === 1 ? q : mul(q, scale), k, { transB: true });
  if (masks.bias) scores = add(scores, masks.bias);
  if (masks.allowed) scores = where(masks.allowed, scores, Tensor.scalar(maskedScore(scores.dtype), scores.dtype));
  let weights = softmax(scores, -1);
  if (dropoutP > 0) weights = dropout(weights, dropoutP, generator ? { generator } : {});
  return { out: matmul(weights, v), weights };
}

/**
 * Options of scaledDotProductAttention: a mask (int32 1 = may attend) or causal masking, dropout
 * on the weights, and the score scale.
 * @example
 * const opts: nn.F.ScaledDotProductAttentionOptions = { isCausal: true, dropoutP: 0.1 };
 * const y = nn.F.scaledDotProductAttention(q, k, v, opts); // q, k, v [N, heads, L, 16]
 */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcast to [..., L, S]. An int32 mask is boolean, 1 (true) where the query may attend the
   * key (PyTorch's convention for this function); a float mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /** dropout probability on the attention weights, applied whenever > 0 (default 0) */
  dropoutP?: number;
  /** mask out keys after each query (query i sees keys 0..i, aligned at the top left) */
  isCausal?: boolean;
  /** the factor on q·kᵀ (default 1/√E) */
  scale?: number | null;
  /** the random stream for dropout (default: defaultGenerator) */
  generator?: Generator;
}

/**
 * softmax(q·kᵀ/√E + mask)·v for q [..., L, E], k [..., S, E], v [..., S, Ev], as PyTorch 2's
 * torch.nn.functional.scaled_dot_product_attention (its reference "math" formula).
 * @example scaledDotProductAttention(q, k, v, {isCausal: true}) // a decoder's self-attention
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, opts: ScaledDotProductAttentionOptions = {}): Tensor {
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
    if (t.dtype === 'int32') throw new DTypeError(`scaledDotProductAttention: ${name} must be floating, got int32`);
    if (t.shape.length < 2) throw new ShapeError(`scaledDotProductAttention: ${name} needs at least 2 dims [..., seq, features], got ${fmtShape(t.shape)}`);
  }
  const e = query.shape[query.shape.length - 1]!;
  const l = query.shape[query.shape.length - 2]!, s = key.shape[key.shape.length - 2]!;
  if (key.shape[key.shape.length - 1] !== e) throw new ShapeError(`scaledDotProductAttention: query ${fmtShape(query.shape)} and key ${fmtShape(key.shape)} must share the last dim`);
  if (value.shape[value.shape.length - 2] !== s) throw new ShapeError(`scaledDotProductAttention: key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} must have the same sequence length (dim -2)`);
  const p = opts.dropoutP ?? 0;
  if (!(p >= 0 && p <= 1)) throw new ValueError(`scaledDotProductAttention: dropoutP must be in [0, 1], got ${p}`);
  const masks: AttentionMasks = { allowed: null, bias: null };
  if (opts.isCausal) {
    if (opts.attnMask) throw new ValueError('scaledDotProductAttention: give either attnMask or isCausal, not both');
    masks.allowed = tril(ones([l, s], { dtype: 'int32', device: query.device }));
  } else if (opts.attnMask) {
    const m = opts.attnMask;
    broadcastShapes('scaledDotProductAttention: attnMask', m.shape, [l, s]);
    if (m.dtype === 'int32') masks.allowed = compare('ne', m, 0);
    else masks.bias = m;
  }
  const scale = opts.scale ?? 1 / Math.sqrt(e);
  if (masks.bias === null && (masks.allowed === null || opts.isCausal) && p === 0 && fusable(query, key, value)) {
    return attentionOp(query, key, value, { scale, causal: opts.isCausal ?? false });
  }
  return attend(query, key, value, masks, scale, p, opts.generator).out;
}

/**
 * Construction options of MultiheadAttention: dropout, biases, key/value widths that differ from
 * embedDim, and the batch-first layout.
 * @example const mha = new nn.MultiheadAttention(64, 8, { dropout: 0.1, kdim: 32, vdim: 32, batchFirst: true });
 */
export interface MultiheadAttentionOptions {
  /** dropout on the attention weights in train mode (default 0) */
  dropout?: number;
  /** biases on the input and output projections (default true) */
  bias?: boolean;
  /** features of the key (default embedDim); a different size gives separate projection weights */
  kdim?: number;
  /** features of the value (default embedDim) */
  vdim?: number;
  /** inputs and outputs are [N, L, E] instead of [L, N, E] (default false, as PyTorch) */
  batchFirst?: boolean;
  /** the random stream for initialization and dropout (default: defaultGenerator) */
  generator?: Generator;
}

/**
 * Per-call options of MultiheadAttention's forward: padding and attention masks (int32 1 =
 * blocked, as PyTorch's layer) and whether to return the weights.
 * @example
 * const causal = triu(ones([L, L], { dtype: 'int32' }), 1); // 1 above the diagonal: the future is blocked
 * const [y, w] = mha.call(x, x, x, { attnMask: causal, keyPaddingMask: padding }); // w [N, L, L]
 */
export interface MultiheadAttentionForwardOptions {
  /**
   * [N, S] (or [S] unbatched): int32 1 (true) marks a padding key to ignore; a float mask is
   * added to the scores.
   */
  keyPaddingMask?: Tensor | null;
  /** also return the attention weights (default true) */
  needWeights?: boolean;
  /**
   * [L, S] or [N·numHeads, L, S]: int32 1 (true) marks a position that may NOT be attended
   * (PyTorch's convention for this layer, the opposite of scaledDotProductAttention's); a float
   * mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /** average the returned weights over heads, [N, L, S], instead of [N, numHeads, L, S] (default true) */
  averageAttnWeights?: boolean;
}

/** A [N, H, L, S]-broadcastable mask from MultiheadAttention's 2-D or 3-D attnMask. */
function headMask(mask: Tensor, n: number, heads: number, l: number, s: number): Tensor {
  if (mask.shape.length === 2) {
    if (!sameShape(mask.shape, [l, s])) throw new ShapeError(`MultiheadAttention: the 2-D attnMask has shape ${fmtShape(mask.shape)}, but should be [${l},${s}]`);
    return mask;
  }
  if (mask.shape.length === 3) {
    if (!sameShape(mask.shape, [n * heads, l, s])) throw new ShapeError(`MultiheadAttention: the 3-D attnMask has shape ${fmtShape(mask.shape)}, but should be [${n * heads},${l},${s}]`);
    return reshape(mask, [n, heads, l, s]);
  }
  throw new ShapeError(`MultiheadAttention: attnMask must be 2-D [L, S] or 3-D [N·numHeads, L, S], got ${fmtShape(mask.shape)}`);
}

/** Adds a mask to the pair: int32 masks mark what is NOT allowed here, float masks are biases. */
function addMask(masks: AttentionMasks, mask: Tensor): AttentionMasks {
  if (mask.dtype === 'int32') return { ...masks, allowed: bothAllowed(masks.allowed, compare('eq', mask, 0)) };
  return { ...masks, bias: masks.bias ? add(masks.bias, mask) : mask };
}

/**
 * Multi-head attention, as torch.nn.MultiheadAttention: project query, key and value, attend
 * in numHeads heads of embedDim/numHeads features, concatenate and project back. Parameters carry
 * PyTorch's names (`in_proj_weight` [3E, E], `in_proj_bias`, `out_proj.weight`, `out_proj.bias`,
 * or `q_proj_weight`/`k_proj_weight`/`v_proj_weight` when kdim or vdim differ from embedDim), so a
 * PyTorch state dict loads as is. Returns [output, weights or null].
 * @example
 * const mha = new MultiheadAttention(64, 8, {batchFirst: true});
 * const [y] = mha.call(x, x, x, {attnMask: causal, needWeights: false}); // x [N, L, 64]
 */
export class MultiheadAttention extends Module<
  [query: Tensor, key: Tensor, value: Tensor, opts?: MultiheadAttentionForwardOptions],
  [Tensor, Tensor | null]
> {
  // properties named as PyTorch's state-dict keys
  in_proj_weight: Tensor | null = null;
  q_proj_weight: Tensor | null = null;
  k_proj_weight: Tensor | null = null;
  v_proj_weight: Tensor | null = null;
  in_proj_bias: Tensor | null = null;
  out_proj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly batchFirst: boolean;
  readonly generator: Generator | undefined;

  constructor(readonly embedDim: number, readonly numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new ValueError(`MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    }
    this.headDim = embedDim / numHeads;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new ValueError(`MultiheadAttention: dropout must be in [0, 1], got ${this.dropout}`);
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.batchFirst = opts.batchFirst ?? false;
    this.generator = opts.generator;
    const init = opts.generator ? { generator: opts.generator } : {};
    const param = (name: 'in_proj_weight' | 'q_proj_weight' | 'k_proj_weight' | 'v_proj_weight', shape: number[]): Tensor =>
      xavierUniform(this.registerParameter(name, zeros(shape, { requiresGrad: true })), init);
    if (this.kdim === embedDim && this.vdim === embedDim) {
      param('in_proj_weight', [3 * embedDim, embedDim]);
    } else {
      param('q_proj_weight', [embedDim, embedDim]);
      param('k_proj_weight', [embedDim, this.kdim]);
      param('v_proj_weight', [embedDim, this.vdim]);
    }
    if (opts.bias ?? true) this.registerParameter('in_proj_bias', zeros([3 * embedDim], { requiresGrad: true }));
    this.out_proj = new Linear(embedDim, embedDim, { bias: opts.bias ?? true, ...init });
    if (this.out_proj.bias) this.out_proj.bias.data.fill(0);
  }

  /** The three input projections of [N, L, features] inputs, PyTorch's packed or separate weights. */
  private project(q: Tensor, k: Tensor, v: Tensor, selfAttention: boolean): [Tensor, Tensor, Tensor] {
    const e = this.embedDim;
    const bias = (i: number): Tensor | null => (this.in_proj_bias ? sliceDim(this.in_proj_bias, 0, i * e, (i + 1) * e) : null);
    const packed = this.in_proj_weight;
    if (packed && selfAttention) {
      const [pq, pk, pv] = split(linear(q, packed, this.in_proj_bias), e, -1) as [Tensor, Tensor, Tensor];
      return [pq, pk, pv];
    }
    const w = (i: number): Tensor => (packed ? sliceDim(packed, 0, i * e, (i + 1) * e) : [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight][i]!);
    return [linear(q, w(0), bias(0)), linear(k, w(1), bias(1)), linear(v, w(2), bias(2))];
  }

  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const batched = query.shape.length === 3;
    if (!batched && query.shape.length !== 2) throw this.shapeError(this.batchFirst ? '[N, L, E] or [L, E]' : '[L, N, E] or [L, E]', query.shape);
    for (const [name, t, d] of [['key', key, this.kdim], ['value', value, this.vdim]] as const) {
      if (t.shape.length !== query.shape.length || t.shape[t.shape.length - 1] !== d) {
        throw new ShapeError(`${this.label()}: ${name} must be ${query.shape.length}-D with ${d} features like the query ${fmtShape(query.shape)}, got ${fmtShape(t.shape)}`);
      }
    }
    if (query.shape[query.shape.length - 1] !== this.embedDim) throw this.shapeError(`[..., ${this.embedDim}]`, query.shape);
    // work batch-first: [N, L, E]
    const toBatchFirst = (t: Tensor): Tensor => (!batched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, 0, 1));
    const selfAttention = query === key && key === value;
    const q3 = toBatchFirst(query), k3 = selfAttention ? q3 : toBatchFirst(key), v3 = selfAttention ? q3 : toBatchFirst(value);
    const [n, l] = q3.shape as [number, number];
    const s = k3.shape[1]!;
    if (v3.shape[0] !== n || v3.shape[1] !== s || k3.shape[0] !== n) {
      throw new ShapeError(`${this.label()}: query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} disagree on the batch size or the source length`);
    }
    const [pq, pk, pv] = this.project(q3, k3, v3, selfAttention);
    const h = this.numHeads, hd = this.headDim;
    const heads = (t: Tensor, len: number): Tensor => permute(reshape(t, [n, len, h, hd]), [0, 2, 1, 3]); // [N, H, len, hd]
    let masks: AttentionMasks = { allowed: null, bias: null };
    if (opts.attnMask) masks = addMask(masks, headMask(opts.attnMask, n, h, l, s));
    if (opts.keyPaddingMask) {
      const kpm = opts.keyPaddingMask;
      const expected = batched ? [n, s] : [s];
      if (!sameShape(kpm.shape, expected)) throw new ShapeError(`${this.label()}: keyPaddingMask must have shape ${fmtShape(expected)}, got ${fmtShape(kpm.shape)}`);
      masks = addMask(masks, reshape(kpm, [n, 1, 1, s]));
    }
    const p = this.training ? this.dropout : 0;
    const needWeights = opts.needWeights ?? true;
    if (!needWeights && p === 0 && masks.allowed === null && masks.bias === null) {
      // no weights to return and nothing to mask: one fused attention op
      const y0 = attentionOp(heads(pq, l), heads(pk, s), heads(pv, s), { scale: 1 / Math.sqrt(hd), causal: false });
      const y1 = this.out_proj.call(reshape(permute(y0, [0, 2, 1, 3]), [n, l, this.embedDim]));
      return [!batched ? squeeze(y1, 0) : this.batchFirst ? y1 : transpose(y1, 0, 1), null];
    }
    const { out, weights } = attend(heads(pq, l), heads(pk, s), heads(pv, s), masks, 1 / Math.sqrt(hd), p, this.generator);
    const merged = reshape(permute(out, [0, 2, 1, 3]), [n, l, this.embedDim]);
    let y = this.out_proj.call(merged);
    y = !batched ? squeeze(y, 0) : this.batchFirst ? y : transpose(y, 0, 1);
    if (!(opts.needWeights ?? true)) return [y, null];
    let w = (opts.averageAttnWeights ?? true) ? mean(weights, 1) : weights;
    if (!batched) w = squeeze(w, 0);
    return [y, w];
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }

  override label(): string {
    return `MultiheadAttention(${this.embedDim}, heads=${this.numHeads})`;
  }
}
