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
     * Backpropagation: accumulates ∂this/∂leaf into every leaf's `.grad`. A non-scalar tensor
     * needs a gradient of its own shape. @example loss.backward()
     */
    backward(gradient?: Tensor | BackwardOptions, opts?: BackwardOptions): void;
    /** Clears .grad. */
    zeroGrad(): void;
    /** A copy with its own storage on the same device (differentiable). */
    clone(): Tensor;
    /**
     * Casts to another dtype (differentiable between float dtypes), or copies to another device
     * (host → GPU; GPU → host needs `await toAsync('cpu')`). @example x.to('float64'); x.to('webgpu')
     */
    to(target: DType | Device): Tensor;
    /** Copies to a device in any direction, waiting for a GPU readback if needed. */
    toAsync(device: Device): Promise<Tensor>;
    float(): Tensor;
    double(): Tensor;
    int(): Tensor;
    // ---- arithmetic ----
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    erf(): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tan(): Tensor;
    asin(): Tensor;
    acos(): Tensor;
    atan(): Tensor;
    /** atan2(this, other): the angle of the point (other, this). */
    atan2(other: TensorLike): Tensor;
    sinh(): Tensor;
    cosh(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    log2(): Tensor;
    log10(): Tensor;
    rsqrt(): Tensor;
    reciprocal(): Tensor;
    square(): Tensor;
    sign(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    /** Half to even, as torch.round. */
    round(): Tensor;
    trunc(): Tensor;
    fmod(other: TensorLike): Tensor;
    remainder(other: TensorLike): Tensor;
    lerp(end: TensorLike, weight: TensorLike): Tensor;
    addcmul(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): Tensor;
    /** int32 0/1, no gradient. */
    isnan(): Tensor;
    /** int32 0/1, no gradient. */
    isfinite(): Tensor;
    nanToNum(opts?: mth.NanToNumOptions): Tensor;
    // ---- activations ----
    sigmoid(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(): Tensor;
    softplus(): Tensor;
    silu(): Tensor;
    mish(): Tensor;
    selu(): Tensor;
    celu(alpha?: number): Tensor;
    hardtanh(opts?: act.HardtanhOptions): Tensor;
    relu6(): Tensor;
    hardswish(): Tensor;
    hardsigmoid(): Tensor;
    logsigmoid(): Tensor;
    softsign(): Tensor;
    prelu(weight: Tensor): Tensor;
    glu(dim?: number): Tensor;
    // ---- linear algebra ----
    matmul(b: Tensor): Tensor;
    bmm(b: Tensor): Tensor;
    outer(b: Tensor): Tensor;
    dot(b: Tensor): Tensor;
    diag(diagonal?: number): Tensor;
    diagonal(offset?: number, dim1?: number, dim2?: number): Tensor;
    trace(): Tensor;
    // ---- shape ----
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    permute(perm: readonly number[]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    /** Matrix transpose of the last two dims. */
    readonly T: Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    split(sizes: number | readonly number[], dim?: number): Tensor[];
    slice(specs: Parameters<typeof shp.slice>[1]): Tensor;
    sliceDim(dim: number, start: number, stop?: number, step?: number): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    chunk(chunks: number, dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    flip(dims: number | readonly number[]): Tensor;
    repeat(repeats: readonly number[]): Tensor;
    tile(dims: readonly number[]): Tensor;
    repeatInterleave(repeats: number | readonly number[] | Tensor, dim?: number): Tensor;
    // ---- masking and scattering ----
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    indexAdd(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): Tensor;
    takeAlongDim(indices: Tensor, dim?: number): Tensor;
    // ---- reductions ----
    sum(dim?: Dims, keepdim?: boolean): Tensor;
    mean(dim?: Dims, keepdim?: boolean): Tensor;
    var(dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor;
    max(dim?: Dims, keepdim?: boolean): Tensor;
    min(dim?: Dims, keepdim?: boolean): Tensor;
    logSumExp(dim?: Dims, keepdim?: boolean): Tensor;
    softmax(dim?: number): Tensor;
    logSoftmax(dim?: number): Tensor;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    prod(dim?: Dims, keepdim?: boolean): Tensor;
    cumsum(dim: number): Tensor;
    cumprod(dim: number): Tensor;
    norm(p?: red.NormOrd, dim?: Dims, keepdim?: boolean): Tensor;
    std(dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor;
    /** int32 0/1. */
    any(dim?: Dims, keepdim?: boolean): Tensor;
    /** int32 0/1. */
    all(dim?: Dims, keepdim?: boolean): Tensor;
    sort(dim?: number, descending?: boolean): srt.SortResult;
    argsort(dim?: number, descending?: boolean): Tensor;
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): srt.SortResult;
    // ---- sampling (host-side; CPU tensors) ----
    multinomial(numSamples: number, opts?: smp.MultinomialOptions): Tensor;
    // ---- comparisons (no gradient; int32 0/1) ----
    eq(b: TensorLike): Tensor;
    ne(b: TensorLike): Tensor;
    lt(b: TensorLike): Tensor;
    le(b: TensorLike): Tensor;
    gt(b: TensorLike): Tensor;
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
  zeroGrad(this: Tensor): void { this.grad = null; },
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

/** True once the fluent methods are on Tensor's prototype (the library entry installs them). */
export const tensorMethodsInstalled = true;
