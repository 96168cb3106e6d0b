import { ValueError } from '../errors.js';
import { sgdUpdate } from '../ops/optim.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, buffer, hasBuffer, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';

/**
 * SGD's hyper-parameters, as torch.optim.SGD; every one but lr has a default, and each param
 * group may override any of them.
 * @example new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 })
 */
export interface SGDOptions {
  /** the learning rate (required) */
  lr: number;
  /** velocity decay; 0 (default) is plain SGD */
  momentum: number;
  /** the fraction of each gradient kept out of the velocity (default 0) */
  dampening: number;
  /** Nesterov momentum (default false) */
  nesterov: boolean;
  /** L2 penalty added to the gradient: g + weightDecay·θ. */
  weightDecay: number;
  /** ascend the objective instead of descending (default false) */
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay; the update is PyTorch's (the velocity accumulates raw gradients, lr is applied after).
 * @example const opt = new SGD(model.parameters(), {lr: 0.1, momentum: 0.9});
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, opts: Partial<SGDOptions> & { lr: number }) {
    if (opts === undefined || typeof opts.lr !== 'number') throw new ValueError('SGD: lr is required, e.g. new SGD(params, {lr: 0.01})');
    super('SGD', params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, ...opts });
  }

  protected override validateGroup(g: ParamGroup<SGDOptions>): void {
    super.validateGroup(g);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ValueError(`SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum ${g.momentum}, dampening ${g.dampening}`);
    }
  }

  protected updateParam(p: Tensor, g: Tensor, group: ParamGroup<SGDOptions>, state: ParamState): void {
    const { lr, momentum: mu, dampening, nesterov, weightDecay: wd, maximize } = group;
    const first = !hasBuffer(state, 'momentumBuffer');
    const buf = mu !== 0 ? buffer(state, 'momentumBuffer', p) : null;
    sgdUpdate(p, g, buf, { lr, momentum: mu, dampening, nesterov, weightDecay: wd, maximize, first });
  }
}
