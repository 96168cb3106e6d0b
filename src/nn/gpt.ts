import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { gelu } from '../ops/activation.js';
import { crossEntropy } from '../ops/loss.js';
import { matmul } from '../ops/matmul.js';
import { permute, reshape, sliceDim } from '../ops/shape.js';
import { arange } from '../tensor/creation.js';
import { packedSelfAttention } from '../ops/attention.js';
import { sampleCategorical } from '../ops/sampling.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/mode.js';
import { scaledDotProductAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { normal, zeros as zeroInit } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { LayerNorm } from './normalization.js';

/**
 * The settings of a GPT: vocabulary, context length and size, as nanoGPT's GPTConfig.
 * @example const config: GPTConfig = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
 */
export interface GPTConfig {
  /** number of distinct tokens */
  vocabSize: number;
  /** the longest context the model sees (number of positions) */
  blockSize: number;
  /** transformer blocks */
  nLayer: number;
  /** attention heads per block; nEmbd must be divisible by it */
  nHead: number;
  /** width of the residual stream */
  nEmbd: number;
  /** dropout on embeddings, attention weights and residual branches in train mode (default 0) */
  dropout?: number;
  /** biases in the Linear and LayerNorm layers (default false, as nanoGPT's training script) */
  bias?: boolean;
  /** the random source of the initial weights and of dropout (default: the global one) */
  generator?: Generator;
}

/**
 * Causal multi-head self-attention with nanoGPT's packed projection `c_attn` [3C, C] and `c_proj`.
 * @example new CausalSelfAttention({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false }).forward(x) // x [B, T, 128]
 */
export class CausalSelfAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly nHead: number;
  readonly nEmbd: number;

  constructor(config: Required<Omit<GPTConfig, 'generator'>> & { generator?: Generator }) {
    super();
    const g = config.generator ? { generator: config.generator } : {};
    this.nHead = config.nHead;
    this.nEmbd = config.nEmbd;
    this.c_attn = new Linear(config.nEmbd, 3 * config.nEmbd, { bias: config.bias, ...g });
    this.c_proj = new Linear(config.nEmbd, config.nEmbd, { bias: config.bias, ...g });
    this.attn_dropout = new Dropout(config.dropout, g);
    this.resid_dropout = new Dropout(config.dropout, g);
  }

  forward(x: Tensor): Tensor {
    const [b, t, c] = x.shape as [number, number, number];
    const h = this.nHead, hd = c / h;
    const qkv = this.c_attn.call(x); // [B, T, 3C]
    const p = this.training ? this.attn_dropout.p : 0;
    let y: Tensor;
    if (p === 0) {
      // one fused op reads the heads out of qkv in place
      y = packedSelfAttention(qkv, h, { causal: true });
    } else {
      // dropout on the attention weights needs them materialized: the general composition
      const heads = (i: number): Tensor => permute(reshape(sliceDim(qkv, 2, i * c, (i + 1) * c), [b, t, h, hd]), [0, 2, 1, 3]);
      const gen = this.attn_dropout.generator;
      const o = scaledDotProductAttention(heads(0), heads(1), heads(2), { isCausal: true, dropoutP: p, ...(gen ? { generator: gen } : {}) });
      y = reshape(permute(o, [0, 2, 1, 3]), [b, t, c]);
    }
    return this.resid_dropout.call(this.c_proj.call(y));
  }
}

/**
 * The feed-forward block: Linear to 4·C, GELU, Linear back to C, dropout.
 * @example new GPTMLP({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false }).forward(x) // x [B, T, 128]
 */
export class GPTMLP extends Module {
  c_fc: Linear;
  c_proj: Linear;
  dropout: Dropout;

  constructor(config: Required<Omit<GPTConfig, 'generator'>> & { generator?: Generator }) {
    super();
    const g = config.generator ? { generator: config.generator } : {};
    this.c_fc = new Linear(config.nEmbd, 4 * config.nEmbd, { bias: config.bias, ...g });
    this.c_proj = new Linear(4 * config.nEmbd, config.nEmbd, { bias: config.bias, ...g });
    this.dropout = new Dropout(config.dropout, g);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.call(this.c_proj.call(gelu(this.c_fc.call(x))));
  }
}

/**
 * A pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
 * @example new GPTBlock({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false }).forward(x) // x [B, T, 128]
 */
export class GPTBlock extends Module {
  ln_1: LayerNorm;
  attn: CausalSelfAttention;
  ln_2: LayerNorm;
  mlp: GPTMLP;

  constructor(config: Required<Omit<GPTConfig, 'generator'>> & { generator?: Generator }) {
    super();
    this.ln_1 = new LayerNorm(config.nEmbd, { bias: config.bias });
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = new LayerNorm(config.nEmbd, { bias: config.bias });
    this.mlp = new GPTMLP(config);
  }

  forward(x: Tensor): Tensor {
    const y = add(x, this.attn.call(this.ln_1.call(x)));
    return add(y, this.mlp.call(this.ln_2.call(y)));
  }
}

/**
 * The body of the GPT: embeddings, blocks and the final norm (nanoGPT's `transformer`); GPT.forward runs it.
 * @example new GPT(config).transformer.h.length // config.nLayer
 */
export class GPTTransformer extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: GPTBlock[];
  ln_f: LayerNorm;

  constructor(config: Required<Omit<GPTConfig, 'generator'>> & { generator?: Generator }) {
    super();
    const g = config.generator ? { generator: config.generator } : {};
    this.wte = new Embedding(config.vocabSize, config.nEmbd, g);
    this.wpe = new Embedding(config.blockSize, config.nEmbd, g);
    this.drop = new Dropout(config.dropout, g);
    this.h = Array.from({ length: config.nLayer }, () => new GPTBlock(config));
    this.ln_f = new LayerNorm(config.nEmbd, { bias: config.bias });
  }

  forward(): never {
    throw new ValueError('GPTTransformer: run it through GPT.forward');
  }
}

/**
 * How GPT.generate samples.
 * @example gpt.generate(prompt, 100, { temperature: 0.8, topK: 40, generator: new Generator(0), onToken: (id) => write(vocab.decode([id])) })
 */
export interface GenerateOptions {
  /** divides the logits: below 1 sharpens the distribution, above 1 flattens it (default 1) */
  temperature?: number;
  /** draw only among the topK most likely tokens (ties with the k-th included); default all */
  topK?: number;
  /** the random source (default: the global one) */
  generator?: Generator;
  /** called with each new id as soon as it is drawn */
  onToken?: (id: number) => void;
}

/**
 * A decoder-only transformer language model, as nanoGPT's GPT: token and position embeddings,
 * nLayer pre-norm blocks (causal self-attention and a GELU MLP), a final LayerNorm and an
 * output projection tied to the token embedding. Weights start as N(0, 0.02), the residual
 * projections as N(0, 0.02/√(2·nLayer)), biases at zero. Parameter names are nanoGPT's
 * (`transformer.h.0.attn.c_attn.weight`, ...), so its state dict loads by name.
 * @example
 * const gpt = new GPT({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
 * const logits = gpt.forward(idx); // idx int32 [B, T] → [B, T, 65]
 */
export class GPT extends Module<[idx: Tensor]> {
  transformer: GPTTransformer;
  readonly config: Readonly<Required<Omit<GPTConfig, 'generator'>>>;

  constructor(config: GPTConfig) {
    super();
    const c = { dropout: 0, bias: false, ...config };
    for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new ValueError(`GPT: ${k} must be a positive integer, got ${c[k]}`);
    }
    if (c.nEmbd % c.nHead !== 0) throw new ValueError(`GPT: nEmbd ${c.nEmbd} must be divisible by nHead ${c.nHead}`);
    if (!(c.dropout >= 0 && c.dropout < 1)) throw new ValueError(`GPT: dropout must be in [0, 1), got ${c.dropout}`);
    const { generator, ...settings } = c;
    this.config = settings;
    this.transformer = new GPTTransformer(c);
    const g = generator ? { generator } : {};
    // nanoGPT's init: N(0, 0.02) everywhere, scaled down on the projections into the residual
    // stream so its variance does not grow with depth
    for (const [name, p] of this.namedParameters()) {
      if (p.shape.length === 2) {
        const residual = name.endsWith('c_proj.weight');
        normal(p, 0, residual ? 0.02 / Math.sqrt(2 * c.nLayer) : 0.02, g);
      } else if (name.endsWith('.bias') && !name.includes('.ln_')) {
        zeroInit(p);
      }
    }
  }

  /** Logits [B, T, vocabSize] for int32 token ids [B, T] (T ≤ blockSize). */
  forward(idx: Tensor): Tensor {
    if (idx.shape.length !== 2) throw this.shapeError('int32 token ids [B, T]', idx.shape);
    const t = idx.shape[1]!;
    if (t > this.config.blockSize) throw new ShapeError(`${this.label()}: a sequence of ${t} tokens is longer than the block size ${this.config.blockSize} (got ids ${fmtShape(idx.shape)})`);
    const tr = this.transformer;
    const pos = arange(t, undefined, 1, { dtype: 'int32', device: idx.device });
    let x = tr.drop.call(add(tr.wte.call(idx), tr.wpe.call(pos)));
    for (const block of tr.h) x = block.call(x);
    x = tr.ln_f.call(x);
    // the output projection is the token embedding itself (weight tying)
    return matmul(x, tr.wte.weight, { transB: true });
  }

  /** Mean cross-entropy of the next-token predictions for ids [B, T] against targets [B, T]. */
  loss(idx: Tensor, targets: Tensor): Tensor {
    const logits = this.forward(idx);
    const v = this.config.vocabSize;
    return crossEntropy(reshape(logits, [-1, v]), reshape(targets, [-1]));
  }

  /**
   * Continues a sequence of token ids by `maxNewTokens` sampled tokens, as nanoGPT's generate:
   * the model sees the last blockSize ids, its last logits are divided by the temperature,
   * cut to the topK most likely, and a token is drawn from their softmax (sampleCategorical,
   * on the host: CPU models only). Runs in eval mode
   * without a graph; `onToken` sees each id as soon as it is drawn (for streaming).
   * @example
   * const ids = gpt.generate(vocab.encode('ROMEO:'), 200, { temperature: 0.8, topK: 40, generator: new Generator(0) });
   */
  generate(idx: ArrayLike<number>, maxNewTokens: number, opts: GenerateOptions = {}): Int32Array {
    const temperature = opts.temperature ?? 1;
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new ValueError(`GPT.generate: temperature must be a positive number, got ${temperature}`);
    if (opts.topK !== undefined && !(Number.isInteger(opts.topK) && opts.topK >= 1)) throw new ValueError(`GPT.generate: topK must be a positive integer, got ${opts.topK}`);
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new ValueError(`GPT.generate: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
    if (idx.length === 0) throw new ValueError('GPT.generate: needs at least one token to start from');
    const v = this.config.vocabSize;
    const ids = Array.from(idx, (id) => {
      if (!Number.isInteger(id) || id < 0 || id >= v) throw new ValueError(`GPT.generate: token id ${id} is outside the vocabulary of ${v}`);
      return id;
    });
    const g = opts.generator ?? defaultGenerator;
    const wasTraining = this.training;
    this.eval();
    try {
      for (let n = 0; n < maxNewTokens; n++) {
        const ctx = ids.slice(-this.config.blockSize);
        const next = noGrad(() => {
          const logits = this.forward(Tensor.fromRaw(Int32Array.from(ctx), [1, ctx.length]));
          const last = reshape(sliceDim(logits, 1, ctx.length - 1, ctx.length), [1, v]);
          return sampleCategorical(last, { temperature, ...(opts.topK !== undefined ? { topK: opts.topK } : {}), generator: g }).item();
        });
        ids.push(next);
        opts.onToken?.(next);
      }
    } finally {
      this.train(wasTraining);
    }
    return Int32Array.from(ids);
  }

  override label(): string {
    const c = this.config;
    return `GPT(layers=${c.nLayer}, heads=${c.nHead}, embd=${c.nEmbd}, block=${c.blockSize}, vocab=${c.vocabSize})`;
  }
}
