import { DTypeError, ValueError } from '../errors.js';
import { traceScope } from '../autograd/trace.js';
import { indexSelect } from '../ops/indexing.js';
import { reshape } from '../ops/shape.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { normal } from './init.js';
import { Module } from './module.js';

/**
 * A lookup table: int32 indices of any shape → rows of weight [num, dim], giving
 * [...indices.shape, dim]. Weights start as N(0, 1), as PyTorch.
 * @example new Embedding(1000, 64).forward(tokenIds) // [B, T] → [B, T, 64]
 */
export class Embedding extends Module {
  weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { generator?: Generator } = {}) {
    super();
    this.weight = this.registerParameter('weight', zeros([numEmbeddings, embeddingDim], { requiresGrad: true }));
    normal(this.weight, 0, 1, opts);
  }

  forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int32') throw new DTypeError(`${this.label()}: expected int32 indices, got ${indices.dtype}; convert with .int()`);
    // checked on the CPU; a GPU index tensor is not read back (the lookup kernel bounds-checks)
    const d = indices.device === 'cpu' ? indices.data : new Int32Array(0);
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v < 0 || v >= this.numEmbeddings) throw new ValueError(`${this.label()}: index ${v} (at flat position ${i}) is out of range [0, ${this.numEmbeddings})`);
    }
    // an exporter sees one lookup (ONNX Gather on indices of any shape)
    return traceScope('embedding', [this.weight, indices], {}, () => {
      const rows = indexSelect(this.weight, 0, reshape(indices, [indices.size]));
      return reshape(rows, [...indices.shape, this.embeddingDim]);
    });
  }

  override label(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
