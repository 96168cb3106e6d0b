/**
 * Functional forms of the layers and the losses, like torch.nn.functional. Also exported as
 * `nn.F`.
 * @example nn.F.crossEntropy(logits, y, {labelSmoothing: 0.1})
 * @packageDocumentation
 */
export { linear } from './linear.js';
export { dropout, type DropoutOptions } from './dropout.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, type PoolOptions, type AvgPoolOptions, type AdaptiveSize } from './pooling.js';
export { batchNorm, layerNorm, groupNorm, type BatchNormOptions, type LayerNormOptions, type GroupNormOptions } from './normalization.js';
export {
  crossEntropy, nllLoss, mse, l1, mseLoss, l1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, smoothL1Loss, huberLoss, klDiv,
  type CrossEntropyOptions, type Reduction, type LossOptions, type NllLossOptions, type BceOptions, type BceWithLogitsOptions,
  type SmoothL1Options, type HuberOptions, type KlDivOptions,
} from './loss.js';
export { conv2d, type Conv2dOptions } from '../ops/conv.js';
export { conv1d, type Conv1dOptions } from '../ops/conv1d.js';
export { convTranspose2d, type ConvTranspose2dOptions } from '../ops/conv-transpose.js';
export { pad, type PadOptions, type PadMode } from './padding.js';
export { normalize, cosineSimilarity, type NormalizeOptions, type CosineSimilarityOptions } from './distance.js';
export { oneHot } from './one-hot.js';
export { interpolate, type InterpolateOptions, type InterpolateMode } from './interpolate.js';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './attention.js';
export { packedSelfAttention } from '../ops/attention.js';
export { layerNormLastDim } from '../ops/layer-norm.js';
export {
  relu, sigmoid, tanh, gelu, leakyRelu, elu, softplus, silu, mish, selu, celu, hardtanh, relu6, hardswish, hardsigmoid, logsigmoid,
  softsign, prelu, glu, type HardtanhOptions,
} from '../ops/activation.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
