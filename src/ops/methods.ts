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
    // ---- activations ----
    sigmoid(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(): Tensor;
    softplus(): Tensor;
    // ---- linear algebra ----
    matmul(b: Tensor): Tensor;
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
  sigmoid(this: Tensor): Tensor { return act.sigmoid(this); },
  tanh(this: Tensor): Tensor { return act.tanh(this); },
  relu(this: Tensor): Tensor { return act.relu(this); },
  leakyRelu(this: Tensor, slope?: number): Tensor { return act.leakyRelu(this, slope); },
  elu(this: Tensor, alpha?: number): Tensor { return act.elu(this, alpha); },
  gelu(this: Tensor): Tensor { return act.gelu(this); },
  softplus(this: Tensor): Tensor { return act.softplus(this); },
  matmul(this: Tensor, b: Tensor): Tensor { return mmul.matmul(this, b); },
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
