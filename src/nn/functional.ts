/**
 * Functional forms of the layers and the losses, like torch.nn.functional. Also exported as
 * `nn.F`.
 * @example nn.F.crossEntropy(logits, y, {labelSmoothing: 0.1})
 * @packageDocumentation
 */
export { linear } from './linear.js';
export { dropout, type DropoutOptions } from './dropout.js';
export { maxPool2d, avgPool2d, type PoolOptions, type AvgPoolOptions } from './pooling.js';
export { batchNorm, layerNorm, type BatchNormOptions, type LayerNormOptions } from './normalization.js';
export {
  crossEntropy, nllLoss, mse, l1, binaryCrossEntropy, binaryCrossEntropyWithLogits,
  type CrossEntropyOptions, type Reduction, type LossOptions, type NllLossOptions, type BceOptions, type BceWithLogitsOptions,
} from './loss.js';
export { conv2d, type Conv2dOptions } from '../ops/conv.js';
export { relu, sigmoid, tanh, gelu, leakyRelu, elu, softplus } from '../ops/activation.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
