import { ValueError } from '../errors.js';
import { adamUpdate as adamUpdateOp } from '../ops/optim.js';
import type { Tensor } from '../tensor/tensor.js';
import { preview } from '../validate.js';
import { Optimizer, buffer, nextStep, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';

/**
 * Adam's and AdamW's hyper-parameters, as in PyTorch; each param group may override any of them.
 * @example new AdamW(model.parameters(), { lr: 3e-4, betas: [0.9, 0.95], weightDecay: 0.1 })
 */
export interface AdamOptions {
  /** the learning rate (default 1e-3) */
  lr: number;
  /** decay rates of the first and second moment averages (default [0.9, 0.999]) */
  betas: [number, number];
  /** added to the root of the second moment (default 1e-8) */
  eps: number;
  /** L2 penalty (Adam) or decoupled decay (AdamW); default 0 (Adam), 1e-2 (AdamW) */
  weightDecay: number;
  /** use the running maximum of the second moment (default false) */
  amsgrad: boolean;
  /** ascend the objective instead of descending (default false) */
  maximize: boolean;
}

/** Adam's and AdamW's extra rule, shared by their constructors and loadStateDict. */
function checkBetas(name: string, g: ParamGroup<AdamOptions>): void {
  const b: unknown = g.betas;
  if (!Array.isArray(b) || b.length !== 2 || !b.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1)) {
    throw new ValueError(`${name}: betas must be two numbers in [0, 1), got ${preview(b)}`);
  }
}

/**
 * The Adam update shared by Adam (L2 decay added to the gradient) and AdamW (decay applied to
 * the weights directly, `decoupled`).
 */
function adamUpdate(p: Tensor, g: Tensor, group: ParamGroup<AdamOptions>, state: ParamState, decoupled: boolean): void {
  const { lr, betas: [b1, b2], eps, weightDecay: wd, amsgrad, maximize } = group;
  const t = nextStep(state);
  const m = buffer(state, 'expAvg', p);
  const v = buffer(state, 'expAvgSq', p);
  const vmax = amsgrad ? buffer(state, 'maxExpAvgSq', p) : null;
  adamUpdateOp(p, g, m, v, vmax, { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, maximize, decoupled, step: t });
}

/**
 * Adam (Kingma & Ba) with bias correction, optional AMSGrad and L2 weight decay, as in PyTorch.
 * @example const opt = new Adam(model.parameters(), {lr: 1e-3});
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super('Adam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...opts });
  }

  protected override validateGroup(group: ParamGroup<AdamOptions>): void {
    super.validateGroup(group);
    checkBetas('Adam', group);
  }

  protected updateParam(p: Tensor, g: Tensor, group: ParamGroup<AdamOptions>, state: ParamState): void {
    adamUpdate(p, g, group, state, false);
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient,
 * θ ← θ·(1 − lr·weightDecay) before the Adam step. Default weightDecay 0.01.
 * @example const opt = new AdamW(model.parameters(), {lr: 1e-3, weightDecay: 0.05});
 */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super('AdamW', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...opts });
  }

  protected override validateGroup(group: ParamGroup<AdamOptions>): void {
    super.validateGroup(group);
    checkBetas('AdamW', group);
  }

  protected updateParam(p: Tensor, g: Tensor, group: ParamGroup<AdamOptions>, state: ParamState): void {
    adamUpdate(p, g, group, state, true);
  }
}
