import { noGrad } from '../autograd/mode.js';
import { add, clamp, div, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { assignInPlace } from '../ops/optim.js';
import type { Tensor } from '../tensor/tensor.js';
import { ValueError } from '../errors.js';
import { Optimizer, buffer, nextStep, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';

/**
 * RMSprop's hyper-parameters, as in PyTorch; each param group may override any of them.
 * @example new RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9, centered: true })
 */
export interface RMSpropOptions {
  /** the learning rate (default 1e-2) */
  lr: number;
  /** smoothing constant of the running average of squared gradients */
  alpha: number;
  /** added after the square root (default 1e-8) */
  eps: number;
  /** L2 penalty added to the gradient (default 0) */
  weightDecay: number;
  /** momentum of the scaled step (default 0) */
  momentum: number;
  /** normalise by an estimate of the gradient's variance instead of its second moment */
  centered: boolean;
  /** ascend the objective instead of descending (default false) */
  maximize: boolean;
}

/**
 * RMSprop as in PyTorch: eps is added after the square root; optional momentum and centering.
 * @example const opt = new RMSprop(model.parameters(), {lr: 1e-3, alpha: 0.9});
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...opts });
  }

  protected override validateGroup(g: ParamGroup<RMSpropOptions>): void {
    super.validateGroup(g);
    if (g.alpha > 1) throw new ValueError(`RMSprop: alpha must be in [0, 1], got ${g.alpha}`);
  }

  protected updateParam(p: Tensor, g: Tensor, group: ParamGroup<RMSpropOptions>, state: ParamState): void {
    const { lr, alpha, eps, weightDecay: wd, momentum: mu, centered, maximize } = group;
    nextStep(state);
    const sq = buffer(state, 'squareAvg', p);
    const gAvg = centered ? buffer(state, 'gradAvg', p) : null;
    const buf = mu > 0 ? buffer(state, 'momentumBuffer', p) : null;
    noGrad(() => {
      let d = maximize ? neg(g) : g;
      if (wd !== 0) d = add(d, mul(p, wd));
      const v = add(mul(sq, alpha), mul(mul(d, d), 1 - alpha));
      assignInPlace(sq, v);
      let avg: Tensor;
      if (gAvg !== null) {
        const ga = add(mul(gAvg, alpha), mul(d, 1 - alpha));
        assignInPlace(gAvg, ga);
        // v − ga² ≥ 0 in exact arithmetic; clamp so rounding cannot turn it into NaN
        avg = add(sqrt(clamp(sub(v, mul(ga, ga)), 0)), eps);
      } else {
        avg = add(sqrt(v), eps);
      }
      if (buf !== null) {
        const b = add(mul(buf, mu), div(d, avg));
        assignInPlace(buf, b);
        assignInPlace(p, sub(p, mul(b, lr)));
      } else {
        assignInPlace(p, sub(p, div(mul(d, lr), avg)));
      }
    });
  }

}
