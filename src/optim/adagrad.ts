import { noGrad } from '../autograd/mode.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { assignInPlace } from '../ops/optim.js';
import type { Tensor } from '../tensor/tensor.js';
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

  protected updateParam(p: Tensor, g: Tensor, group: ParamGroup<AdagradOptions>, state: ParamState): void {
    const { lr, lrDecay, weightDecay: wd, initialAccumulatorValue, eps, maximize } = group;
    const t = nextStep(state);
    const sum = buffer(state, 'sum', p, initialAccumulatorValue);
    const clr = lr / (1 + (t - 1) * lrDecay);
    noGrad(() => {
      let d = maximize ? neg(g) : g;
      if (wd !== 0) d = add(d, mul(p, wd));
      const s = add(sum, mul(d, d));
      assignInPlace(sum, s);
      assignInPlace(p, sub(p, div(mul(d, clr), add(sqrt(s), eps))));
    });
  }

}
