import type { Tensor } from '../tensor/tensor.js';
import * as optim from '../optim/index.js';

/** The optimizers `--optimizer` offers. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Settings the CLI passes beyond the learning rate; unset ones keep PyTorch's defaults. */
export interface OptimizerSettings {
  /** L2 penalty (sgd, adam) or decoupled decay (adamw) */
  weightDecay?: number;
  /** Adam's second-moment decay β₂ (adam, adamw) */
  beta2?: number;
  /**
   * Decay only the parameters with at least 2 dims (weight matrices and embeddings), not biases
   * and norm scales: nanoGPT's grouping, used for language models.
   */
  decayMatricesOnly?: boolean;
}

/**
 * Builds the optimizer a CLI name stands for, with PyTorch's defaults apart from the learning
 * rate and the given settings; `momentum` is SGD with momentum 0.9.
 * @example makeOptimizer('adamw', model.parameters(), 1e-3, { weightDecay: 0.1, beta2: 0.99 })
 */
export function makeOptimizer(name: OptimizerName, params: Tensor[], lr: number, s: OptimizerSettings = {}): optim.Optimizer {
  const wd = s.weightDecay === undefined ? {} : { weightDecay: s.weightDecay };
  const betas = s.beta2 === undefined ? {} : { betas: [0.9, s.beta2] as [number, number] };
  const grouped = s.decayMatricesOnly
    ? [{ params: params.filter((p) => p.shape.length >= 2) }, { params: params.filter((p) => p.shape.length < 2), weightDecay: 0 }].filter((g) => g.params.length > 0)
    : params;
  switch (name) {
    case 'sgd': return new optim.SGD(grouped, { lr, ...wd });
    case 'momentum': return new optim.SGD(grouped, { lr, momentum: 0.9, ...wd });
    case 'adam': return new optim.Adam(grouped, { lr, ...wd, ...betas });
    case 'adamw': return new optim.AdamW(grouped, { lr, ...wd, ...betas });
  }
}
