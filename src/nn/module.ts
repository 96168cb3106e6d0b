import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Device } from '../backend/backend.js';
import { isDevice } from '../backend/registry.js';
import { toDevice, toDeviceAsync } from '../ops/copy.js';
import { assignInPlace } from '../ops/optim.js';

/** Gives t the storage (and device) of `moved`, dropping a gradient left on the old device. */
function moveInPlace(t: Tensor, moved: Tensor): void {
  if (moved.storage === t.storage) return;
  t.setStorage(moved.storage);
  if (t.grad !== null && t.grad.device !== t.device) t.grad = null;
}
import { addHook, type RemovableHandle } from '../autograd/hooks.js';

/** Indents every line but the first by two spaces (a child's lines under its `(name): `). @example indentTail('A(\n  b\n)') // 'A(\n    b\n  )' */
export function indentTail(s: string): string {
  return s.split('\n').join('\n  ');
}

/**
 * A state-dict key that did not fit, with the shapes involved.
 * @example
 * const m: nn.ShapeMismatch = { key: '0.weight', expected: [16, 2], got: [8, 2] };
 */
export interface ShapeMismatch {
  key: string;
  expected: readonly number[];
  got: readonly number[];
}

/**
 * loadStateDict found keys it did not expect, missed keys it needs, or shapes that differ.
 * The lists are on the error so tools can report or repair them.
 * @example
 * try { model.loadStateDict(sd); } catch (e) { if (e instanceof nn.StateDictError) console.log(e.missingKeys); }
 */
export class StateDictError extends ValueError {
  constructor(
    readonly missingKeys: string[],
    readonly unexpectedKeys: string[],
    readonly shapeMismatches: ShapeMismatch[],
  ) {
    const parts: string[] = [];
    if (missingKeys.length) parts.push(`missing keys: ${missingKeys.join(', ')}`);
    if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    for (const m of shapeMismatches) parts.push(`size mismatch for ${m.key}: the model has ${fmtShape(m.expected)}, the state dict has ${fmtShape(m.got)}`);
    super(`loadStateDict: ${parts.join('; ')}`);
  }
}

/**
 * What loadStateDict left out: keys the model has but the dict lacks, and keys only the dict has
 * (both empty in strict mode, which throws instead).
 * @example
 * const { missingKeys } = model.loadStateDict(sd, { strict: false });
 */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Any module, whatever its forward takes and returns: what containers and tree walks hold.
 * @example
 * function countParams(m: nn.AnyModule): number { return m.parameters().reduce((n, p) => n + p.size, 0); }
 */
export type AnyModule = Module<unknown[], unknown>;

/**
 * Runs before forward with its inputs; may return replacement inputs (or nothing to keep them).
 * @example
 * const scaleInput: nn.ForwardPreHook<nn.Linear, [Tensor]> = (m, [x]) => [x.div(255)];
 * fc.registerForwardPreHook(scaleInput);
 */
export type ForwardPreHook<M, In extends unknown[]> = (module: M, inputs: In) => In | void;
/**
 * Runs after forward with its inputs and output; may return a replacement output (or nothing to keep it).
 * @example
 * const logShape: nn.ForwardHook<nn.Linear, [Tensor], Tensor> = (m, [x], y) => console.log(m.label(), x.shape, '→', y.shape);
 * fc.registerForwardHook(logShape);
 */
export type ForwardHook<M, In extends unknown[], Out> = (module: M, inputs: In, output: Out) => Out | void;

type StoredPreHook = (module: never, inputs: never) => unknown;
type StoredHook = (module: never, inputs: never, output: never) => unknown;

/**
 * The base class of every layer and model. Parameters and children are found by walking the
 * module's own properties in the order they were assigned: a Tensor that requires grad is a
 * parameter, a Module is a child, and an array of Modules holds indexed children. This gives
 * PyTorch's dotted names (`fc1.weight`, `layers.2.bias`). Buffers (running statistics) are
 * registered with `registerBuffer`.
 *
 * `In` is the tuple of forward's arguments and `Out` its result (by default one Tensor in, one
 * out). `call(...)` is PyTorch's `module(...)`: it runs the forward pre-hooks, forward and the
 * forward hooks; containers and the built-in layers invoke their children through it.
 * @example
 * class Net extends nn.Module {
 *   fc1 = new nn.Linear(2, 8);
 *   fc2 = new nn.Linear(8, 1);
 *   forward(x: Tensor) { return this.fc2.call(this.fc1.call(x).relu()); }
 * }
 * class Masked extends nn.Module<[x: Tensor, mask: Tensor]> {
 *   forward(x: Tensor, mask: Tensor) { return x.mul(mask); }
 * }
 */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** Train mode (dropout active, batch statistics) vs eval mode. */
  training = true;
  // private fields are not own enumerable properties, so the walk below never sees them
  #buffers = new Map<string, Tensor>();
  #paramKeys = new Set<string>();
  #preHooks: StoredPreHook[] = [];
  #hooks: StoredHook[] = [];

  /** The layer's computation: its output for its inputs. @example new nn.ReLU().forward(tensor([-1, 2])) // [0, 2] */
  abstract forward(...inputs: In): Out;

  /** PyTorch's `module(...)`: forward between the forward pre-hooks and the forward hooks. */
  call(...inputs: In): Out {
    if (this.#preHooks.length === 0 && this.#hooks.length === 0) return this.forward(...inputs);
    let args = inputs;
    for (const hook of [...this.#preHooks] as ForwardPreHook<this, In>[]) {
      const r = hook(this, args);
      if (r !== undefined) args = r;
    }
    let out = this.forward(...args);
    for (const hook of [...this.#hooks] as ForwardHook<this, In, Out>[]) {
      const r = hook(this, args, out);
      if (r !== undefined) out = r;
    }
    return out;
  }

  /**
   * Registers fn to run before every `call`, with the inputs; returning an array replaces them.
   * @example const h = model.registerForwardPreHook((m, [x]) => [x.mul(2)]); h.remove();
   */
  registerForwardPreHook(fn: ForwardPreHook<this, In>): RemovableHandle {
    return addHook<StoredPreHook>(this.#preHooks, fn as StoredPreHook);
  }

  /**
   * Registers fn to run after every `call`, with the inputs and the output; returning a value
   * replaces the output.
   * @example const shapes: number[][] = []; model.registerForwardHook((m, inputs, y) => { shapes.push([...y.shape]); });
   */
  registerForwardHook(fn: ForwardHook<this, In, Out>): RemovableHandle {
    return addHook<StoredHook>(this.#hooks, fn as StoredHook);
  }

  /** @internal whether call() does more than forward (containers then skip fused shortcuts) */
  get hasForwardHooks(): boolean {
    return this.#preHooks.length > 0 || this.#hooks.length > 0;
  }

  /**
   * Calls fn on every submodule and then on this one (children first, as PyTorch's apply).
   * @example model.apply((m) => { if (m instanceof nn.Linear) nn.init.zeros(m.bias!); })
   */
  apply(fn: (module: AnyModule) => void): this {
    for (const [, child] of this.namedChildren()) child.apply(fn);
    fn(this as unknown as AnyModule);
    return this;
  }

  /**
   * Turns gradient recording on or off for every parameter (freezing or unfreezing the model);
   * frozen parameters stay in parameters() and the state dict. Returns this.
   * @example model.requiresGrad_(false) // a frozen feature extractor
   */
  requiresGrad_(requiresGrad = true): this {
    for (const m of this.modules()) m.setOwnRequiresGrad(requiresGrad);
    return this;
  }

  private setOwnRequiresGrad(on: boolean): void {
    for (const [k, t] of this.ownParameters()) {
      // remembered as a parameter, so it is still found once requiresGrad is off
      this.#paramKeys.add(k);
      t.requiresGrad = on;
    }
  }

  /**
   * Marks a property as a parameter even while its requiresGrad is off (a frozen weight),
   * so it stays in parameters() and the state dict.
   */
  protected registerParameter(name: string, t: Tensor): Tensor {
    (this as unknown as Record<string, unknown>)[name] = t;
    this.#paramKeys.add(name);
    return t;
  }

  /** A tensor that is saved in the state dict but not trained (running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.#buffers.set(name, t);
    return t;
  }

  /** @internal a registered buffer by name */
  protected buffer(name: string): Tensor {
    const b = this.#buffers.get(name);
    if (!b) throw new ValueError(`${this.label()}: no buffer named '${name}'`);
    return b;
  }

  /** This module's own parameters (not its children's), in assignment order. */
  ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Tensor && (v.requiresGrad || this.#paramKeys.has(k))) out.push([k, v]);
    }
    return out;
  }

  /** This module's own buffers (not its children's), by name. */
  ownBuffers(): [string, Tensor][] {
    return [...this.#buffers.entries()];
  }

  /** Direct children, named by property (`fc1`) or property and index (`layers.0`). */
  namedChildren(): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) out.push([k, v]);
      else if (Array.isArray(v)) v.forEach((m, i) => { if (m instanceof Module) out.push([`${k}.${i}`, m]); });
    }
    return out;
  }

  /** This module and all below it, depth first, with dotted names ('' for this one). */
  namedModules(prefix = '', dedupe = true, seen = new Set<AnyModule>()): [string, AnyModule][] {
    if (dedupe) {
      if (seen.has(this)) return [];
      seen.add(this as unknown as AnyModule);
    }
    const out: [string, AnyModule][] = [[prefix, this as unknown as AnyModule]];
    for (const [k, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${k}` : k, dedupe, seen));
    return out;
  }

  /** This module and every module below it, depth first. @example model.modules().length */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter with its dotted name, shared ones once. @example model.namedParameters()[0] // ['0.weight', Tensor] */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, t] of m.ownParameters()) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${k}` : k, t]);
      }
    }
    return out;
  }

  /** The tensors an optimizer updates. @example new optim.SGD(model.parameters(), {lr: 0.1}) */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer with its dotted name (`1.running_mean`). */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, t] of m.ownBuffers()) out.push([prefix ? `${prefix}.${k}` : k, t]);
    }
    return out;
  }

  /** Every buffer (running statistics), depth first. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** Total number of trainable values. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets train mode here and in every child. Returns this. */
  train(on = true): this {
    for (const m of this.modules()) m.training = on;
    return this;
  }

  /** Eval mode: dropout off, batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Clears the .grad of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.replaceGrad(null);
  }

  /**
   * Parameters and buffers by dotted name, each module's parameters then its buffers, like
   * PyTorch's state_dict. The tensors share storage with the model (detached from the graph).
   * @example io.saveSafetensors('model.safetensors', model.stateDict())
   */
  stateDict(): Record<string, Tensor> {
    const sd: Record<string, Tensor> = {};
    for (const [prefix, m] of this.namedModules('', false)) {
      const name = (k: string): string => (prefix ? `${prefix}.${k}` : k);
      for (const [k, t] of m.ownParameters()) sd[name(k)] = t.detach();
      for (const [k, t] of m.ownBuffers()) sd[name(k)] = t.detach();
    }
    return sd;
  }

  /**
   * Copies values from a state dict into this model's tensors, in place (optimizers holding
   * the parameters keep working). Checks everything before copying anything: any shape
   * mismatch, and in strict mode (default) any missing or unexpected key, throws a
   * StateDictError listing them all.
   */
  loadStateDict(sd: Readonly<Record<string, Tensor>>, opts: { strict?: boolean } = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !(k in own));
    const shapeMismatches: ShapeMismatch[] = [];
    for (const [k, t] of Object.entries(own)) {
      const src = sd[k];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) throw new ValueError(`loadStateDict: entry '${k}' is not a Tensor`);
      if (!sameShape(src.shape, t.shape)) shapeMismatches.push({ key: k, expected: t.shape, got: src.shape });
    }
    if (shapeMismatches.length || (strict && (missingKeys.length || unexpectedKeys.length))) {
      throw new StateDictError(missingKeys, strict ? unexpectedKeys : [], shapeMismatches);
    }
    for (const [k, t] of Object.entries(own)) {
      const src = sd[k];
      // onto this model's device and dtype, written in place so every holder of t sees it
      if (src) assignInPlace(t, toDevice(src, t.device, t.dtype));
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Converts floating parameters and buffers to another float dtype (new leaf tensors that
   * keep requiresGrad; rebuild optimizers afterwards, they hold the old tensors), or moves
   * every parameter and buffer to a device in place (the same tensor objects, as PyTorch's
   * `model.to('cuda')`; create the optimizer after moving). GPU → CPU needs a readback:
   * `await model.toAsync('cpu')`.
   * @example await initDevice('webgpu'); model.to('webgpu')
   */
  to(target: 'float32' | 'float64' | Device): this {
    if (target === 'float32' || target === 'float64') {
      for (const m of this.modules()) m.convertOwn(target);
      return this;
    }
    if (!isDevice(target)) throw new ValueError(`${this.label()}.to: expected 'float32', 'float64', 'cpu' or 'webgpu', got '${String(target)}'`);
    for (const t of this.ownedTensors()) moveInPlace(t, toDevice(t, target));
    return this;
  }

  /** Moves every parameter and buffer to a device in place, in any direction (waits for GPU readbacks). @example await model.toAsync('cpu') */
  async toAsync(device: Device): Promise<this> {
    for (const t of this.ownedTensors()) moveInPlace(t, await toDeviceAsync(t, device));
    return this;
  }

  /** Where the parameters live ('cpu' for a module without any). @example model.device // 'webgpu' */
  get device(): Device {
    for (const t of this.ownedTensors()) return t.device;
    return 'cpu';
  }

  /** Every parameter and buffer of this module and its children, each once. */
  private ownedTensors(): Tensor[] {
    return [...new Set(this.modules().flatMap((m) => [...m.ownParameters(), ...m.ownBuffers()].map(([, t]) => t)))];
  }

  /** Converts floating parameters and buffers to float64, like `to('float64')`. */
  double(): this {
    return this.to('float64');
  }

  /** Converts floating parameters and buffers to float32, like `to('float32')`. */
  float(): this {
    return this.to('float32');
  }

  private convertOwn(dtype: 'float32' | 'float64'): void {
    const self = this as unknown as Record<string, unknown>;
    for (const [k, t] of this.ownParameters()) {
      if (t.dtype === dtype || t.dtype === 'int32') continue;
      const c = t.detach().to(dtype);
      c.requiresGrad = t.requiresGrad;
      self[k] = c;
    }
    for (const [k, t] of this.#buffers) {
      if (t.dtype !== dtype && t.dtype !== 'int32') this.#buffers.set(k, t.to(dtype));
    }
  }

  /**
   * The layer's settings, shown inside the parentheses by toString, as PyTorch's extra_repr
   * (e.g. `inFeatures=2, outFeatures=8, bias=true`). Empty by default.
   */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree as PyTorch prints a model: each child on its own line, indented, named
   * as in the state dict, with each layer's settings.
   * @example
   * String(new Sequential(new Linear(2, 8), new ReLU()))
   * // Sequential(
   * //   (0): Linear(inFeatures=2, outFeatures=8, bias=true)
   * //   (1): ReLU()
   * // )
   */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = this.childReprLines();
    const name = this.constructor.name;
    if (extraLines.length + childLines.length === 0) return `${name}()`;
    if (extraLines.length === 1 && childLines.length === 0) return `${name}(${extraLines[0]})`;
    return `${name}(\n  ${[...extraLines, ...childLines].join('\n  ')}\n)`;
  }

  /** `(name): child` lines for toString, each child's own lines indented under it. */
  protected childReprLines(): string[] {
    return this.namedChildren().map(([k, m]) => `(${k}): ${indentTail(m.toString())}`);
  }

  /** A one-line description used in error messages, e.g. `Linear(784→256)`. */
  label(): string {
    return this.constructor.name;
  }

  /** Throws a ShapeError naming this layer: `Linear(784→256): expected input [..., 784], got [32,100]`. */
  protected shapeError(expected: string, got: readonly number[]): ShapeError {
    return new ShapeError(`${this.label()}: expected input ${expected}, got ${fmtShape(got)}`);
  }
}
