import type { TypedArray } from '../backend/backend.js';
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
    for (const g of this.paramGroups) {
      if (g.alpha > 1) throw new ValueError(`RMSprop: alpha must be in [0, 1], got ${g.alpha}`);
    }
  }

  protected updateParam(x: TypedArray, g: TypedArray, group: ParamGroup<RMSpropOptions>, state: ParamState): void {
    const { lr, alpha, eps, weightDecay: wd, momentum: mu, centered, maximize } = group;
    const n = x.length;
    nextStep(state);
    const sq = buffer(state, 'squareAvg', n);
    const gAvg = centered ? buffer(state, 'gradAvg', n) : null;
    const buf = mu > 0 ? buffer(state, 'momentumBuffer', n) : null;
    for (let i = 0; i < n; i++) {
      let gi = maximize ? -g[i]! : g[i]!;
      if (wd !== 0) gi += wd * x[i]!;
      const v = alpha * sq[i]! + (1 - alpha) * gi * gi;
      sq[i] = v;
      let avg: number;
      if (gAvg !== null) {
        const ga = alpha * gAvg[i]! + (1 - alpha) * gi;
        gAvg[i] = ga;
        // v - ga² ≥ 0 in exact arithmetic; clamp so rounding cannot turn it into NaN
        avg = Math.sqrt(Math.max(0, v - ga * ga)) + eps;
      } else {
        avg = Math.sqrt(v) + eps;
      }
      if (buf !== null) {
        const b = mu * buf[i]! + gi / avg;
        buf[i] = b;
        x[i] = x[i]! - lr * b;
      } else {
        x[i] = x[i]! - (lr * gi) / avg;
      }
    }
  }
}
