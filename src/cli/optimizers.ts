import type { Tensor } from '../tensor/tensor.js';
import * as optim from '../optim/index.js';

/** The optimizers `--optimizer` offers. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * Builds the optimizer a CLI name stands for, with PyTorch's defaults apart from the learning
 * rate; `momentum` is SGD with momentum 0.9.
 * @example makeOptimizer('adam', model.parameters(), 1e-3)
 */
export function makeOptimizer(name: OptimizerName, params: Tensor[], lr: number): optim.Optimizer {
  switch (name) {
    case 'sgd': return new optim.SGD(params, { lr });
    case 'momentum': return new optim.SGD(params, { lr, momentum: 0.9 });
    case 'adam': return new optim.Adam(params, { lr });
    case 'adamw': return new optim.AdamW(params, { lr });
  }
}
