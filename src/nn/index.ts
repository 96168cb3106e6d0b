/**
 * Layers, losses and initializers: the `nn` namespace.
 * @example
 * import { nn, manualSeed } from 'backprop';
 * manualSeed(0);
 * const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 3));
 * const loss = nn.F.crossEntropy(model.forward(x), y);
 * @packageDocumentation
 */
export {
  Module, StateDictError, type AnyModule, type ForwardHook, type ForwardPreHook, type ShapeMismatch, type LoadStateDictResult,
} from './module.js';
export type { RemovableHandle } from '../autograd/hooks.js';
export { Linear } from './linear.js';
export {
  Conv2d, Conv1d, ConvTranspose2d, type Conv2dLayerOptions, type Conv1dLayerOptions, type ConvTranspose2dLayerOptions, type Pair,
} from './conv.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type AdaptiveSize } from './pooling.js';
export { Dropout } from './dropout.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormLayerOptions } from './normalization.js';
export { Embedding } from './embedding.js';
export { Sequential, Flatten, ModuleList, ModuleDict } from './container.js';
export {
  ReLU, Sigmoid, Tanh, GELU, Softplus, LeakyReLU, ELU, Softmax, LogSoftmax, Identity,
  SiLU, Mish, SELU, CELU, Hardtanh, ReLU6, Hardswish, Hardsigmoid, LogSigmoid, Softsign, PReLU, GLU,
} from './activation.js';
export {
  MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions,
} from './attention.js';
export {
  TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder,
  type TransformerLayerOptions, type TransformerActivation, type TransformerEncoderForwardOptions, type TransformerDecoderForwardOptions,
} from './transformer.js';
export { RNN, LSTM, GRU, type RNNOptions, type ElmanRNNOptions } from './rnn.js';
export {
  CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, SmoothL1Loss, HuberLoss, KLDivLoss,
} from './loss.js';
export * as init from './init.js';
export * as functional from './functional.js';
export * as F from './functional.js';
export { GPT, GPTBlock, GPTMLP, GPTTransformer, CausalSelfAttention, type GPTConfig, type GenerateOptions } from './gpt.js';
