import type { Device, DType, Storage, TypedArray } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { AutogradError, DeviceError, DTypeError, ValueError, fmtShape } from '../errors.js';
import { arrayFor, isFloat, isTypedArray, storageDType } from './dtype.js';
import { sizeOf, stridesOf } from './shape.js';
import type { Node } from '../autograd/node.js';
import { addHook, type RemovableHandle } from '../autograd/hooks.js';

export type TensorLike = Tensor | number;
/**
 * Nested arrays of numbers, as returned by toArray() and taken by tensor(); a 0-d tensor is a bare number.
 * @example const rows: NestedArray = [[1, 2], [3, 4]]; tensor(rows).toArray() // [[1, 2], [3, 4]]
 */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional, row-major array with a dtype, a device, and the node of the graph that
 * produced it. Storage is always contiguous: on the CPU `data` is the flat typed array in
 * row-major order; on the GPU the elements are read with `await dataAsync()`.
 *
 * This module holds no math: the methods that compute (`x.add(y)`, `x.sum()`, `loss.backward()`,
 * ...) are installed by the op library (src/ops/methods.ts), so tensor/ imports no ops.
 * @example const x = tensor([[1, 2], [3, 4]], {requiresGrad: true}); x.mul(x).sum().backward(); x.grad // 2x
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  private _grad: Tensor | null = null;
  /**
   * backward allocated .grad's storage on a device that gives storage back early (the GPU), and no
   * code outside the library has read .grad since: replacing or clearing it returns the storage
   */
  private _gradOwned = false;
  /** The op application that produced this tensor; null for leaves. */
  node: Node | null = null;
  /** @internal set by retainGrad() */
  retainsGrad = false;
  /** @internal gradient hooks, run by backward in registration order (see registerHook) */
  gradHooks: ((grad: Tensor) => Tensor | void)[] | null = null;
  private _storage: Storage;
  private _device: Device;
  private _requiresGrad = false;

  /** The gradient accumulated by backward (leaves, and tensors that called retainGrad). */
  get grad(): Tensor | null {
    this._gradOwned = false; // handed out: it may be kept anywhere now
    return this._grad;
  }

  set grad(g: Tensor | null) {
    this._grad = g;
    this._gradOwned = false;
  }

  /** @internal .grad without handing it out (optimizers, clipping, backward's accumulation) */
  peekGrad(): Tensor | null {
    return this._grad;
  }

  /**
   * @internal Replaces .grad (null clears it), as zeroGrad, clipping and backward do. `owned`:
   * the new gradient is a buffer the library just allocated and no user code has seen. The old
   * gradient's storage goes back to its device's pool at once when the library still owned it,
   * so GPU training steps reuse their gradient buffers instead of waiting for garbage collection.
   */
  replaceGrad(g: Tensor | null, owned = false): void {
    const old = this._grad;
    if (old !== null && this._gradOwned && old.storage !== g?.storage) backendFor(old.device).release?.(old.storage);
    this._grad = g;
    this._gradOwned = g !== null && owned;
  }

  /** @internal use tensor(), zeros(), ... to create tensors */
  constructor(storage: Storage, shape: readonly number[]) {
    this._storage = storage;
    this.shape = shape;
    this.dtype = storageDType(storage);
    this._device = isTypedArray(storage) ? 'cpu' : storage.device;
  }

  /** @internal wraps a kernel's output storage */
  static fromRaw(storage: Storage, shape: readonly number[]): Tensor {
    return new Tensor(storage, [...shape]);
  }

  /** @internal a 0-d CPU tensor (JS numbers in `x.mul(2)` become these) */
  static scalar(v: number, dtype: DType = 'float32'): Tensor {
    const a = arrayFor(dtype, 1);
    a[0] = v;
    return new Tensor(a, []);
  }

  /** @internal a tensor of `shape` filled with `value` on `device` */
  static filled(shape: readonly number[], dtype: DType, value: number, device: Device = 'cpu'): Tensor {
    const b = backendFor(device);
    if (value === 0) return new Tensor(b.alloc(dtype, sizeOf(shape)), [...shape]);
    const a = arrayFor(dtype, sizeOf(shape)).fill(value);
    return new Tensor(device === 'cpu' ? a : b.upload(a), [...shape]);
  }

  /** @internal */
  static onesOf(shape: readonly number[], dtype: DType, device: Device = 'cpu'): Tensor {
    return Tensor.filled(shape, dtype, 1, device);
  }

  /** @internal */
  static zerosOf(shape: readonly number[], dtype: DType, device: Device = 'cpu'): Tensor {
    return Tensor.filled(shape, dtype, 0, device);
  }

  /** Where the elements live: 'cpu' or 'webgpu'. */
  get device(): Device {
    return this._device;
  }

  /** @internal the backend storage (a typed array on the CPU, a GPU buffer on webgpu) */
  get storage(): Storage {
    return this._storage;
  }

  /**
   * @internal replaces the elements in place, keeping this object (optimizer updates, loading
   * state, moving a module's parameters to another device). The shape and dtype stay.
   */
  setStorage(storage: Storage): void {
    if (storageDType(storage) !== this.dtype || storage.length !== this._storage.length) {
      throw new ValueError(`setStorage: expected ${this._storage.length} ${this.dtype} values, got ${storage.length} ${storageDType(storage)}`);
    }
    this._storage = storage;
    this._device = isTypedArray(storage) ? 'cpu' : storage.device;
  }

  /**
   * The flat contiguous typed array, row-major, for a CPU tensor. A GPU tensor cannot be read
   * synchronously: use `await t.dataAsync()`.
   */
  get data(): TypedArray {
    const s = this._storage;
    if (isTypedArray(s)) return s;
    throw new DeviceError(`data: this tensor lives on '${this._device}' and cannot be read synchronously; use await t.dataAsync() (or toArrayAsync() / itemAsync())`);
  }

  /** The elements as a flat typed array, on every device (a copy on the GPU, the live array on the CPU). */
  async dataAsync(): Promise<TypedArray> {
    const s = this._storage;
    if (isTypedArray(s)) return s;
    return backendFor(this._device).read(s);
  }

  /** Nested JS arrays, on every device. */
  async toArrayAsync(): Promise<NestedArray> {
    return nest(this.shape, await this.dataAsync());
  }

  /** The single value of a one-element tensor, on every device. */
  async itemAsync(): Promise<number> {
    this.checkOneElement('itemAsync');
    return (await this.dataAsync())[0]!;
  }

  /** Number of elements. */
  get size(): number {
    return this._storage.length;
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

  /** The size of one dim. */
  dim(d: number): number {
    const r = this.shape.length;
    const i = d < 0 ? d + r : d;
    if (i < 0 || i >= r) throw new ValueError(`dim: ${d} is out of range for rank ${r}`);
    return this.shape[i]!;
  }

  /** The single value of a one-element CPU tensor (on the GPU: `await itemAsync()`). */
  item(): number {
    this.checkOneElement('item');
    if (!isTypedArray(this._storage)) {
      throw new DeviceError(`item: this tensor lives on '${this._device}' and cannot be read synchronously; use await t.itemAsync()`);
    }
    return this._storage[0]!;
  }

  /** Nested JS arrays (a number for a 0-d tensor) of a CPU tensor (on the GPU: `await toArrayAsync()`). */
  toArray(): NestedArray {
    if (!isTypedArray(this._storage)) {
      throw new DeviceError(`toArray: this tensor lives on '${this._device}' and cannot be read synchronously; use await t.toArrayAsync()`);
    }
    return nest(this.shape, this._storage);
  }

  /** A tensor sharing this storage but cut from the graph. */
  detach(): Tensor {
    return new Tensor(this._storage, this.shape);
  }

  /**
   * A readable summary for logs: the values (CPU tensors), dtype, device and requiresGrad.
   * @example console.log(`${tensor([1, 2])}`) // tensor([1,2], dtype=float32)
   */
  toString(): string {
    const flags = `dtype=${this.dtype}${this._device === 'cpu' ? '' : `, device=${this._device}`}${this._requiresGrad ? ', requiresGrad' : ''}`;
    if (!isTypedArray(this._storage)) return `tensor(<${this.size} values on ${this._device}>, shape=${fmtShape(this.shape)}, ${flags})`;
    return `tensor(${JSON.stringify(this.toArray())}, ${flags})`;
  }

  private checkOneElement(op: string): void {
    if (this.size !== 1) throw new ValueError(`${op}: only one-element tensors can be converted to a number, this one has shape ${fmtShape(this.shape)}`);
  }
}

function nest(shape: readonly number[], data: TypedArray): NestedArray {
  if (shape.length === 0) return data[0]!;
  const strides = stridesOf(shape);
  const build = (d: number, off: number): NestedArray[] => {
    const n = shape[d]!;
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = d === shape.length - 1 ? data[off + i]! : build(d + 1, off + i * strides[d]!);
    }
    return out;
  };
  return build(0, 0);
}
