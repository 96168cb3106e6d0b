import type { Backend, DType, TypedArray } from '../backend.js';
import * as attn from './attention.js';
import * as conv from './conv.js';
import * as ew from './elementwise.js';
import * as fused from './fused.js';
import * as layout from './layout.js';
import { matmul } from './matmul.js';
import * as red from './reduce.js';
import * as sort from './sort.js';

function alloc(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
  }
}

/**
 * The reference backend: plain TypeScript loops over typed arrays, split by kernel family in
 * this folder. Every other backend is tested against it. It implements every core kernel and
 * every fused kernel, so it is also usable for real training.
 * @example
 * const ref = new JsBackend();
 * const out = ref.alloc('float32', 2);
 * ref.binary('mul', new Float32Array([1, 2]), [2], new Float32Array([3, 4]), [2], out, [2]); // out = [3, 8]
 */
export class JsBackend implements Backend<TypedArray> {
  readonly name: string = 'js';
  readonly device = 'cpu' as const;

  // memory: host arrays, so there is nothing to upload or read back
  readonly alloc = alloc;
  upload(data: TypedArray): TypedArray { return data; }
  read(x: TypedArray): Promise<TypedArray> { return Promise.resolve(x); }
  readSync(x: TypedArray): TypedArray { return x; }

  // core kernels
  readonly cast = ew.cast;
  readonly unary = ew.unary;
  readonly binary = ew.binary;
  readonly where = ew.where;
  readonly reduce = red.reduce;
  readonly argReduce = red.argReduce;
  readonly scan = red.scan;
  readonly argsort = sort.argsort;
  readonly matmul = matmul;
  readonly strided = layout.strided;
  readonly stridedAdd = layout.stridedAdd;
  readonly indexSelect = layout.indexSelect;
  readonly indexAdd = layout.indexAdd;
  readonly gather = layout.gather;
  readonly scatterAdd = layout.scatterAdd;
  readonly scatter = layout.scatter;
  readonly im2col = conv.im2col;
  readonly col2im = conv.col2im;
  readonly poolArgmax = conv.poolArgmax;

  // fused kernels
  readonly biasAct = fused.biasAct;
  readonly actGrad = fused.actGrad;
  readonly logSoftmax = fused.logSoftmax;
  readonly crossEntropy = fused.crossEntropy;
  readonly crossEntropyGrad = fused.crossEntropyGrad;
  readonly sgdStep = fused.sgdStep;
  readonly adamStep = fused.adamStep;
  readonly layerNorm = fused.layerNorm;
  readonly layerNormGrad = fused.layerNormGrad;
  readonly geluGrad = fused.geluGrad;
  readonly attention = attn.attention;
  readonly attentionGrad = attn.attentionGrad;
}
