import type { TypedArray } from '../backend/backend.js';
import { Optimizer, buffer, nextStep, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';

/**
 * Adagrad's hyper-parameters, as in PyTorch; each param group may override any of them.
 * @example new Adagrad(model.parameters(), { lr: 0.05, lrDecay: 1e-4 })
 */
export interface AdagradOptions {
  /** the learning rate (default 1e-2) */
  lr: number;
  /** the lr at step t is lr / (1 + (t − 1)·lrDecay) */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0) */
  weightDecay: number;
  /** starting value of the sum of squared gradients */
  initialAccumulatorValue: number;
  /** added after the square root (default 1e-10) */
  eps: number;
  /** ascend the objective instead of descending (default false) */
  maximize: boolean;
}

/**
 * Adagrad as in PyTorch: each coordinate's step is scaled by the root of its summed squared
 * gradients. @example const opt = new Adagrad(model.parameters(), {lr: 0.1});
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsArg<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...opts });
  }

  protected updateParam(x: TypedArray, g: TypedArray, group: ParamGroup<AdagradOptions>, state: ParamState): void {
    const { lr, lrDecay, weightDecay: wd, initialAccumulatorValue, eps, maximize } = group;
    const n = x.length;
    const t = nextStep(state);
    const sum = buffer(state, 'sum', n, initialAccumulatorValue);
    const clr = lr / (1 + (t - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      let gi = maximize ? -g[i]! : g[i]!;
      if (wd !== 0) gi += wd * x[i]!;
      const s = sum[i]! + gi * gi;
      sum[i] = s;
      x[i] = x[i]! - (clr * gi) / (Math.sqrt(s) + eps);
    }
  }
}
