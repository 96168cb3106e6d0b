import type { TypedArray } from '../backend/backend.js';
import { mode } from '../autograd/mode.js';
import { DTypeError, NumericsError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { firstNonFinite } from '../numerics.js';
import { Tensor } from '../tensor/tensor.js';
import { clone, toDevice } from '../ops/copy.js';
import { checkCount, preview } from '../validate.js';

/**
 * Hyper-parameters every optimizer has; each optimizer adds its own. Code that only touches the
 * learning rate (a scheduler, a warmup) can take any optimizer through it.
 * @example
 * function setLr(opt: optim.Optimizer<optim.BaseHyper>, lr: number): void {
 *   for (const g of opt.paramGroups) g.lr = lr;
 * }
 */
export interface BaseHyper {
  /** the learning rate */
  lr: number;
}

/**
 * A group of parameters sharing hyper-parameters (e.g. a smaller lr for a pretrained body), as
 * an optimizer holds it in `paramGroups`, with every default filled in.
 * @example
 * const groups: optim.ParamGroup<optim.SGDOptions>[] = opt.paramGroups;
 * for (const g of groups) console.log(g.params.length, g.lr, g.momentum);
 */
export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[] };

/**
 * What optimizers take: a flat list of tensors, or groups each overriding some hyper-parameters.
 * @example
 * new optim.SGD(model.parameters(), { lr: 0.1 });
 * new optim.SGD([{ params: body.parameters(), lr: 0.01 }, { params: head.parameters() }], { lr: 0.1, momentum: 0.9 });
 */
export type ParamsArg<H extends BaseHyper> = Iterable<Tensor> | Array<{ params: Iterable<Tensor> } & Partial<H>>;

/**
 * One buffer or counter of a parameter's optimizer state (`step`, `expAvg`, ...). Buffers are
 * tensors of the parameter's dtype on the parameter's device.
 * @example
 * const st = adam.state.get(fc.weight);
 * const step: optim.StateValue | undefined = st?.['step']; // a number; st?.['expAvg'] is a Tensor
 */
export type StateValue = number | Tensor;

/**
 * Per-parameter state, keyed by buffer name; an optimizer's `state` maps each parameter to one.
 * @example
 * const st: optim.ParamState | undefined = opt.state.get(fc.weight);
 * console.log(Object.keys(st ?? {})); // e.g. ['step', 'expAvg', 'expAvgSq'] for Adam
 */
export type ParamState = Record<string, StateValue>;

/**
 * A hyper-parameter as stored in a state dict: a number (lr), a flag (nesterov), a name, or a
 * pair (Adam's betas).
 * @example const lr: optim.HyperValue = opt.stateDict().paramGroups[0]!['lr']!;
 */
export type HyperValue = number | boolean | string | number[];

/**
 * A snapshot of an optimizer: per-parameter state keyed by the parameter's position across all
 * groups (as PyTorch does), and each group's hyper-parameters with the positions of its params.
 * Buffers are copies, so later steps do not change a saved snapshot.
 * @example
 * const saved: optim.OptimizerStateDict = opt.stateDict();
 * opt.loadStateDict(saved); // e.g. when resuming; io.saveCheckpoint stores it for you
 */
export interface OptimizerStateDict {
  /** buffers are tensors; loadStateDict also takes typed arrays (e.g. read from a file) */
  state: Record<string, Record<string, StateValue | TypedArray>>;
  /** each group's hyper-parameters and the positions of its parameters */
  paramGroups: Array<Record<string, HyperValue> & { params: number[] }>;
}

/**
 * The base of every optimizer: parameter groups, per-parameter state, zeroGrad/step and state
 * dicts. Subclasses only write `updateParam`, the per-element update of one parameter.
 * @example
 * class SignSGD extends optim.Optimizer {
 *   constructor(params: Iterable<Tensor>, opts: { lr: number }) { super('SignSGD', params, opts); }
 *   protected updateParam(p: Tensor, g: Tensor, group: optim.ParamGroup<optim.BaseHyper>): void {
 *     const w = p.data, d = g.data; // CPU tensors: the live arrays, updated in place
 *     for (let i = 0; i < w.length; i++) w[i]! -= group.lr * Math.sign(d[i]!);
 *   }
 * }
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created lazily on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();
  protected readonly defaults: H;
  private readonly name: string;

  protected constructor(name: string, params: ParamsArg<H>, defaults: H) {
    this.name = name;
    this.defaults = defaults;
    checkHyper(name, defaults);
    const list = Array.isArray(params) ? params : [...(params as Iterable<Tensor>)];
    if (list.length === 0) throw new ValueError(`${name}: got an empty parameter list`);
    if (list[0] instanceof Tensor) this.addParamGroup({ params: list as Tensor[] } as { params: Tensor[] } & Partial<H>);
    else for (const g of list as Array<{ params: Iterable<Tensor> } & Partial<H>>) this.addParamGroup(g);
  }

  /** Adds a group of parameters; hyper-parameters it does not set come from the defaults. */
  addParamGroup(group: { params: Iterable<Tensor> } & Partial<H>): void {
    if (group instanceof Tensor || group === null || typeof group !== 'object' || group.params === undefined) {
      throw new ValueError(`${this.name}: expected a list of tensors or a list of {params, ...} groups`);
    }
    const params = [...group.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new ValueError(`${this.name}: a parameter group holds something that is not a Tensor`);
      if (p.dtype === 'int32') throw new DTypeError(`${this.name}: can only optimize floating tensors, got an int32 parameter of shape ${fmtShape(p.shape)}`);
      if (seen.has(p)) throw new ValueError(`${this.name}: a parameter appears in more than one group (or twice in one)`);
      seen.add(p);
    }
    const full = { ...this.defaults, ...group, params } as ParamGroup<H>;
    this.validateGroup(full);
    this.paramGroups.push(full);
  }

  /** Clears the gradients of all parameters (sets them to null, like PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.replaceGrad(null);
  }

  /**
   * Checks one group's hyper-parameters. The constructor and loadStateDict both call it, so a
   * state dict cannot set a value the constructor would reject; subclasses add their own rules.
   */
  protected validateGroup(group: ParamGroup<H>): void {
    checkHyper(this.name, group);
  }

  /**
   * One update of every parameter that has a gradient; parameters with `grad === null` are
   * skipped. With setCheckNumerics(true), a non-finite gradient stops the step before it is
   * applied, and a parameter the update made non-finite throws a NumericsError naming it.
   */
  step(): void {
    let index = -1;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        index++;
        const grad = p.peekGrad(); // read without handing it out, so zeroGrad may give it back
        if (grad === null) continue;
        if (grad.size !== p.size) {
          throw new ShapeError(`${this.name}.step: gradient of shape ${fmtShape(grad.shape)} does not match its parameter of shape ${fmtShape(p.shape)}`);
        }
        let st = this.state.get(p);
        if (st === undefined) {
          st = {};
          this.state.set(p, st);
        }
        if (mode.checkNumerics) this.checkFinite('gradient', grad, index);
        this.updateParam(p, grad, group, st);
        if (mode.checkNumerics) this.checkFinite('parameter', p, index);
      }
    }
  }

  private checkFinite(what: 'gradient' | 'parameter', t: Tensor, index: number): void {
    // GPU tensors cannot be read back synchronously; the ops' own check reports them
    if (t.device !== 'cpu') return;
    const i = firstNonFinite(t.data);
    if (i < 0) return;
    throw new NumericsError(
      `${this.name}.step: ${what === 'gradient' ? 'the gradient of' : 'the update made'} parameter ${index} (shape ${fmtShape(t.shape)}) `
        + `${what === 'gradient' ? 'holds' : 'hold'} ${t.data[i]} at flat index ${i}${what === 'gradient' ? '; the step was not applied' : ' (lower the learning rate?)'} (setCheckNumerics is on)`,
    );
  }

  /**
   * Updates one parameter in place from its gradient, through the update ops of src/ops/optim.ts
   * (or other ops); state buffers come from `buffer()`.
   */
  protected abstract updateParam(p: Tensor, g: Tensor, group: ParamGroup<H>, state: ParamState): void;

  /** A copy of the state and hyper-parameters, for checkpoints. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        ids.push(index.size);
        index.set(p, index.size);
      }
      const hyper: Record<string, HyperValue> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k !== 'params') hyper[k] = Array.isArray(v) ? [...(v as number[])] : (v as HyperValue);
      }
      paramGroups.push({ ...hyper, params: ids });
    }
    const state: Record<string, ParamState> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[String(i)] = copyState(st);
    }
    return { state, paramGroups };
  }

  /**
   * Restores a snapshot from `stateDict()`. The groups must hold the same number of parameters
   * with the same sizes as when it was saved; hyper-parameters (lr, ...) are restored too.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
    if (!isRecord(sd) || !Array.isArray(sd.paramGroups) || !isRecord(sd.state)) {
      throw new ValueError(`${where}: expected {state, paramGroups}`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ValueError(`${where}: the state dict has ${sd.paramGroups.length} parameter groups but the optimizer has ${this.paramGroups.length}`);
    }
    // Everything is checked before anything is assigned, so a bad dict leaves the optimizer as it was.
    const total = this.paramGroups.reduce((n, g) => n + g.params.length, 0);
    const params: Tensor[] = new Array<Tensor>(total);
    sd.paramGroups.forEach((sg: unknown, gi) => {
      const own = this.paramGroups[gi]!;
      const ids = isRecord(sg) ? sg['params'] : undefined;
      if (!Array.isArray(ids) || ids.length !== own.params.length) {
        throw new ValueError(`${where}: group ${gi} has ${Array.isArray(ids) ? ids.length : 'no'} parameters in the state dict but ${own.params.length} in the optimizer`);
      }
      ids.forEach((id: unknown, k) => {
        const i = checkCount(where, `parameter id ${k} of group ${gi}`, id);
        if (i >= total || params[i] !== undefined) throw new ValueError(`${where}: parameter id ${i} of group ${gi} is out of range 0..${total - 1} or repeated`);
        params[i] = own.params[k]!;
      });
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, st] of Object.entries(sd.state)) {
      const p = /^\d+$/.test(key) ? params[Number(key)] : undefined;
      if (p === undefined) throw new ValueError(`${where}: state for parameter ${preview(key)}, but there are only ${params.length} parameters`);
      if (!isRecord(st)) throw new ValueError(`${where}: the state of parameter ${key} must be an object of numbers, tensors and typed arrays, got ${preview(st)}`);
      for (const [name, v] of Object.entries(st)) checkStateValue(where, key, name, v, p);
      newState.set(p, loadState(st as Record<string, StateValue | TypedArray>, p));
    }
    const merged = sd.paramGroups.map((sg, gi) => {
      const own = this.paramGroups[gi]! as unknown as Record<string, unknown>;
      const h: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(sg)) {
        // keys this optimizer does not have (another optimizer's, or '__proto__') are ignored
        if (k === 'params' || !Object.prototype.hasOwnProperty.call(own, k)) continue;
        const cur = own[k];
        if (typeof cur !== typeof v || Array.isArray(cur) !== Array.isArray(v)) {
          throw new ValueError(`${where}: hyper-parameter '${k}' of group ${gi} is a ${typeof v} in the state dict but a ${typeof cur} here`);
        }
        h[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
      }
      const group = { ...own, ...h } as unknown as ParamGroup<H>;
      this.validateGroup(group);
      return h;
    });
    merged.forEach((h, gi) => Object.assign(this.paramGroups[gi]!, h));
    this.state.clear();
    for (const [p, st] of newState) this.state.set(p, st);
  }
}

/**
 * One saved state value: the 'step' counter is a count, other numbers are finite, and buffers
 * (tensors or typed arrays) hold one finite value per element of the parameter.
 */
function checkStateValue(where: string, key: string, name: string, v: unknown, p: Tensor): void {
  const what = `state '${name}' of parameter ${key}`;
  if (typeof v === 'number') {
    if (name === 'step') checkCount(where, what, v);
    else if (!Number.isFinite(v)) throw new ValueError(`${where}: ${what} must be finite, got ${v}`);
    return;
  }
  const isArray = ArrayBuffer.isView(v) && !(v instanceof DataView);
  if (!(v instanceof Tensor) && !isArray) throw new ValueError(`${where}: ${what} must be a number, a tensor or a typed array, got ${preview(v)}`);
  const n = v instanceof Tensor ? v.size : (v as TypedArray).length;
  if (n !== p.size) {
    throw new ShapeError(`${where}: ${what} has ${n} values but the parameter has shape ${fmtShape(p.shape)} (${p.size} values)`);
  }
  // a buffer on a GPU cannot be read synchronously; its values are the device's to check
  const values = v instanceof Tensor ? (v.device === 'cpu' ? v.data : null) : (v as TypedArray);
  const i = values === null ? -1 : firstNonFinite(values);
  if (i >= 0) throw new ValueError(`${where}: ${what} holds ${values![i]} at index ${i}; saved optimizer state must be finite`);
}

/** Copies state for a snapshot: buffers are cloned, so later steps do not change it. */
function copyState(st: ParamState): ParamState {
  const out: ParamState = {};
  for (const [k, v] of Object.entries(st)) out[k] = typeof v === 'number' ? v : clone(v);
  return out;
}

/** State from a snapshot, as fresh buffers of the parameter's dtype, shape and device. */
function loadState(st: Record<string, StateValue | TypedArray>, p: Tensor): ParamState {
  const out: ParamState = {};
  for (const [k, v] of Object.entries(st)) {
    if (typeof v === 'number') out[k] = v;
    else {
      const t = v instanceof Tensor ? v : Tensor.fromRaw(v.slice(), [v.length]);
      // a copy: stepping this optimizer must not change the snapshot it was loaded from
      out[k] = clone(toDevice(t, p.device, p.dtype, p.shape));
    }
  }
  return out;
}

function checkHyper(name: string, h: object): void {
  for (const [k, v] of Object.entries(h)) {
    if (k === 'params') continue;
    if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) {
      throw new ValueError(`${name}: ${k} must be a finite non-negative number, got ${v}`);
    }
  }
}

/** The buffer `key` of a parameter's state (its dtype, shape and device), created filled with `init` if missing. */
export function buffer(state: ParamState, key: string, p: Tensor, init = 0): Tensor {
  let b = state[key];
  if (!(b instanceof Tensor)) {
    b = Tensor.filled(p.shape, p.dtype, init, p.device);
    state[key] = b;
  }
  return b;
}

/** Whether the state already has buffer `key` (the first SGD step seeds its velocity instead). */
export function hasBuffer(state: ParamState, key: string): boolean {
  return state[key] instanceof Tensor;
}

/** Increments and returns the step counter of a parameter's state. */
export function nextStep(state: ParamState): number {
  const s = (typeof state['step'] === 'number' ? state['step'] : 0) + 1;
  state['step'] = s;
  return s;
}
