/**
 * Optimizers, learning-rate schedulers and gradient clipping.
 * @example
 * const opt = new optim.Adam(model.parameters(), {lr: 1e-3});
 * const sched = new optim.CosineAnnealingLR(opt, {tMax: 10});
 * opt.zeroGrad(); loss.backward(); optim.clipGradNorm(model.parameters(), 1); opt.step(); sched.step();
 * @packageDocumentation
 */
export {
  Optimizer, type BaseHyper, type ParamGroup, type ParamsArg, type ParamState, type StateValue, type HyperValue,
  type OptimizerStateDict,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export {
  LRScheduler, StepLR, CosineAnnealingLR, LinearWarmup, SequentialLR, ReduceLROnPlateau,
  type ReduceLROnPlateauOptions, type SchedulerStateDict,
} from './scheduler.js';
export { clipGradNorm } from './clip.js';
