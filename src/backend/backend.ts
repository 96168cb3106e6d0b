/**
 * The narrow kernel interface. Autograd and the op table only ever talk to a backend through
 * these functions, so a faster backend (WebAssembly) can replace kernels one by one without
 * touching the gradient code. Every kernel works on contiguous, row-major typed arrays and
 * writes into an output array the caller allocated with `alloc`.
 */

export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type Shape = readonly number[];

/** Elementwise maps. `param` is used by leakyRelu (slope), elu (alpha), powScalar (exponent). */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sign' | 'reciprocal' | 'square'
  | 'sigmoid' | 'tanh' | 'relu' | 'softplus' | 'erf' | 'step'
  | 'leakyRelu' | 'leakyReluGrad' | 'elu' | 'eluGrad' | 'powScalar' | 'gelu' | 'geluGrad'
  | 'floor' | 'isfinite' | 'copy';

/** Broadcasting binary maps (NumPy rules). Comparisons write 1 or 0 in the output dtype. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

export interface MatmulArgs {
  /** number of matrices in the batch (product of broadcast batch dims); 1 for plain 2-D */
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] instead of [m, k] */
  transA: boolean;
  /** B is stored [n, k] instead of [k, n] */
  transB: boolean;
  /** offset, in elements, of batch i's A matrix; length `batch` (handles broadcast batch dims) */
  aOffsets: Int32Array | null;
  bOffsets: Int32Array | null;
}

export interface Conv2dArgs {
  n: number; cIn: number; h: number; w: number;
  cOut: number; kh: number; kw: number;
  strideH: number; strideW: number; padH: number; padW: number;
  dilationH: number; dilationW: number; groups: number;
  outH: number; outW: number;
}

/** Activations a fused bias + activation kernel can apply ('none' is the bias add alone). */
export type BiasActivation = 'none' | 'relu' | 'sigmoid' | 'tanh' | 'gelu';
/** Activations whose derivative is a function of their output. */
export type ActGradActivation = 'relu' | 'sigmoid' | 'tanh';

/** Softmax cross-entropy rows: logits [rows, cols], int32 targets [rows], optional class weight [cols]. */
export interface CrossEntropyArgs {
  rows: number;
  cols: number;
  /** ε: the target distribution is (1 − ε)·w[t]·onehot(t) + (ε/C)·w */
  labelSmoothing: number;
  /** rows whose target equals this get 0 loss and 0 gradient */
  ignoreIndex: number;
}

/** SGD hyper-parameters for one fused update pass (PyTorch's semantics). */
export interface SgdHyper {
  lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number; maximize: boolean;
  /** the first step seeds the velocity with the gradient itself */
  first: boolean;
}

/** Adam / AdamW hyper-parameters for one fused update pass; `step` is the 1-based step count. */
export interface AdamHyper {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; maximize: boolean;
  /** AdamW: decay the weights directly instead of adding weightDecay·θ to the gradient */
  decoupled: boolean;
  step: number;
}

export interface Backend {
  readonly name: string;
  /** A zero-filled contiguous array for `size` elements of `dtype`. */
  alloc(dtype: DType, size: number): TypedArray;

  /** out[i] = op(x[i]); x and out have the same length (dtypes may differ, e.g. isfinite). */
  unary(op: UnaryOp, x: TypedArray, out: TypedArray, param?: number): void;
  /** out = a op b with broadcasting; outShape is the broadcast shape. */
  binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void;
  /** out = cond != 0 ? a : b, all broadcast to outShape. */
  where(cond: TypedArray, condShape: Shape, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void;
  /** out = clamp(x, lo, hi) elementwise. */
  clamp(x: TypedArray, lo: number, hi: number, out: TypedArray): void;

  /** Reduce `axes` (sorted, unique) of x; out has x's shape with those axes removed (same element order). */
  reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[], out: TypedArray): void;
  /** Index of the max/min along one axis; out has shape with that axis removed. Ties: first index. */
  argReduce(op: ArgReduceOp, x: TypedArray, shape: Shape, axis: number, out: Int32Array): void;

  /**
   * Fused bias + activation: out[r, j] = act(z[r, j] + bias[j]) for z [rows, cols] (cols =
   * bias.length). The sum is rounded to the output dtype before the activation, so the result
   * equals binary('add') followed by unary(act) on the same backend bit for bit.
   */
  biasAct(act: BiasActivation, z: TypedArray, bias: TypedArray, out: TypedArray): void;

  /**
   * The backward of an activation from its saved output y, in one pass: out = g · act'(y), with
   * sigmoid' = y(1 − y), tanh' = 1 − y², relu' = [y > 0].
   */
  actGrad(act: ActGradActivation, g: TypedArray, y: TypedArray, out: TypedArray): void;

  /** Per-row softmax cross-entropy loss into out [rows] (shifted by the row max, never overflows). */
  crossEntropy(z: TypedArray, targets: Int32Array, weight: TypedArray | null, args: CrossEntropyArgs, out: TypedArray): void;
  /** Its gradient: out[i, :] = (softmax(z_i)·Σ_c q_ic − q_i)·g[i], q the target distribution. */
  crossEntropyGrad(z: TypedArray, targets: Int32Array, weight: TypedArray | null, g: TypedArray, args: CrossEntropyArgs, out: TypedArray): void;

  /** In-place SGD update of param x from grad g; buf is the velocity (null without momentum). */
  sgdStep(x: TypedArray, g: TypedArray, buf: Float64Array | null, h: SgdHyper): void;
  /** In-place Adam/AdamW update of x; m, v (and vmax for AMSGrad) are the moment buffers. */
  adamStep(x: TypedArray, g: TypedArray, m: Float64Array, v: Float64Array, vmax: Float64Array | null, h: AdamHyper): void;

  /** Batched GEMM: out[b] = op(A[b]) @ op(B[b]), out is [batch, m, n] contiguous. */
  matmul(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void;

  /** out = x permuted: out.shape[i] = shape[perm[i]]. */
  permute(x: TypedArray, shape: Shape, perm: readonly number[], out: TypedArray): void;
  /** Broadcast x (of `shape`, same rank as outShape, 1s where broadcast) to outShape. */
  expand(x: TypedArray, shape: Shape, out: TypedArray, outShape: Shape): void;
  /** Strided slice: out[j...] = x[begin + j*step ...] per dim; outShape gives the counts. */
  slice(x: TypedArray, shape: Shape, begin: readonly number[], step: readonly number[], out: TypedArray, outShape: Shape): void;
  /** Inverse of slice: out[begin + j*step] += x[j] (out has `shape`, x has `sliceShape`). */
  sliceAdd(x: TypedArray, sliceShape: Shape, begin: readonly number[], step: readonly number[], out: TypedArray, shape: Shape): void;

  /** indexSelect: out = x taken at `index` along `axis` (out.shape[axis] = index.length). */
  indexSelect(x: TypedArray, shape: Shape, axis: number, index: Int32Array, out: TypedArray): void;
  /** Backward of indexSelect: out[..., index[i], ...] += g[..., i, ...]. out has `shape`. */
  indexAdd(g: TypedArray, axis: number, index: Int32Array, out: TypedArray, shape: Shape): void;
  /** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for axis 1, index has out's shape. */
  gather(x: TypedArray, shape: Shape, axis: number, index: Int32Array, indexShape: Shape, out: TypedArray): void;
  /** Backward of gather: out[i][index[i][j][k]][k] += g[i][j][k]. out has `shape`. */
  scatterAdd(g: TypedArray, indexShape: Shape, axis: number, index: Int32Array, out: TypedArray, shape: Shape): void;

  /** im2col for conv2d (NCHW): cols is [n, groups, cIn/groups*kh*kw, outH*outW]. */
  im2col(x: TypedArray, cols: TypedArray, args: Conv2dArgs): void;
  /**
   * Max pooling's arg-max: for each output position of each of the n·cIn planes of x (NCHW),
   * the flat index into x of its window's largest value (padding never wins; NaN does; ties
   * go to the first). Pooling is then a gather at these indices, and its gradient a scatter.
   */
  poolArgmax(x: TypedArray, args: Conv2dArgs, out: Int32Array): void;
  /** col2im: the adjoint of im2col, accumulating into out (zeroed by the caller). */
  col2im(cols: TypedArray, out: TypedArray, args: Conv2dArgs): void;
}
