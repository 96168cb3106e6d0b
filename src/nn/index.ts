/**
 * Layers, losses and initializers: the `nn` namespace.
 * @example
 * import { nn, manualSeed } from 'backprop';
 * manualSeed(0);
 * const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 3));
 * const loss = nn.F.crossEntropy(model.forward(x), y);
 * @packageDocumentation
 */
export { Module, StateDictError, type ShapeMismatch, type LoadStateDictResult } from './module.js';
export { Linear } from './linear.js';
export { Conv2d, type Conv2dLayerOptions, type Pair } from './conv.js';
export { MaxPool2d, AvgPool2d } from './pooling.js';
export { Dropout } from './dropout.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormLayerOptions } from './normalization.js';
export { Embedding } from './embedding.js';
export { Sequential, Flatten } from './container.js';
export { ReLU, Sigmoid, Tanh, GELU, Softplus, LeakyReLU, ELU, Softmax, LogSoftmax, Identity } from './activation.js';
export * as init from './init.js';
export * as functional from './functional.js';
export * as F from './functional.js';
