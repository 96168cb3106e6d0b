import { ShapeError, ValueError } from '../errors.js';
import { preview } from '../validate.js';
import { flatten } from '../ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BiasActivation } from '../backend/backend.js';
import { GELU, ReLU, Sigmoid, Tanh } from './activation.js';
import { Linear } from './linear.js';
import { Module, indentTail, type AnyModule } from './module.js';

/** The activation a layer applies, if it is exactly one that the bias + activation kernel fuses. */
function fusableActivation(m: Module | undefined): BiasActivation | null {
  const c = m?.constructor;
  return c === Sigmoid ? 'sigmoid' : c === ReLU ? 'relu' : c === Tanh ? 'tanh' : c === GELU ? 'gelu' : null;
}

/** A layer must be a Module: anything else would fail only later, at forward, as a TypeError. */
function checkModule(where: string, m: unknown): void {
  if (m instanceof Module) return;
  const got = m === null || m === undefined ? String(m) : Array.isArray(m) ? `an array ${preview(m)}` : `${typeof m} ${preview(m)}`;
  throw new ValueError(`${where} is not a Module (got ${got}); pass layers as separate arguments, e.g. new Sequential(new Linear(2, 3), new ReLU())`);
}

/**
 * Runs modules in order; their parameters are named by position (`0.weight`, `2.bias`).
 * @example const mlp = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
 */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => checkModule(`Sequential: argument ${i}`, m));
    this.layers = modules;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i]!;
      try {
        // Linear then an activation: one fused bias + activation pass, same values as unfused
        // (hooks observe each layer's own output, so a hooked pair runs unfused)
        const next = this.layers[i + 1];
        const plainLinear: boolean = m.constructor === Linear;
        const act = plainLinear && !m.hasForwardHooks && !next?.hasForwardHooks ? fusableActivation(next) : null;
        if (act !== null) {
          y = (m as Linear).forwardAct(y, act);
          i++;
        } else {
          y = m.call(y);
        }
      } catch (e) {
        // say where in the model the bad shape arrived
        if (e instanceof ShapeError) e.message += ` (at layer ${i} of ${this.constructor.name})`;
        throw e;
      }
    }
    return y;
  }

  // children are named 0, 1, ... as in PyTorch, not layers.0
  override namedChildren(): [string, Module][] {
    return this.layers.map((m, i) => [String(i), m]);
  }

  /** Adds a layer at the end; returns this. @example new Sequential(new Linear(2, 4)).append(new ReLU()) */
  append(m: Module): this {
    checkModule('Sequential.append', m);
    this.layers.push(m);
    return this;
  }

  /** The layer at index i (negative counts from the end). @example model.at(-1) // the last layer */
  at(i: number): Module | undefined {
    return this.layers.at(i);
  }

  /** The number of layers. */
  get length(): number {
    return this.layers.length;
  }

  /** The layers in order. @example for (const layer of model) console.log(layer.toString()); */
  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  override label(): string {
    return `Sequential(${this.layers.map((m) => m.label()).join(', ')})`;
  }
}

/**
 * Flattens dims startDim..endDim into one (default: everything but the batch dim).
 * @example new Flatten().forward(x) // [N, C, H, W] → [N, C·H·W]
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/**
 * Holds submodules in a list, named 0, 1, ... in the state dict, as torch.nn.ModuleList. It
 * has no forward of its own: the owner decides how to run them.
 * @example
 * class Stack extends Module { blocks = new ModuleList([new Linear(8, 8), new Linear(8, 8)]);
 *   forward(x: Tensor) { for (const b of this.blocks) x = b.call(x).relu(); return x; } }
 */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<[], never> {
  readonly #items: M[];

  constructor(modules: Iterable<M> = []) {
    super();
    this.#items = [...modules];
  }

  forward(): never {
    throw new ValueError('ModuleList: it has no forward; iterate over it and call each module');
  }

  override namedChildren(): [string, AnyModule][] {
    return this.#items.map((m, i) => [String(i), m]);
  }

  /** The module at i (negative counts from the end). */
  at(i: number): M | undefined {
    return this.#items.at(i);
  }

  /** The module at i, or a ValueError naming the valid range. */
  get(i: number): M {
    const m = this.#items.at(i);
    if (m === undefined) throw new ValueError(`ModuleList: index ${i} is out of range for ${this.#items.length} modules`);
    return m;
  }

  /**
   * Adds a module at the end (it becomes entry `length - 1`); returns this.
   * @example const blocks = new ModuleList<Linear>(); for (let i = 0; i < 4; i++) blocks.append(new Linear(64, 64));
   */
  append(m: M): this {
    this.#items.push(m);
    return this;
  }

  /**
   * Adds several modules at the end, in order; returns this.
   * @example blocks.extend([new Linear(64, 64), new Linear(64, 64)]);
   */
  extend(ms: Iterable<M>): this {
    for (const m of ms) this.#items.push(m);
    return this;
  }

  /**
   * Inserts a module before `index`, shifting the later ones (and their state-dict names) up by one.
   * @example blocks.insert(0, new Linear(32, 64)); // the new entry 0
   */
  insert(index: number, m: M): this {
    this.#items.splice(index, 0, m);
    return this;
  }

  /** The number of modules. @example new ModuleList([new Linear(2, 2)]).length // 1 */
  get length(): number {
    return this.#items.length;
  }

  /**
   * The modules in order, so a forward can loop over them.
   * @example for (const block of this.blocks) x = block.call(x);
   */
  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  // runs of identical children print once, as PyTorch does: (0-3): 4 x Linear(...)
  protected override childReprLines(): string[] {
    const lines: string[] = [];
    const reprs = this.#items.map((m) => m.toString());
    for (let i = 0; i < reprs.length;) {
      let j = i + 1;
      while (j < reprs.length && reprs[j] === reprs[i]) j++;
      lines.push(j - i === 1 ? `(${i}): ${indentTail(reprs[i]!)}` : `(${i}-${j - 1}): ${j - i} x ${indentTail(reprs[i]!)}`);
      i = j;
    }
    return lines;
  }
}

/**
 * Holds submodules by name, in insertion order, as torch.nn.ModuleDict; the keys are their
 * state-dict prefixes.
 * @example const heads = new ModuleDict({ cls: new Linear(8, 3), box: new Linear(8, 4) }); heads.get('cls').call(h)
 */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<[], never> {
  readonly #items = new Map<string, M>();

  constructor(modules: Readonly<Record<string, M>> | Iterable<readonly [string, M]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<readonly [string, M]>)] : Object.entries(modules as Record<string, M>);
    for (const [k, m] of entries) this.set(k, m);
  }

  forward(): never {
    throw new ValueError('ModuleDict: it has no forward; pick a module with get(key) and call it');
  }

  override namedChildren(): [string, AnyModule][] {
    return [...this.#items.entries()];
  }

  /** The module under key, or a ValueError listing the keys. */
  get(key: string): M {
    const m = this.#items.get(key);
    if (m === undefined) throw new ValueError(`ModuleDict: no module named '${key}'; the keys are ${[...this.#items.keys()].join(', ') || '(none)'}`);
    return m;
  }

  /**
   * Adds or replaces the module under key (non-empty, no '.', since it becomes a state-dict prefix); returns this.
   * @example heads.set('seg', new Linear(8, 21));
   */
  set(key: string, m: M): this {
    if (key === '' || key.includes('.')) throw new ValueError(`ModuleDict: key '${key}' must be non-empty and contain no '.' (it becomes a state-dict prefix)`);
    this.#items.set(key, m);
    return this;
  }

  /**
   * Whether a module is stored under key.
   * @example if (heads.has('box')) boxes = heads.get('box').call(h);
   */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /**
   * Removes the module under key; false if there was none.
   * @example heads.delete('box'); // drop a head before fine-tuning
   */
  delete(key: string): boolean {
    return this.#items.delete(key);
  }

  /**
   * The keys, in insertion order.
   * @example heads.keys() // ['cls', 'box']
   */
  keys(): string[] {
    return [...this.#items.keys()];
  }

  /**
   * The modules, in insertion order.
   * @example const params = heads.values().flatMap((m) => m.parameters());
   */
  values(): M[] {
    return [...this.#items.values()];
  }

  /**
   * The [key, module] pairs, in insertion order.
   * @example const outputs = Object.fromEntries(heads.entries().map(([k, m]) => [k, m.call(h)]));
   */
  entries(): [string, M][] {
    return [...this.#items.entries()];
  }

  /** The number of modules. @example heads.size // 2 */
  get size(): number {
    return this.#items.size;
  }

  /**
   * The [key, module] pairs in insertion order, so `for...of` works as on a Map.
   * @example for (const [name, head] of heads) console.log(name, head.toString());
   */
  [Symbol.iterator](): Iterator<[string, M]> {
    return this.#items.entries();
  }
}
