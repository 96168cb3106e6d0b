import type { DType, TypedArray } from '../backend/backend.js';
import { AutogradError, DTypeError, ValueError } from '../errors.js';
import { arrayFor, dtypeOfArray, isFloat } from './dtype.js';
import { sizeOf, stridesOf } from './shape.js';
import type { Node, BackwardOptions } from '../autograd/engine.js';
import * as autograd from '../autograd/engine.js';
import { addHook, type RemovableHandle } from '../autograd/hooks.js';
import * as ew from '../ops/elementwise.js';
import * as act from '../ops/activation.js';
import * as shp from '../ops/shape.js';
import * as red from '../ops/reduce.js';
import * as sm from '../ops/softmax.js';
import * as idx from '../ops/indexing.js';
import * as mmul from '../ops/matmul.js';

export type TensorLike = Tensor | number;
/** Nested arrays of numbers, as returned by toArray(). */
export type NestedArray = number | NestedArray[];
type Dims = number | readonly number[];

/**
 * An n-dimensional, row-major array with a dtype, and the node of the graph that produced it.
 * Storage is always contiguous, so `data` is the flat typed array in row-major order.
 * @example const x = tensor([[1, 2], [3, 4]], {requiresGrad: true}); x.mul(x).sum().backward(); x.grad // 2x
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The gradient accumulated by backward (leaves, and tensors that called retainGrad). */
  grad: Tensor | null = null;
  /** The op application that produced this tensor; null for leaves. */
  node: Node | null = null;
  /** @internal set by retainGrad() */
  retainsGrad = false;
  /** @internal gradient hooks, run by backward in registration order (see registerHook) */
  gradHooks: ((grad: Tensor) => Tensor | void)[] | null = null;
  private _data: TypedArray;
  private _requiresGrad = false;

  /** @internal use tensor(), zeros(), ... to create tensors */
  constructor(data: TypedArray, shape: readonly number[]) {
    this._data = data;
    this.shape = shape;
    this.dtype = dtypeOfArray(data);
  }

  /** @internal wraps a kernel's output buffer */
  static fromRaw(data: TypedArray, shape: readonly number[]): Tensor {
    return new Tensor(data, [...shape]);
  }

  /** @internal a 0-d tensor */
  static scalar(v: number, dtype: DType = 'float32'): Tensor {
    const a = arrayFor(dtype, 1);
    a[0] = v;
    return new Tensor(a, []);
  }

  /** @internal */
  static onesOf(shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(arrayFor(dtype, sizeOf(shape)).fill(1), [...shape]);
  }

  /** @internal */
  static zerosOf(shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(arrayFor(dtype, sizeOf(shape)), [...shape]);
  }

  /** The flat contiguous typed array, row-major. */
  get data(): TypedArray {
    return this._data;
  }

  /** Number of elements. */
  get size(): number {
    return this._data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Whether gradients flow to (leaf) or through (non-leaf) this tensor. */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(v: boolean) {
    if (this.node !== null && !v) {
      throw new AutogradError('requiresGrad: cannot turn off requiresGrad on a non-leaf tensor; use .detach() instead');
    }
    if (v && !isFloat(this.dtype)) {
      throw new DTypeError(`requiresGrad: only floating tensors can require gradients, got ${this.dtype}`);
    }
    this._requiresGrad = v;
  }

  /** Sets requiresGrad in place and returns this, like PyTorch's requires_grad_(). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  /** @internal */
  markNonLeafRequiresGrad(): void {
    this._requiresGrad = true;
  }

  get isLeaf(): boolean {
    return this.node === null;
  }

  /** Keep .grad on this non-leaf tensor after backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /**
   * Calls fn with the gradient w.r.t. this tensor each time backward computes it (before it
   * reaches `.grad` or flows further down the graph). fn may return a replacement gradient of
   * the same shape, as PyTorch's `register_hook`.
   * @example const h = x.registerHook((g) => g.mul(2)); y.backward(); h.remove();
   */
  registerHook(fn: (grad: Tensor) => Tensor | void): RemovableHandle {
    if (!this._requiresGrad) {
      throw new AutogradError("registerHook: cannot register a hook on a tensor that doesn't require grad");
    }
    this.gradHooks ??= [];
    return addHook(this.gradHooks, fn);
  }

  /** The size of one dim, or the shape. */
  dim(d: number): number {
    const r = this.shape.length;
    const i = d < 0 ? d + r : d;
    if (i < 0 || i >= r) throw new ValueError(`dim: ${d} is out of range for rank ${r}`);
    return this.shape[i]!;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ValueError(`item: only one-element tensors can be converted to a number, this one has shape [${this.shape.join(',')}]`);
    return this._data[0]!;
  }

  /** Nested JS arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this._data[0]!;
    const strides = stridesOf(this.shape);
    const build = (d: number, off: number): NestedArray[] => {
      const n = this.shape[d]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = d === this.shape.length - 1 ? this._data[off + i]! : build(d + 1, off + i * strides[d]!);
      }
      return out;
    };
    return build(0, 0);
  }

  /** A tensor sharing this data but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this._data, this.shape);
  }

  /** A copy with its own storage (cut from the graph). */
  clone(): Tensor {
    return new Tensor(this._data.slice(), this.shape);
  }

  /**
   * Backpropagation: accumulates ∂this/∂leaf into every leaf's `.grad`. A non-scalar tensor
   * needs a gradient of its own shape. @example loss.backward()
   */
  backward(gradient?: Tensor | BackwardOptions, opts?: BackwardOptions): void {
    if (gradient instanceof Tensor || gradient === undefined) autograd.backward(this, gradient, opts);
    else autograd.backward(this, undefined, gradient);
  }

  /** Clears .grad. */
  zeroGrad(): void {
    this.grad = null;
  }

  /** Casts to another dtype (differentiable between float dtypes). */
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }
  float(): Tensor { return ew.cast(this, 'float32'); }
  double(): Tensor { return ew.cast(this, 'float64'); }
  int(): Tensor { return ew.cast(this, 'int32'); }

  toString(): string {
    return `tensor(${JSON.stringify(this.toArray())}, dtype=${this.dtype}${this._requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- arithmetic ----
  add(b: TensorLike): Tensor { return ew.add(this, b); }
  sub(b: TensorLike): Tensor { return ew.sub(this, b); }
  mul(b: TensorLike): Tensor { return ew.mul(this, b); }
  div(b: TensorLike): Tensor { return ew.div(this, b); }
  pow(b: TensorLike): Tensor { return ew.pow(this, b); }
  neg(): Tensor { return ew.neg(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  abs(): Tensor { return ew.abs(this); }
  erf(): Tensor { return ew.erf(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return ew.clamp(this, min, max); }
  maximum(b: TensorLike): Tensor { return ew.maximum(this, b); }
  minimum(b: TensorLike): Tensor { return ew.minimum(this, b); }
  // ---- activations ----
  sigmoid(): Tensor { return act.sigmoid(this); }
  tanh(): Tensor { return act.tanh(this); }
  relu(): Tensor { return act.relu(this); }
  leakyRelu(slope?: number): Tensor { return act.leakyRelu(this, slope); }
  elu(alpha?: number): Tensor { return act.elu(this, alpha); }
  gelu(): Tensor { return act.gelu(this); }
  softplus(): Tensor { return act.softplus(this); }
  // ---- linear algebra ----
  matmul(b: Tensor): Tensor { return mmul.matmul(this, b); }
  // ---- shape ----
  reshape(shape: readonly number[]): Tensor { return shp.reshape(this, shape); }
  view(shape: readonly number[]): Tensor { return shp.reshape(this, shape); }
  permute(perm: readonly number[]): Tensor { return shp.permute(this, perm); }
  transpose(dim0?: number, dim1?: number): Tensor { return shp.transpose(this, dim0, dim1); }
  /** Matrix transpose of the last two dims. */
  get T(): Tensor { return shp.transpose(this); }
  flatten(startDim?: number, endDim?: number): Tensor { return shp.flatten(this, startDim, endDim); }
  squeeze(dim?: number | readonly number[]): Tensor { return shp.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return shp.unsqueeze(this, dim); }
  expand(shape: readonly number[]): Tensor { return shp.expand(this, shape); }
  split(sizes: number | readonly number[], dim?: number): Tensor[] { return shp.split(this, sizes, dim); }
  slice(specs: Parameters<typeof shp.slice>[1]): Tensor { return shp.slice(this, specs); }
  sliceDim(dim: number, start: number, stop?: number, step?: number): Tensor { return shp.sliceDim(this, dim, start, stop, step); }
  indexSelect(dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); }
  // ---- reductions ----
  sum(dim?: Dims, keepdim?: boolean): Tensor { return red.sum(this, dim, keepdim); }
  mean(dim?: Dims, keepdim?: boolean): Tensor { return red.mean(this, dim, keepdim); }
  var(dim?: Dims, opts?: { keepdim?: boolean; correction?: number }): Tensor { return red.variance(this, dim, opts); }
  max(dim?: Dims, keepdim?: boolean): Tensor { return red.max(this, dim, keepdim); }
  min(dim?: Dims, keepdim?: boolean): Tensor { return red.min(this, dim, keepdim); }
  logSumExp(dim?: Dims, keepdim?: boolean): Tensor { return red.logSumExp(this, dim, keepdim); }
  softmax(dim?: number): Tensor { return sm.softmax(this, dim); }
  logSoftmax(dim?: number): Tensor { return sm.logSoftmax(this, dim); }
  argmax(dim?: number, keepdim?: boolean): Tensor { return red.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim?: boolean): Tensor { return red.argmin(this, dim, keepdim); }
  // ---- comparisons (no gradient; int32 0/1) ----
  eq(b: TensorLike): Tensor { return ew.eq(this, b); }
  ne(b: TensorLike): Tensor { return ew.ne(this, b); }
  lt(b: TensorLike): Tensor { return ew.lt(this, b); }
  le(b: TensorLike): Tensor { return ew.le(this, b); }
  gt(b: TensorLike): Tensor { return ew.gt(this, b); }
  ge(b: TensorLike): Tensor { return ew.ge(this, b); }
}
