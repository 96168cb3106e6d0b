/**
 * The fluent Tensor methods (`x.add(y).relu().sum()`), installed on Tensor's prototype from the
 * op library, so that src/tensor imports no ops. Module augmentation gives them their types;
 * importing the library's entry (or this module) installs them.
 */
import type { Device, DType } from '../backend/backend.js';
import { isDevice } from '../backend/registry.js';
import { backward as runBackward, type BackwardOptions } from '../autograd/engine.js';
import { ValueError } from '../errors.js';
import { isDType } from '../tensor/dtype.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import * as ew from './elementwise.js';
import * as act from './activation.js';
import * as shp from './shape.js';
import * as red from './reduce.js';
import * as sm from './softmax.js';
import * as idx from './indexing.js';
import * as mmul from './matmul.js';
import * as cp from './copy.js';
import * as mth from './math.js';
import * as scn from './scan.js';
import * as srt from './sort.js';
import * as msk from './masking.js';
import * as strd from './strided.js';
import * as rep from './repeat.js';
import * as smp from './sampling.js';

type Dims = number | readonly number[];

declare module '../tensor/tensor.js' {
  interface Tensor {
    /**
     * Backpropagation: accumulates ∂this/∂leaf into every leaf's `.grad`; a non-scalar tensor
     * needs a gradient of its own shape.
     * @example loss.backward()
     */
    backward(gradient?: Tensor | BackwardOptions, opts?: BackwardOptions): void;
    /** Clears `.grad`. @example w.zeroGrad() */
    zeroGrad(): void;
    /** A copy with its own storage on the same device (differentiable). @example const y = x.clone() */
    clone(): Tensor;
    /**
     * Casts to another dtype (differentiable between float dtypes), or copies to another device
     * (host → GPU; GPU → host needs `await toAsync('cpu')`).
     * @example x.to('float64'); x.to('webgpu')
     */
    to(target: DType | Device): Tensor;
    /** Copies to a device in any direction, waiting for a GPU readback if needed. @example const host = await x.toAsync('cpu') */
    toAsync(device: Device): Promise<Tensor>;
    /** Cast to float32. @example tensor([1, 2], {dtype: 'int32'}).float() */
    float(): Tensor;
    /** Cast to float64. @example x.double() */
    double(): Tensor;
    /** Cast to int32, truncating toward zero. @example tensor([1.7, -1.7]).int() // [1, -1] */
    int(): Tensor;
    // ---- arithmetic ----
    /** this + b, with broadcasting. @example x.add(1) */
    add(b: TensorLike): Tensor;
    /** this − b, with broadcasting. @example x.sub(x.mean()) */
    sub(b: TensorLike): Tensor;
    /** this · b, elementwise with broadcasting. @example x.mul(mask) */
    mul(b: TensorLike): Tensor;
    /** this / b (true division), with broadcasting. @example x.div(2) */
    div(b: TensorLike): Tensor;
    /** this ** b, for a number or a tensor exponent. @example x.pow(2) */
    pow(b: TensorLike): Tensor;
    /** −this. @example x.neg() */
    neg(): Tensor;
    /** eˣ. @example x.exp() */
    exp(): Tensor;
    /** Natural logarithm. @example probs.log() */
    log(): Tensor;
    /** √x. @example x.sqrt() */
    sqrt(): Tensor;
    /** |x|. @example x.abs() */
    abs(): Tensor;
    /** The error function. @example x.erf() */
    erf(): Tensor;
    /** Limits values to [min, max]; either bound may be omitted. @example x.clamp(0, 1) */
    clamp(min?: number | null, max?: number | null): Tensor;
    /** Elementwise maximum with broadcasting; ties share the gradient. @example x.maximum(0) */
    maximum(b: TensorLike): Tensor;
    /** Elementwise minimum with broadcasting; ties share the gradient. @example x.minimum(1) */
    minimum(b: TensorLike): Tensor;
    /** Sine (radians). @example x.sin() */
    sin(): Tensor;
    /** Cosine (radians). @example x.cos() */
    cos(): Tensor;
    /** Tangent (radians). @example x.tan() */
    tan(): Tensor;
    /** Arcsine. @example x.asin() */
    asin(): Tensor;
    /** Arccosine. @example x.acos() */
    acos(): Tensor;
    /** Arctangent. @example x.atan() */
    atan(): Tensor;
    /** atan2(this, other): the angle of the point (other, this). @example y.atan2(x) */
    atan2(other: TensorLike): Tensor;
    /** Hyperbolic sine. @example x.sinh() */
    sinh(): Tensor;
    /** Hyperbolic cosine. @example x.cosh() */
    cosh(): Tensor;
    /** log(1 + x), exact for small x. @example x.log1p() */
    log1p(): Tensor;
    /** eˣ − 1, exact for small x. @example x.expm1() */
    expm1(): Tensor;
    /** Base-2 logarithm. @example x.log2() */
    log2(): Tensor;
    /** Base-10 logarithm. @example x.log10() */
    log10(): Tensor;
    /** 1/√x. @example variance.add(1e-5).rsqrt() */
    rsqrt(): Tensor;
    /** 1/x. @example x.reciprocal() */
    reciprocal(): Tensor;
    /** x². @example x.square() */
    square(): Tensor;
    /** −1, 0 or 1 by sign (zero gradient). @example x.sign() */
    sign(): Tensor;
    /** Rounds down (zero gradient). @example x.floor() */
    floor(): Tensor;
    /** Rounds up (zero gradient). @example x.ceil() */
    ceil(): Tensor;
    /** Rounds half to even, as torch.round (zero gradient). @example tensor([0.5, 1.5]).round() // [0, 2] */
    round(): Tensor;
    /** Rounds toward zero (zero gradient). @example x.trunc() */
    trunc(): Tensor;
    /** C's fmod: the remainder with this's sign. @example tensor([-5]).fmod(3) // [-2] */
    fmod(other: TensorLike): Tensor;
    /** Python's modulo: the remainder with other's sign. @example tensor([-5]).remainder(3) // [1] */
    remainder(other: TensorLike): Tensor;
    /** this + weight·(end − this). @example a.lerp(b, 0.1) */
    lerp(end: TensorLike, weight: TensorLike): Tensor;
    /** this + value·tensor1·tensor2. @example x.addcmul(a, b, {value: 0.5}) */
    addcmul(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): Tensor;
    /** 1 where NaN, else 0, as int32 (no gradient). @example x.isnan().any() */
    isnan(): Tensor;
    /** 1 where finite, else 0, as int32 (no gradient). @example x.isfinite().all() */
    isfinite(): Tensor;
    /** Replaces NaN and ±∞ with finite numbers. @example x.nanToNum({nan: 0}) */
    nanToNum(opts?: mth.NanToNumOptions): Tensor;
    // ---- activations ----
    /** 1 / (1 + e^−x). @example logits.sigmoid() */
    sigmoid(): Tensor;
    /** Hyperbolic tangent. @example x.tanh() */
    tanh(): Tensor;
    /** max(0, x). @example x.relu() */
    relu(): Tensor;
    /** x for x > 0, slope·x otherwise (default slope 0.01). @example x.leakyRelu(0.2) */
    leakyRelu(slope?: number): Tensor;
    /** x for x > 0, alpha·(eˣ − 1) otherwise. @example x.elu() */
    elu(alpha?: number): Tensor;
    /** The exact (erf) GELU. @example x.gelu() */
    gelu(): Tensor;
    /** log(1 + eˣ). @example x.softplus() */
    softplus(): Tensor;
    /** x·σ(x). @example x.silu() */
    silu(): Tensor;
    /** x·tanh(softplus(x)). @example x.mish() */
    mish(): Tensor;
    /** The self-normalizing ELU. @example x.selu() */
    selu(): Tensor;
    /** max(0, x) + min(0, alpha·(e^(x/alpha) − 1)). @example x.celu(2) */
    celu(alpha?: number): Tensor;
    /** x clamped to [minVal, maxVal] (default [−1, 1]). @example x.hardtanh({minVal: -2, maxVal: 2}) */
    hardtanh(opts?: act.HardtanhOptions): Tensor;
    /** min(max(x, 0), 6). @example x.relu6() */
    relu6(): Tensor;
    /** x·hardsigmoid(x). @example x.hardswish() */
    hardswish(): Tensor;
    /** clamp(x/6 + 1/2, 0, 1). @example x.hardsigmoid() */
    hardsigmoid(): Tensor;
    /** log σ(x), stable for large |x|. @example x.logsigmoid() */
    logsigmoid(): Tensor;
    /** x / (1 + |x|). @example x.softsign() */
    softsign(): Tensor;
    /** x for x > 0, weight·x otherwise (one slope, or one per channel of dim 1). @example x.prelu(tensor([0.25])) */
    prelu(weight: Tensor): Tensor;
    /** a·σ(b) for the two halves a, b of dim (default last). @example x.glu() */
    glu(dim?: number): Tensor;
    // ---- linear algebra ----
    /** Matrix product with NumPy semantics (1-D vectors, broadcast batch dims). @example x.matmul(w.T) */
    matmul(b: Tensor): Tensor;
    /** Batched matrix product of 3-D tensors. @example a.bmm(b) */
    bmm(b: Tensor): Tensor;
    /** Outer product of two vectors. @example u.outer(v) */
    outer(b: Tensor): Tensor;
    /** Dot product of two vectors, as a 0-d tensor. @example u.dot(v) */
    dot(b: Tensor): Tensor;
    /** A 1-D tensor as a diagonal matrix, or a matrix's diagonal as a vector. @example tensor([1, 2]).diag() */
    diag(diagonal?: number): Tensor;
    /** The diagonal of the (dim1, dim2) planes, as the last dim. @example x.diagonal(0, -2, -1) */
    diagonal(offset?: number, dim1?: number, dim2?: number): Tensor;
    /** Sum of a matrix's main diagonal. @example m.trace() */
    trace(): Tensor;
    // ---- shape ----
    /** The same elements under a new shape; one dim may be −1. @example x.reshape([2, -1]) */
    reshape(shape: readonly number[]): Tensor;
    /** Same as reshape. @example x.view([-1]) */
    view(shape: readonly number[]): Tensor;
    /** Reorders dims: out.shape[i] = this.shape[perm[i]]. @example x.permute([0, 2, 1]) */
    permute(perm: readonly number[]): Tensor;
    /** Swaps two dims (default the last two). @example x.transpose(0, 1) */
    transpose(dim0?: number, dim1?: number): Tensor;
    /** The matrix transpose of the last two dims. @example w.T */
    readonly T: Tensor;
    /** Merges dims startDim..endDim into one. @example x.flatten(1) */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** Removes size-1 dims (all, or the ones given). @example x.squeeze(1) */
    squeeze(dim?: number | readonly number[]): Tensor;
    /** Inserts a size-1 dim. @example x.unsqueeze(0) */
    unsqueeze(dim: number): Tensor;
    /** Broadcasts to a larger shape (−1 keeps a dim). @example b.expand([4, -1]) */
    expand(shape: readonly number[]): Tensor;
    /** Pieces of a size, or of the given sizes, along dim. @example const [a, b] = x.split([2, 3], 1) */
    split(sizes: number | readonly number[], dim?: number): Tensor[];
    /** Python-style start:stop:step slicing per dim. @example x.slice([{start: 1}, {step: 2}]) */
    slice(specs: Parameters<typeof shp.slice>[1]): Tensor;
    /** start:stop:step slicing of one dim. @example x.sliceDim(1, 0, -1) */
    sliceDim(dim: number, start: number, stop?: number, step?: number): Tensor;
    /** Entries along dim at the positions of a 1-D int32 index. @example emb.indexSelect(0, ids) */
    indexSelect(dim: number, index: Tensor): Tensor;
    /** torch.gather: values along dim at index's positions. @example logp.gather(1, targets.unsqueeze(1)) */
    gather(dim: number, index: Tensor): Tensor;
    /** `length` entries of dim from `start`. @example x.narrow(1, 0, 2) */
    narrow(dim: number, start: number, length: number): Tensor;
    /** Splits into `chunks` near-equal pieces along dim. @example const [q, k, v] = qkv.chunk(3, -1) */
    chunk(chunks: number, dim?: number): Tensor[];
    /** The slices along dim, each without that dim. @example const rows = m.unbind(0) */
    unbind(dim?: number): Tensor[];
    /** Moves dims to new positions, keeping the others in order. @example x.movedim(1, -1) */
    movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    /** Shifts elements along dims, wrapping around. @example x.roll(1, 0) */
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    /** Reverses the order along dims. @example x.flip([0]) */
    flip(dims: number | readonly number[]): Tensor;
    /** Tiles the tensor: repeats[i] copies along dim i. @example x.repeat([2, 1]) */
    repeat(repeats: readonly number[]): Tensor;
    /** Like repeat; fewer counts than dims repeat the trailing dims. @example x.tile([2]) */
    tile(dims: readonly number[]): Tensor;
    /** Repeats each element along dim. @example x.repeatInterleave(2, 0) */
    repeatInterleave(repeats: number | readonly number[] | Tensor, dim?: number): Tensor;
    // ---- masking and scattering ----
    /** Lower triangle of the last two dims, the rest zero. @example scores.tril() */
    tril(diagonal?: number): Tensor;
    /** Upper triangle of the last two dims, the rest zero. @example ones([4, 4]).triu(1) */
    triu(diagonal?: number): Tensor;
    /** `value` where mask (int32 0/1) is 1. @example scores.maskedFill(mask, -Infinity) */
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    /** A copy with src written at index along dim. @example zeros([2, 3]).scatter(1, idx, 1) */
    scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    /** A copy with src added at index along dim. @example zeros([5]).scatterAdd(0, idx, ones([3])) */
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    /** A copy with alpha·source added at the 1-D index along dim. @example acc.indexAdd(0, ids, rows) */
    indexAdd(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): Tensor;
    /** Values at indices along dim (gather with broadcasting). @example x.takeAlongDim(x.argsort(1), 1) */
    takeAlongDim(indices: Tensor, dim?: number): Tensor;
    // ---- reductions ----
    /** Sum over dims (all when omitted). @example x.sum(1, true) */
    sum(dim?: Dims, keepdim?: boolean): Tensor;
    /** Mean over dims (all when omitted). @example x.mean(0) */
    mean(dim?: Dims, keepdim?: boolean): Tensor;
    /** Variance over dims, with Bessel's correction by default. @example x.var(0, {correction: 0}) */
    var(dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor;
    /** Max over one dim (gradient to the arg-max) or over several / all (ties share it). @example x.max(1) */
    max(dim?: Dims, keepdim?: boolean): Tensor;
    /** Min over one dim (gradient to the arg-min) or over several / all (ties share it). @example x.min() */
    min(dim?: Dims, keepdim?: boolean): Tensor;
    /** log Σ eˣ over dims, computed stably. @example logits.logSumExp(1) */
    logSumExp(dim?: Dims, keepdim?: boolean): Tensor;
    /** Softmax along dim (default last). @example logits.softmax(-1) */
    softmax(dim?: number): Tensor;
    /** Log-softmax along dim (default last), computed stably. @example logits.logSoftmax() */
    logSoftmax(dim?: number): Tensor;
    /** Index of the max along dim (flattened when omitted), int32. @example logits.argmax(1) */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    /** Index of the min along dim (flattened when omitted), int32. @example d.argmin(1) */
    argmin(dim?: number, keepdim?: boolean): Tensor;
    /** Max over dims; ties share the gradient (torch.amax). @example x.amax([1, 2]) */
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    /** Min over dims; ties share the gradient (torch.amin). @example x.amin(0) */
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    /** Product over dims (all when omitted). @example x.prod(1) */
    prod(dim?: Dims, keepdim?: boolean): Tensor;
    /** Running sums along dim. @example x.cumsum(0) */
    cumsum(dim: number): Tensor;
    /** Running products along dim. @example x.cumprod(0) */
    cumprod(dim: number): Tensor;
    /** Vector p-norm over dims (default p 'fro' = 2, all dims). @example g.norm(2, -1) */
    norm(p?: red.NormOrd, dim?: Dims, keepdim?: boolean): Tensor;
    /** Standard deviation over dims, with Bessel's correction by default. @example x.std(0) */
    std(dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor;
    /** 1 where any element over dims is non-zero, as int32. @example x.isnan().any() */
    any(dim?: Dims, keepdim?: boolean): Tensor;
    /** 1 where every element over dims is non-zero, as int32. @example x.gt(0).all(1) */
    all(dim?: Dims, keepdim?: boolean): Tensor;
    /** Sorted values and their positions along dim (stable). @example const { values, indices } = x.sort(-1, true) */
    sort(dim?: number, descending?: boolean): srt.SortResult;
    /** The positions that sort dim (stable). @example x.argsort(0) */
    argsort(dim?: number, descending?: boolean): Tensor;
    /** The k largest (or smallest) along dim, with their positions. @example logits.topk(5).indices */
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): srt.SortResult;
    // ---- sampling (host-side; CPU tensors) ----
    /** Samples category indices from rows of weights (host-side; CPU tensors). @example probs.multinomial(1, {generator}) */
    multinomial(numSamples: number, opts?: smp.MultinomialOptions): Tensor;
    // ---- comparisons (no gradient; int32 0/1) ----
    /** 1 where this = b, else 0 (int32, no gradient). @example pred.eq(y) */
    eq(b: TensorLike): Tensor;
    /** 1 where this ≠ b, else 0 (int32, no gradient). @example x.ne(0) */
    ne(b: TensorLike): Tensor;
    /** 1 where this < b, else 0 (int32, no gradient). @example x.lt(0) */
    lt(b: TensorLike): Tensor;
    /** 1 where this ≤ b, else 0 (int32, no gradient). @example x.le(1) */
    le(b: TensorLike): Tensor;
    /** 1 where this > b, else 0 (int32, no gradient). @example x.gt(0) */
    gt(b: TensorLike): Tensor;
    /** 1 where this ≥ b, else 0 (int32, no gradient). @example x.ge(0.5) */
    ge(b: TensorLike): Tensor;
  }
}

/** `to(target)`: a dtype casts, a device copies (a leaf that requires grad stays one there). */
function to(x: Tensor, target: DType | Device): Tensor {
  if (isDType(target)) return ew.cast(x, target);
  if (!isDevice(target)) throw new ValueError(`to: expected a dtype (float32, float64, int32) or a device ('cpu', 'webgpu'), got '${String(target)}'`);
  if (target === x.device) return x;
  const y = cp.toDevice(x, target);
  if (x.requiresGrad && x.isLeaf) y.requiresGrad = true;
  return y;
}

const methods: ThisType<Tensor> & Record<string, unknown> = {
  backward(this: Tensor, gradient?: Tensor | BackwardOptions, opts?: BackwardOptions): void {
    if (gradient instanceof Tensor || gradient === undefined) runBackward(this, gradient, opts);
    else runBackward(this, undefined, gradient);
  },
  zeroGrad(this: Tensor): void { this.replaceGrad(null); },
  clone(this: Tensor): Tensor { return cp.clone(this); },
  to(this: Tensor, target: DType | Device): Tensor { return to(this, target); },
  async toAsync(this: Tensor, device: Device): Promise<Tensor> {
    if (device === this.device) return this;
    const y = await cp.toDeviceAsync(this, device);
    if (this.requiresGrad && this.isLeaf) y.requiresGrad = true;
    return y;
  },
  float(this: Tensor): Tensor { return ew.cast(this, 'float32'); },
  double(this: Tensor): Tensor { return ew.cast(this, 'float64'); },
  int(this: Tensor): Tensor { return ew.cast(this, 'int32'); },
  add(this: Tensor, b: TensorLike): Tensor { return ew.add(this, b); },
  sub(this: Tensor, b: TensorLike): Tensor { return ew.sub(this, b); },
  mul(this: Tensor, b: TensorLike): Tensor { return ew.mul(this, b); },
  div(this: Tensor, b: TensorLike): Tensor { return ew.div(this, b); },
  pow(this: Tensor, b: TensorLike): Tensor { return ew.pow(this, b); },
  neg(this: Tensor): Tensor { return ew.neg(this); },
  exp(this: Tensor): Tensor { return ew.exp(this); },
  log(this: Tensor): Tensor { return ew.log(this); },
  sqrt(this: Tensor): Tensor { return ew.sqrt(this); },
  abs(this: Tensor): Tensor { return ew.abs(this); },
  erf(this: Tensor): Tensor { return ew.erf(this); },
  clamp(this: Tensor, min?: number | null, max?: number | null): Tensor { return ew.clamp(this, min, max); },
  maximum(this: Tensor, b: TensorLike): Tensor { return ew.maximum(this, b); },
  minimum(this: Tensor, b: TensorLike): Tensor { return ew.minimum(this, b); },
  sin(this: Tensor): Tensor { return mth.sin(this); },
  cos(this: Tensor): Tensor { return mth.cos(this); },
  tan(this: Tensor): Tensor { return mth.tan(this); },
  asin(this: Tensor): Tensor { return mth.asin(this); },
  acos(this: Tensor): Tensor { return mth.acos(this); },
  atan(this: Tensor): Tensor { return mth.atan(this); },
  atan2(this: Tensor, other: TensorLike): Tensor { return mth.atan2(this, other); },
  sinh(this: Tensor): Tensor { return mth.sinh(this); },
  cosh(this: Tensor): Tensor { return mth.cosh(this); },
  log1p(this: Tensor): Tensor { return mth.log1p(this); },
  expm1(this: Tensor): Tensor { return mth.expm1(this); },
  log2(this: Tensor): Tensor { return mth.log2(this); },
  log10(this: Tensor): Tensor { return mth.log10(this); },
  rsqrt(this: Tensor): Tensor { return mth.rsqrt(this); },
  reciprocal(this: Tensor): Tensor { return mth.reciprocal(this); },
  square(this: Tensor): Tensor { return mth.square(this); },
  sign(this: Tensor): Tensor { return mth.sign(this); },
  floor(this: Tensor): Tensor { return mth.floor(this); },
  ceil(this: Tensor): Tensor { return mth.ceil(this); },
  round(this: Tensor): Tensor { return mth.round(this); },
  trunc(this: Tensor): Tensor { return mth.trunc(this); },
  fmod(this: Tensor, other: TensorLike): Tensor { return mth.fmod(this, other); },
  remainder(this: Tensor, other: TensorLike): Tensor { return mth.remainder(this, other); },
  lerp(this: Tensor, end: TensorLike, weight: TensorLike): Tensor { return mth.lerp(this, end, weight); },
  addcmul(this: Tensor, tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): Tensor { return mth.addcmul(this, tensor1, tensor2, opts); },
  isnan(this: Tensor): Tensor { return mth.isnan(this); },
  isfinite(this: Tensor): Tensor { return ew.isfinite(this); },
  nanToNum(this: Tensor, opts?: mth.NanToNumOptions): Tensor { return mth.nanToNum(this, opts); },
  sigmoid(this: Tensor): Tensor { return act.sigmoid(this); },
  tanh(this: Tensor): Tensor { return act.tanh(this); },
  relu(this: Tensor): Tensor { return act.relu(this); },
  leakyRelu(this: Tensor, slope?: number): Tensor { return act.leakyRelu(this, slope); },
  elu(this: Tensor, alpha?: number): Tensor { return act.elu(this, alpha); },
  gelu(this: Tensor): Tensor { return act.gelu(this); },
  softplus(this: Tensor): Tensor { return act.softplus(this); },
  silu(this: Tensor): Tensor { return act.silu(this); },
  mish(this: Tensor): Tensor { return act.mish(this); },
  selu(this: Tensor): Tensor { return act.selu(this); },
  celu(this: Tensor, alpha?: number): Tensor { return act.celu(this, alpha); },
  hardtanh(this: Tensor, opts?: act.HardtanhOptions): Tensor { return act.hardtanh(this, opts); },
  relu6(this: Tensor): Tensor { return act.relu6(this); },
  hardswish(this: Tensor): Tensor { return act.hardswish(this); },
  hardsigmoid(this: Tensor): Tensor { return act.hardsigmoid(this); },
  logsigmoid(this: Tensor): Tensor { return act.logsigmoid(this); },
  softsign(this: Tensor): Tensor { return act.softsign(this); },
  prelu(this: Tensor, weight: Tensor): Tensor { return act.prelu(this, weight); },
  glu(this: Tensor, dim?: number): Tensor { return act.glu(this, dim); },
  matmul(this: Tensor, b: Tensor): Tensor { return mmul.matmul(this, b); },
  bmm(this: Tensor, b: Tensor): Tensor { return mmul.bmm(this, b); },
  outer(this: Tensor, b: Tensor): Tensor { return mmul.outer(this, b); },
  dot(this: Tensor, b: Tensor): Tensor { return mmul.dot(this, b); },
  diag(this: Tensor, diagonal?: number): Tensor { return strd.diag(this, diagonal); },
  diagonal(this: Tensor, offset?: number, dim1?: number, dim2?: number): Tensor { return strd.diagonal(this, offset, dim1, dim2); },
  trace(this: Tensor): Tensor { return strd.trace(this); },
  reshape(this: Tensor, shape: readonly number[]): Tensor { return shp.reshape(this, shape); },
  view(this: Tensor, shape: readonly number[]): Tensor { return shp.reshape(this, shape); },
  permute(this: Tensor, perm: readonly number[]): Tensor { return shp.permute(this, perm); },
  transpose(this: Tensor, dim0?: number, dim1?: number): Tensor { return shp.transpose(this, dim0, dim1); },
  flatten(this: Tensor, startDim?: number, endDim?: number): Tensor { return shp.flatten(this, startDim, endDim); },
  squeeze(this: Tensor, dim?: number | readonly number[]): Tensor { return shp.squeeze(this, dim); },
  unsqueeze(this: Tensor, dim: number): Tensor { return shp.unsqueeze(this, dim); },
  expand(this: Tensor, shape: readonly number[]): Tensor { return shp.expand(this, shape); },
  split(this: Tensor, sizes: number | readonly number[], dim?: number): Tensor[] { return shp.split(this, sizes, dim); },
  slice(this: Tensor, specs: Parameters<typeof shp.slice>[1]): Tensor { return shp.slice(this, specs); },
  sliceDim(this: Tensor, dim: number, start: number, stop?: number, step?: number): Tensor { return shp.sliceDim(this, dim, start, stop, step); },
  indexSelect(this: Tensor, dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); },
  gather(this: Tensor, dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); },
  narrow(this: Tensor, dim: number, start: number, length: number): Tensor { return shp.narrow(this, dim, start, length); },
  chunk(this: Tensor, chunks: number, dim?: number): Tensor[] { return shp.chunk(this, chunks, dim); },
  unbind(this: Tensor, dim?: number): Tensor[] { return shp.unbind(this, dim); },
  movedim(this: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor { return shp.movedim(this, source, destination); },
  roll(this: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor { return shp.roll(this, shifts, dims); },
  flip(this: Tensor, dims: number | readonly number[]): Tensor { return strd.flip(this, dims); },
  repeat(this: Tensor, repeats: readonly number[]): Tensor { return rep.repeat(this, repeats); },
  tile(this: Tensor, dims: readonly number[]): Tensor { return rep.tile(this, dims); },
  repeatInterleave(this: Tensor, repeats: number | readonly number[] | Tensor, dim?: number): Tensor { return rep.repeatInterleave(this, repeats, dim); },
  tril(this: Tensor, diagonal?: number): Tensor { return msk.tril(this, diagonal); },
  triu(this: Tensor, diagonal?: number): Tensor { return msk.triu(this, diagonal); },
  maskedFill(this: Tensor, mask: Tensor, value: number | Tensor): Tensor { return msk.maskedFill(this, mask, value); },
  scatter(this: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor { return idx.scatter(this, dim, index, src); },
  scatterAdd(this: Tensor, dim: number, index: Tensor, src: Tensor): Tensor { return idx.scatterAdd(this, dim, index, src); },
  indexAdd(this: Tensor, dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): Tensor { return idx.indexAdd(this, dim, index, source, opts); },
  takeAlongDim(this: Tensor, indices: Tensor, dim?: number): Tensor { return idx.takeAlongDim(this, indices, dim); },
  sum(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.sum(this, dim, keepdim); },
  mean(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.mean(this, dim, keepdim); },
  var(this: Tensor, dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor { return red.variance(this, dim, opts); },
  max(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.max(this, dim, keepdim); },
  min(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.min(this, dim, keepdim); },
  logSumExp(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.logSumExp(this, dim, keepdim); },
  softmax(this: Tensor, dim?: number): Tensor { return sm.softmax(this, dim); },
  logSoftmax(this: Tensor, dim?: number): Tensor { return sm.logSoftmax(this, dim); },
  argmax(this: Tensor, dim?: number, keepdim?: boolean): Tensor { return red.argmax(this, dim, keepdim); },
  argmin(this: Tensor, dim?: number, keepdim?: boolean): Tensor { return red.argmin(this, dim, keepdim); },
  amax(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.amax(this, dim, keepdim); },
  amin(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.amin(this, dim, keepdim); },
  prod(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.prod(this, dim, keepdim); },
  cumsum(this: Tensor, dim: number): Tensor { return scn.cumsum(this, dim); },
  cumprod(this: Tensor, dim: number): Tensor { return scn.cumprod(this, dim); },
  norm(this: Tensor, p?: red.NormOrd, dim?: Dims, keepdim?: boolean): Tensor { return red.norm(this, p, dim, keepdim); },
  std(this: Tensor, dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor { return red.std(this, dim, opts); },
  any(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.any(this, dim, keepdim); },
  all(this: Tensor, dim?: Dims, keepdim?: boolean): Tensor { return red.all(this, dim, keepdim); },
  sort(this: Tensor, dim?: number, descending?: boolean): srt.SortResult { return srt.sort(this, dim, descending); },
  argsort(this: Tensor, dim?: number, descending?: boolean): Tensor { return srt.argsort(this, dim, descending); },
  topk(this: Tensor, k: number, dim?: number, largest?: boolean, sorted?: boolean): srt.SortResult { return srt.topk(this, k, dim, largest, sorted); },
  multinomial(this: Tensor, numSamples: number, opts?: smp.MultinomialOptions): Tensor { return smp.multinomial(this, numSamples, opts); },
  eq(this: Tensor, b: TensorLike): Tensor { return ew.eq(this, b); },
  ne(this: Tensor, b: TensorLike): Tensor { return ew.ne(this, b); },
  lt(this: Tensor, b: TensorLike): Tensor { return ew.lt(this, b); },
  le(this: Tensor, b: TensorLike): Tensor { return ew.le(this, b); },
  gt(this: Tensor, b: TensorLike): Tensor { return ew.gt(this, b); },
  ge(this: Tensor, b: TensorLike): Tensor { return ew.ge(this, b); },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor): Tensor { return shp.transpose(this); },
  configurable: true,
  enumerable: false,
});

/** True once the fluent methods are on Tensor's prototype (the library entry installs them). @example tensorMethodsInstalled // true */
export const tensorMethodsInstalled = true;
