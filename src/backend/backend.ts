/**
 * The seam between the op table and the kernels. Ops (src/ops) hold the math and the gradient
 * rules; a backend only stores elements and runs kernels on them, so a new backend (WebAssembly,
 * WebGPU) is a new implementation of this interface and nothing above it changes.
 *
 * A backend is generic over its storage: the CPU backends keep a tensor's elements in a typed
 * array, the WebGPU backend in a GPU buffer. Ops never look inside a storage; they pass the
 * storages of their input tensors to kernels, together with shapes (host metadata), and every
 * kernel writes into an output the op allocated with `alloc`.
 *
 * The interface has two parts: the core kernels, which every backend implements, and optional
 * fused kernels, which a backend may add for speed. Every fused kernel has a reference
 * composition of core kernels or ops beside its op, which runs where a backend lacks it.
 */

/**
 * A tensor's element type: float32 (the default), float64 (gradcheck, exact fixtures) or int32
 * (indices and class labels).
 * @example const y = tensor([3, 1, 4], { dtype: 'int32' }); const d: DType = y.dtype;
 */
export type DType = 'float32' | 'float64' | 'int32';
/**
 * The host arrays that hold CPU tensors, one per DType; `tensor()` takes one and `t.data` returns one.
 * @example const buf: TypedArray = new Float32Array([1, 2, 3, 4]); tensor(buf, { shape: [2, 2] });
 */
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type Shape = readonly number[];

/**
 * Where a tensor's elements live: host memory (the js and wasm backends) or a WebGPU device.
 * @example
 * const device: Device = 'webgpu';
 * await initDevice(device);
 * const x = randn([64, 784], { device });
 */
export type Device = 'cpu' | 'webgpu';

/**
 * A storage that lives off the host (a GPU buffer); the backend that made it knows its type.
 * Read it back with `await backend.read(buf)` (or `await t.dataAsync()` on the tensor).
 * @example
 * const s = x.storage;
 * if (!ArrayBuffer.isView(s)) console.log(`${s.length} ${s.dtype} values on ${s.device}`);
 */
export interface DeviceBuffer {
  readonly device: Device;
  readonly dtype: DType;
  /** number of elements */
  readonly length: number;
}

/**
 * A tensor's elements: a typed array on the CPU, a device buffer elsewhere. Ops hand storages to
 * kernels without looking inside.
 * @example const values = await backendFor(x.device).read(x.storage); // a TypedArray copy
 */
export type Storage = TypedArray | DeviceBuffer;

/**
 * Elementwise maps. `p0`/`p1` are parameters: leakyRelu (p0 = slope), elu (p0 = alpha),
 * powScalar (p0 = exponent), clamp (p0 = lo, p1 = hi). isfinite and isnan write 1/0 in out's
 * dtype; sign is (0 < x) − (x < 0), so sign(NaN) = 0 as in PyTorch. NaN propagates through every
 * other map, as in PyTorch.
 *
 * The rest follow C's libm and PyTorch: round is half to even (2.5 → 2), trunc rounds toward
 * zero, rsqrt = 1/√x, reciprocal = 1/x; silu = x·σ(x), mish = x·tanh(softplus(x)),
 * hardsigmoid = clamp(x/6 + 1/2, 0, 1), hardswish = x·hardsigmoid(x).
 */
export type UnaryOp =
  | 'copy' | 'neg' | 'abs' | 'sign' | 'floor' | 'ceil' | 'round' | 'trunc'
  | 'exp' | 'expm1' | 'log' | 'log1p' | 'log2' | 'log10' | 'sqrt' | 'rsqrt' | 'reciprocal' | 'erf'
  | 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh'
  | 'sigmoid' | 'tanh' | 'relu' | 'softplus' | 'gelu' | 'silu' | 'mish' | 'hardsigmoid' | 'hardswish'
  | 'leakyRelu' | 'elu' | 'powScalar' | 'clamp'
  | 'isfinite' | 'isnan';

/**
 * Broadcasting binary maps (NumPy rules). Comparisons write 1 or 0 in the output dtype.
 * atan2(a, b) is the angle of the point (b, a); fmod is C's fmod (the result has a's sign, as
 * JS's %); remainder is Python's modulo (the result has b's sign, as torch.remainder).
 */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'atan2' | 'fmod' | 'remainder'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** prod of an empty axis is 1, sum 0, max −∞, min +∞ (the identities). NaN propagates. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';
/** Inclusive scans along one axis: running sums (cumsum) and running products (cumprod). */
export type ScanOp = 'sum' | 'prod';

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

/**
 * Where one of the attention operands lives in its storage, viewed as [batch, heads, seq, d]
 * with d contiguous: element offset and the strides of batch, head and sequence position. A
 * packed [B, T, 3·H·d] projection gives q, k and v as three layouts over one storage.
 */
export interface AttentionLayout {
  offset: number;
  batchStride: number;
  headStride: number;
  rowStride: number;
}

/**
 * Scaled dot-product attention over `batch`·`heads` independent heads: queries [l, d], keys and
 * values [s, d]; out = softmax(scale·q·kᵀ, masked)·v. With `causal`, query i sees keys 0..i
 * (aligned at the top left, as PyTorch's is_causal).
 */
export interface AttentionArgs {
  batch: number;
  heads: number;
  /** queries per head */
  l: number;
  /** keys (and values) per head */
  s: number;
  /** features per head, of q, k and v alike */
  d: number;
  scale: number;
  causal: boolean;
  q: AttentionLayout;
  k: AttentionLayout;
  v: AttentionLayout;
  /** of the output (and of its gradient) */
  out: AttentionLayout;
}

/** SGD coefficients for one fused update pass (PyTorch's semantics). */
export interface SgdHyper {
  lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number; maximize: boolean;
  /** the first step seeds the velocity with the gradient itself */
  first: boolean;
}

/** Adam / AdamW coefficients for one fused update pass; `step` is the 1-based step count. */
export interface AdamHyper {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; maximize: boolean;
  /** AdamW: decay the weights directly instead of adding weightDecay·θ to the gradient */
  decoupled: boolean;
  step: number;
}

/**
 * Allocation and transfer: how tensors get onto and off a backend.
 * @example
 * const b = getBackend();
 * const s = b.upload(new Float32Array([1, 2, 3]));
 * console.log(await b.read(s)); // Float32Array [1, 2, 3]
 */
export interface BackendMemory<S> {
  /** A zero-filled storage for `size` elements of `dtype`. */
  alloc(dtype: DType, size: number): S;
  /** Host data onto this backend. CPU backends adopt the array itself (the caller gives it up). */
  upload(data: TypedArray): S;
  /** A host copy of the elements (CPU backends return the live array). */
  read(x: S): Promise<TypedArray>;
  /** The elements without waiting; only backends whose memory the host can read (the CPU ones). */
  readSync?(x: S): TypedArray;
  /** An immutable scalar, which the backend may cache and share (the JS numbers in `x.mul(2)`). */
  constant?(value: number, dtype: DType): S;
  /** Gives a storage back early (to a pool); it must not be used afterwards. */
  release?(x: S): void;
  /**
   * Calls `sink` with every storage that alloc and upload create (shared constants excluded) until
   * the returned function is called; `null` pauses an outer recording. Autograd uses it, with
   * release, to give backward's temporaries back at once rather than after garbage collection.
   */
  recordAllocations?(sink: ((x: S) => void) | null): () => void;
}

/**
 * The kernels every backend implements; ops are written in terms of these, so a new backend
 * that has them runs every op and its gradient.
 * @example
 * const b = getBackend();
 * const out = b.alloc('float32', 3);
 * b.unary('exp', b.upload(new Float32Array([0, 1, 2])), out);
 */
export interface CoreKernels<S> {
  /** out = x converted to out's dtype; float → int32 truncates toward zero. */
  cast(x: S, out: S): void;
  /** out[i] = op(x[i]); x and out have the same length (dtypes may differ only for isfinite). */
  unary(op: UnaryOp, x: S, out: S, p0?: number, p1?: number): void;
  /** out = a op b with broadcasting; outShape is the broadcast shape. */
  binary(op: BinaryOp, a: S, aShape: Shape, b: S, bShape: Shape, out: S, outShape: Shape): void;
  /** out = cond != 0 ? a : b, all broadcast to outShape. */
  where(cond: S, condShape: Shape, a: S, aShape: Shape, b: S, bShape: Shape, out: S, outShape: Shape): void;

  /**
   * Reduce `axes` (sorted, unique) of x; out has x's shape with those axes removed (same element
   * order). The result must not depend on thread timing: same input, same bits.
   */
  reduce(op: ReduceOp, x: S, shape: Shape, axes: readonly number[], out: S): void;
  /** Index of the max/min along one axis into int32 out; that axis removed. Ties: first; NaN wins. */
  argReduce(op: ArgReduceOp, x: S, shape: Shape, axis: number, out: S): void;
  /**
   * Inclusive scan along `axis`; out has x's shape and dtype: out[…, i, …] = x[…, 0, …] op … op
   * x[…, i, …], or with `reverse` x[…, i, …] op … op x[…, n−1, …] (the adjoint of a forward cumsum).
   * Each line is accumulated in order, so the result does not depend on thread timing.
   */
  scan(op: ScanOp, x: S, shape: Shape, axis: number, reverse: boolean, out: S): void;
  /**
   * The permutation that sorts each line along `axis`, into int32 out of x's shape: out[…, i, …]
   * is the position in x of the i-th smallest (largest if `descending`) element. Stable: equal
   * elements keep their order. NaN counts as larger than every number, as in PyTorch (last when
   * ascending, first when descending). sort and topk are this kernel plus a gather.
   */
  argsort(x: S, shape: Shape, axis: number, descending: boolean, out: S): void;

  /** Batched GEMM: out[b] = op(A[b]) @ op(B[b]), out is [batch, m, n] contiguous. */
  matmul(a: S, b: S, out: S, args: MatmulArgs): void;

  /**
   * A strided read into a contiguous out of `outShape`: out[i₀, i₁, …] = x[offset + Σ i_d·strides[d]].
   * permute, expand (stride 0), slice (offset and scaled strides) and flip are all this kernel.
   */
  strided(x: S, offset: number, strides: readonly number[], out: S, outShape: Shape): void;
  /**
   * The adjoint of `strided` for distinct destinations: out[offset + Σ i_d·strides[d]] += x[i₀, i₁, …]
   * for x of `xShape` (slice backward, concat).
   */
  stridedAdd(x: S, xShape: Shape, out: S, offset: number, strides: readonly number[]): void;

  /** indexSelect: out = x taken at int32 `index` along `axis` (out.shape[axis] = index length). */
  indexSelect(x: S, shape: Shape, axis: number, index: S, out: S): void;
  /** Backward of indexSelect: out[…, index[i], …] += g[…, i, …]; out has `shape`. Deterministic. */
  indexAdd(g: S, axis: number, index: S, out: S, shape: Shape): void;
  /** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for axis 1; index has out's shape. */
  gather(x: S, shape: Shape, axis: number, index: S, indexShape: Shape, out: S): void;
  /** Backward of gather: out[i][index[i][j][k]][k] += g[i][j][k]; out has `shape`. Deterministic. */
  scatterAdd(g: S, indexShape: Shape, axis: number, index: S, out: S, shape: Shape): void;
  /**
   * torch.scatter in place: out[i][index[i][j][k]][k] = src[i][j][k] for axis 1; src has the
   * index's shape, out has `shape` (the op fills it with the input first). Where an index repeats,
   * one of the writes wins (which one is unspecified, as in PyTorch; the reference: the last).
   */
  scatter(src: S, indexShape: Shape, axis: number, index: S, out: S, shape: Shape): void;

  /** im2col for conv2d (NCHW): cols is [n, groups, cIn/groups*kh*kw, outH*outW]. */
  im2col(x: S, cols: S, args: Conv2dArgs): void;
  /** col2im: the adjoint of im2col, accumulating into out (zeroed by the caller). */
  col2im(cols: S, out: S, args: Conv2dArgs): void;
  /**
   * Max pooling's arg-max: for each output position of each of the n·cIn planes of x (NCHW),
   * the flat int32 index into x of its window's largest value (padding never wins; NaN does;
   * ties go to the first). Pooling is then a gather at these indices, and its gradient a scatter.
   */
  poolArgmax(x: S, args: Conv2dArgs, out: S): void;
}

/**
 * Kernels a backend may add for speed. Each has a reference composition beside its op
 * (src/ops), used where a backend leaves it out; the conformance suite checks one against the other.
 * @example
 * const b = getBackend();
 * console.log(b.logSoftmax ? 'fused log-softmax' : 'log-softmax composed of core kernels');
 */
export interface FusedKernels<S> {
  /**
   * out[r, j] = act(z[r, j] + bias[j]) for z [rows, cols], cols = bias length. The sum is rounded
   * to the output dtype before the activation, so it equals add then act on the same backend.
   */
  biasAct?(act: BiasActivation, z: S, bias: S, out: S): void;
  /** out = g · act'(y) from the activation's output y: sigmoid' = y(1 − y), tanh' = 1 − y², relu' = [y > 0]. */
  actGrad?(act: ActGradActivation, g: S, y: S, out: S): void;
  /** Row-wise log-softmax of a contiguous [rows, cols], shifted by the row max. */
  logSoftmax?(x: S, rows: number, cols: number, out: S): void;
  /** Per-row softmax cross-entropy into out [rows] (targets int32, weight [cols] or null). */
  crossEntropy?(z: S, targets: S, weight: S | null, args: CrossEntropyArgs, out: S): void;
  /** Its gradient: out[i, :] = (softmax(z_i)·Σ_c q_ic − q_i)·g[i], q the target distribution. */
  crossEntropyGrad?(z: S, targets: S, weight: S | null, g: S, args: CrossEntropyArgs, out: S): void;
  /**
   * Layer normalization of the contiguous rows of x [rows, cols]: out = (x − μ)/√(σ² + eps)·w + b
   * with the row's mean μ and biased variance σ²; weight and bias [cols] are optional.
   */
  layerNorm?(x: S, weight: S | null, bias: S | null, rows: number, cols: number, eps: number, out: S): void;
  /**
   * Its gradient from the output gradient g (statistics recomputed from x): dx, and where given
   * dw = Σ_rows g·x̂ and db = Σ_rows g, with x̂ = (x − μ)/√(σ² + eps). Every output is overwritten.
   */
  layerNormGrad?(g: S, x: S, weight: S | null, rows: number, cols: number, eps: number, dx: S, dw: S | null, db: S | null): void;
  /**
   * out = g·gelu'(x) for the exact GELU: gelu'(x) = Φ(x) + x·φ(x). y = gelu(x) is the forward's
   * output, from which a kernel may take Φ(x) = y/x instead of computing erf again.
   */
  geluGrad?(g: S, x: S, y: S, out: S): void;
  /**
   * Scaled dot-product attention (see AttentionArgs) from q, k and v (possibly one storage),
   * writing every element of the out layout.
   */
  attention?(q: S, k: S, v: S, args: AttentionArgs, out: S): void;
  /**
   * Its gradient from the output gradient g (laid out as `args.out`), the attention weights
   * recomputed: dq, dk and dv in the layouts of q, k and v (possibly one storage; every element
   * of each layout is overwritten).
   */
  attentionGrad?(q: S, k: S, v: S, g: S, args: AttentionArgs, dq: S, dk: S, dv: S): void;
  /** In place: one SGD update of param x from grad g; buf is the velocity (null without momentum). */
  sgdStep?(x: S, g: S, buf: S | null, h: SgdHyper): void;
  /** In place: one Adam/AdamW update of x and its moments m, v (and vmax for AMSGrad). */
  adamStep?(x: S, g: S, m: S, v: S, vmax: S | null, h: AdamHyper): void;
}

/**
 * A backend: memory, the core kernels and whichever fused kernels it has. Implement one to run
 * the library somewhere new; `registerBackend` makes a CPU one selectable by name.
 * @example
 * const b: Backend = getBackend();
 * console.log(b.name, b.device); // 'wasm' 'cpu'
 */
export interface Backend<S = Storage> extends BackendMemory<S>, CoreKernels<S>, FusedKernels<S> {
  readonly name: string;
  readonly device: Device;
}

/**
 * The names of the optional fused kernels, e.g. to report which ones a backend has.
 * @example
 * const names: FusedKernelName[] = ['biasAct', 'actGrad', 'logSoftmax', 'crossEntropy', 'crossEntropyGrad', 'sgdStep', 'adamStep'];
 * console.log(names.filter((k) => getBackend()[k] !== undefined));
 */
export type FusedKernelName = keyof FusedKernels<unknown>;
