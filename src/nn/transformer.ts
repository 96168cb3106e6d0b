import { ValueError } from '../errors.js';
import { gelu, relu } from '../ops/activation.js';
import { add } from '../ops/elementwise.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { MultiheadAttention } from './attention.js';
import { ModuleList } from './container.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module, type AnyModule } from './module.js';
import { LayerNorm } from './normalization.js';

/**
 * The feed-forward activation: PyTorch's two named ones, or any tensor function.
 * @example
 * new nn.TransformerEncoderLayer(64, 4, { activation: 'gelu' });
 * new nn.TransformerEncoderLayer(64, 4, { activation: (x) => x.mul(x.sigmoid()) }); // SiLU
 */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/**
 * Options of TransformerEncoderLayer and TransformerDecoderLayer, with PyTorch's defaults
 * (2048-wide feed-forward, dropout 0.1, relu, post-norm, [L, N, E] inputs).
 * @example
 * const layer = new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, activation: 'gelu', batchFirst: true, normFirst: true });
 */
export interface TransformerLayerOptions {
  /** width of the feed-forward block (default 2048, as PyTorch) */
  dimFeedforward?: number;
  /** dropout after attention, inside and after the feed-forward block (default 0.1) */
  dropout?: number;
  /** default 'relu' */
  activation?: TransformerActivation;
  /** the LayerNorms' ε (default 1e-5) */
  layerNormEps?: number;
  /** inputs are [N, L, E] instead of [L, N, E] (default false) */
  batchFirst?: boolean;
  /** pre-norm: x + f(norm(x)) instead of post-norm norm(x + f(x)) (default false) */
  normFirst?: boolean;
  /** the random stream for initialization and dropout (default: defaultGenerator) */
  generator?: Generator;
}

/**
 * Per-call masks of an encoder (layer): which positions each token may not attend (int32 1 =
 * blocked) and which tokens are padding.
 * @example
 * const padding = tensor([[0, 0, 0, 1, 1]], { dtype: 'int32' }); // the last two tokens are padding
 * const y = encoder.call(x, { srcKeyPaddingMask: padding }); // x [1, 5, 64] with batchFirst
 */
export interface TransformerEncoderForwardOptions {
  /** attention mask [L, L] or [N·nhead, L, L], as MultiheadAttention's attnMask (int32 1 = blocked) */
  srcMask?: Tensor | null;
  /** Shape [N, L]; int32 1 marks padding, as MultiheadAttention's keyPaddingMask */
  srcKeyPaddingMask?: Tensor | null;
}

/**
 * Per-call masks of a decoder (layer), for its self-attention (tgt) and its attention to the
 * encoder's output (memory); int32 1 = blocked, as MultiheadAttention's masks.
 * @example
 * const causal = triu(ones([T, T], { dtype: 'int32' }), 1);
 * const y = decoder.call(tgt, memory, { tgtMask: causal, memoryKeyPaddingMask: srcPadding });
 */
export interface TransformerDecoderForwardOptions {
  /** self-attention mask [T, T] or [N·nhead, T, T], e.g. causal */
  tgtMask?: Tensor | null;
  /** attention-to-memory mask [T, S] or [N·nhead, T, S] */
  memoryMask?: Tensor | null;
  /** Shape [N, T]; int32 1 marks a padding target token */
  tgtKeyPaddingMask?: Tensor | null;
  /** Shape [N, S]; int32 1 marks a padding source token */
  memoryKeyPaddingMask?: Tensor | null;
}

function activationFn(a: TransformerActivation): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a;
  if (a === 'relu') return relu;
  if (a === 'gelu') return gelu;
  throw new ValueError(`Transformer: activation must be 'relu', 'gelu' or a function, got '${String(a)}'`);
}

/** The settings both layer kinds resolve their options to. */
interface ResolvedOptions {
  dimFeedforward: number;
  dropout: number;
  activation: TransformerActivation;
  layerNormEps: number;
  batchFirst: boolean;
  normFirst: boolean;
  generator: Generator | undefined;
}

function resolve(opts: TransformerLayerOptions): ResolvedOptions {
  return {
    dimFeedforward: opts.dimFeedforward ?? 2048,
    dropout: opts.dropout ?? 0.1,
    activation: opts.activation ?? 'relu',
    layerNormEps: opts.layerNormEps ?? 1e-5,
    batchFirst: opts.batchFirst ?? false,
    normFirst: opts.normFirst ?? false,
    generator: opts.generator,
  };
}

/** A copy with the same settings, dtype and values (what a stack repeats). */
function cloneLayer<M extends AnyModule>(layer: M, make: () => M): M {
  const copy = make();
  const dtype = layer.parameters()[0]?.dtype;
  if (dtype === 'float64' || dtype === 'float32') copy.to(dtype);
  copy.loadStateDict(layer.stateDict());
  copy.train(layer.training);
  return copy;
}

/**
 * One transformer encoder block, as torch.nn.TransformerEncoderLayer: self-attention then a
 * feed-forward block, each with a residual connection, dropout and layer norm (after, or with
 * normFirst before). Children carry PyTorch's names (`self_attn`, `linear1`, `linear2`,
 * `norm1`, `norm2`), so its state dict loads from PyTorch's.
 * @example const layer = new TransformerEncoderLayer(64, 4, {dimFeedforward: 256, batchFirst: true});
 */
export class TransformerEncoderLayer extends Module<[src: Tensor, opts?: TransformerEncoderForwardOptions]> {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly settings: ResolvedOptions;
  readonly #activation: (x: Tensor) => Tensor;

  constructor(readonly dModel: number, readonly nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const o = resolve(opts);
    this.settings = o;
    this.#activation = activationFn(o.activation);
    const g = o.generator ? { generator: o.generator } : {};
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, ...g });
    this.linear1 = new Linear(dModel, o.dimFeedforward, g);
    this.dropout = new Dropout(o.dropout, g);
    this.linear2 = new Linear(o.dimFeedforward, dModel, g);
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout, g);
    this.dropout2 = new Dropout(o.dropout, g);
  }

  private selfAttentionBlock(x: Tensor, opts: TransformerEncoderForwardOptions): Tensor {
    const [y] = this.self_attn.call(x, x, x, { attnMask: opts.srcMask, keyPaddingMask: opts.srcKeyPaddingMask, needWeights: false });
    return this.dropout1.call(y);
  }

  private feedForwardBlock(x: Tensor): Tensor {
    return this.dropout2.call(this.linear2.call(this.dropout.call(this.#activation(this.linear1.call(x)))));
  }

  forward(src: Tensor, opts: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    if (this.settings.normFirst) {
      x = add(x, this.selfAttentionBlock(this.norm1.call(x), opts));
      return add(x, this.feedForwardBlock(this.norm2.call(x)));
    }
    x = this.norm1.call(add(x, this.selfAttentionBlock(x, opts)));
    return this.norm2.call(add(x, this.feedForwardBlock(x)));
  }

  /** A copy with the same settings and current values. */
  clone(): TransformerEncoderLayer {
    return cloneLayer(this, () => new TransformerEncoderLayer(this.dModel, this.nhead, this.settings));
  }

  override extraRepr(): string {
    return `normFirst=${this.settings.normFirst}, batchFirst=${this.settings.batchFirst}`;
  }
}

/**
 * One transformer decoder block, as torch.nn.TransformerDecoderLayer: self-attention over the
 * target, cross-attention to the encoder's memory, then a feed-forward block, each with a
 * residual, dropout and layer norm. PyTorch's child names (`self_attn`, `multihead_attn`,
 * `linear1`, `linear2`, `norm1`..`norm3`).
 * @example const [out] = [new TransformerDecoderLayer(64, 4).call(tgt, memory, {tgtMask})];
 */
export class TransformerDecoderLayer extends Module<[tgt: Tensor, memory: Tensor, opts?: TransformerDecoderForwardOptions]> {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly settings: ResolvedOptions;
  readonly #activation: (x: Tensor) => Tensor;

  constructor(readonly dModel: number, readonly nhead: number, opts: TransformerLayerOptions = {}) {
    super();
    const o = resolve(opts);
    this.settings = o;
    this.#activation = activationFn(o.activation);
    const g = o.generator ? { generator: o.generator } : {};
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, ...g });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, ...g });
    this.linear1 = new Linear(dModel, o.dimFeedforward, g);
    this.dropout = new Dropout(o.dropout, g);
    this.linear2 = new Linear(o.dimFeedforward, dModel, g);
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.norm3 = new LayerNorm(dModel, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout, g);
    this.dropout2 = new Dropout(o.dropout, g);
    this.dropout3 = new Dropout(o.dropout, g);
  }

  private selfAttentionBlock(x: Tensor, mask: Tensor | null | undefined, padding: Tensor | null | undefined): Tensor {
    const [y] = this.self_attn.call(x, x, x, { attnMask: mask, keyPaddingMask: padding, needWeights: false });
    return this.dropout1.call(y);
  }

  private crossAttentionBlock(x: Tensor, memory: Tensor, mask: Tensor | null | undefined, padding: Tensor | null | undefined): Tensor {
    const [y] = this.multihead_attn.call(x, memory, memory, { attnMask: mask, keyPaddingMask: padding, needWeights: false });
    return this.dropout2.call(y);
  }

  private feedForwardBlock(x: Tensor): Tensor {
    return this.dropout3.call(this.linear2.call(this.dropout.call(this.#activation(this.linear1.call(x)))));
  }

  forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions = {}): Tensor {
    let x = tgt;
    if (this.settings.normFirst) {
      x = add(x, this.selfAttentionBlock(this.norm1.call(x), opts.tgtMask, opts.tgtKeyPaddingMask));
      x = add(x, this.crossAttentionBlock(this.norm2.call(x), memory, opts.memoryMask, opts.memoryKeyPaddingMask));
      return add(x, this.feedForwardBlock(this.norm3.call(x)));
    }
    x = this.norm1.call(add(x, this.selfAttentionBlock(x, opts.tgtMask, opts.tgtKeyPaddingMask)));
    x = this.norm2.call(add(x, this.crossAttentionBlock(x, memory, opts.memoryMask, opts.memoryKeyPaddingMask)));
    return this.norm3.call(add(x, this.feedForwardBlock(x)));
  }

  /** A copy with the same settings and current values. */
  clone(): TransformerDecoderLayer {
    return cloneLayer(this, () => new TransformerDecoderLayer(this.dModel, this.nhead, this.settings));
  }

  override extraRepr(): string {
    return `normFirst=${this.settings.normFirst}, batchFirst=${this.settings.batchFirst}`;
  }
}

function checkLayerCount(op: string, numLayers: number): void {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new ValueError(`${op}: numLayers must be a positive integer, got ${numLayers}`);
}

/**
 * numLayers copies of an encoder layer run in turn, then an optional final norm, as
 * torch.nn.TransformerEncoder (each copy starts with the given layer's values). State-dict
 * keys `layers.0.self_attn.in_proj_weight`, ..., `norm.weight`.
 * @example new TransformerEncoder(new TransformerEncoderLayer(64, 4), 6)
 */
export class TransformerEncoder extends Module<[src: Tensor, opts?: TransformerEncoderForwardOptions]> {
  layers: ModuleList<TransformerEncoderLayer>;
  norm: LayerNorm | null;

  constructor(encoderLayer: TransformerEncoderLayer, readonly numLayers: number, opts: { norm?: LayerNorm | null } = {}) {
    super();
    checkLayerCount('TransformerEncoder', numLayers);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.norm = opts.norm ?? null;
  }

  forward(src: Tensor, opts: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.call(x, opts);
    return this.norm ? this.norm.call(x) : x;
  }
}

/**
 * numLayers copies of a decoder layer, then an optional final norm, as torch.nn.TransformerDecoder.
 * @example new TransformerDecoder(new TransformerDecoderLayer(64, 4), 6).call(tgt, memory, {tgtMask})
 */
export class TransformerDecoder extends Module<[tgt: Tensor, memory: Tensor, opts?: TransformerDecoderForwardOptions]> {
  layers: ModuleList<TransformerDecoderLayer>;
  norm: LayerNorm | null;

  constructor(decoderLayer: TransformerDecoderLayer, readonly numLayers: number, opts: { norm?: LayerNorm | null } = {}) {
    super();
    checkLayerCount('TransformerDecoder', numLayers);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => decoderLayer.clone()));
    this.norm = opts.norm ?? null;
  }

  forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.call(x, memory, opts);
    return this.norm ? this.norm.call(x) : x;
  }
}
