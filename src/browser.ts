/**
 * The browser entry: everything in the library that runs without Node builtins (tensors,
 * autograd, ops, nn, optim, data, training loop). `io` and the CLI read files with node:fs,
 * so they are left out; bundle this file, not index.ts, for a web page.
 * @example
 * import { tensor, nn } from 'backprop/browser';
 * const y = new nn.Linear(2, 1).forward(tensor([[1, -1]]));
 */
export { Tensor, type TensorLike, type NestedArray } from './tensor/tensor.js';
// installs the fluent methods (x.add(y), loss.backward(), ...) on Tensor
export { tensorMethodsInstalled } from './ops/methods.js';
export type {
  DType, TypedArray, Backend, Device, Storage, DeviceBuffer, BackendMemory, CoreKernels, FusedKernels, FusedKernelName,
} from './backend/backend.js';
export {
  tensor, zeros, ones, full, arange, linspace, eye, rand, randn, randint,
  zerosLike, onesLike, fullLike, randLike, randnLike, randintLike,
  type CreateOptions, type RandomOptions,
} from './tensor/creation.js';
export { Generator, manualSeed, defaultGenerator, type GeneratorState } from './tensor/random.js';
export {
  BackpropError, ShapeError, DTypeError, AutogradError, NumericsError, ValueError, FormatError, GradcheckError, DeviceError,
} from './errors.js';
export { noGrad, enableGrad, setGradEnabled, isGradEnabled, setCheckNumerics } from './autograd/mode.js';
export { backward, autogradGrad, type BackwardOptions } from './autograd/engine.js';
export type { RemovableHandle } from './autograd/hooks.js';
export { grad, valueAndGrad, type TensorTree } from './autograd/functional.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './autograd/gradcheck.js';
export {
  add, sub, mul, div, neg, pow, exp, log, sqrt, abs, erf, clamp, maximum, minimum, where, cast, isfinite,
  eq, ne, lt, le, gt, ge,
} from './ops/elementwise.js';
export {
  sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, log1p, expm1, log2, log10, rsqrt, reciprocal, square, sign, floor, ceil,
  round, trunc, fmod, remainder, lerp, addcmul, isnan, nanToNum, type NanToNumOptions,
} from './ops/math.js';
export {
  sigmoid, tanh, relu, leakyRelu, elu, gelu, softplus, silu, mish, selu, celu, hardtanh, relu6, hardswish, hardsigmoid,
  logsigmoid, softsign, prelu, glu, type HardtanhOptions,
} from './ops/activation.js';
export { matmul, bmm, outer, dot } from './ops/matmul.js';
export { einsum } from './ops/einsum.js';
export {
  reshape, permute, transpose, flatten, squeeze, unsqueeze, expand, concat, stack, split, slice, sliceDim, type SliceSpec,
  narrow, chunk, unbind, movedim, roll,
} from './ops/shape.js';
export { flip, diagonal, diag, trace } from './ops/strided.js';
export { repeat, tile, repeatInterleave } from './ops/repeat.js';
export { indexSelect, gather, scatter, scatterAdd, indexAdd, takeAlongDim } from './ops/indexing.js';
export { tril, triu, maskedFill } from './ops/masking.js';
export {
  sum, mean, variance, variance as var_, max, min, amax, amin, argmax, argmin, logSumExp, prod, std, norm, any, all, type NormOrd,
} from './ops/reduce.js';
export { cumsum, cumprod } from './ops/scan.js';
export { sort, argsort, topk, type SortResult } from './ops/sort.js';
export {
  multinomial, multinomialAsync, sampleCategorical, sampleCategoricalAsync, type MultinomialOptions, type SampleCategoricalOptions,
} from './ops/sampling.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { conv2d, type Conv2dOptions } from './ops/conv.js';
export { opTable, type OpName } from './ops/table.js';
export {
  getBackend, setBackend, listBackends, registerBackend, type BackendName,
  initDevice, getDefaultDevice, setDefaultDevice, backendFor, registerDevice, type DeviceInfo, type DeviceInitializer,
} from './backend/registry.js';
export { clone } from './ops/copy.js';
export { JsBackend } from './backend/js/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * from './train/index.js';
// The WebGPU device: initDevice('webgpu') loads and starts it (navigator.gpu, or Dawn in Node).
export { memoryStats, dispatchStats, type MemoryStats, type DispatchStats } from './backend/webgpu/device.js';
// The WebAssembly backend (SIMD GEMM, threads when the page is cross-origin isolated).
export { WasmBackend, wasmInfo, wasmAvailable, getNumThreads, setNumThreads } from './backend/wasm/index.js';
