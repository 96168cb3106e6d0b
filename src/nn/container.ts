import { ShapeError } from '../errors.js';
import { flatten } from '../ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BiasActivation } from '../backend/backend.js';
import { GELU, ReLU, Sigmoid, Tanh } from './activation.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** The activation a layer applies, if it is exactly one that the bias + activation kernel fuses. */
function fusableActivation(m: Module | undefined): BiasActivation | null {
  const c = m?.constructor;
  return c === Sigmoid ? 'sigmoid' : c === ReLU ? 'relu' : c === Tanh ? 'tanh' : c === GELU ? 'gelu' : null;
}

/**
 * Runs modules in order; their parameters are named by position (`0.weight`, `2.bias`).
 * @example const mlp = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
 */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...modules: Module[]) {
    super();
    this.layers = modules;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i]!;
      try {
        // Linear then an activation: one fused bias + activation pass, same values as unfused
        const act = m.constructor === Linear ? fusableActivation(this.layers[i + 1]) : null;
        if (act !== null) {
          y = (m as Linear).forwardAct(y, act);
          i++;
        } else {
          y = m.forward(y);
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

  override toString(): string {
    return `Sequential(${this.layers.map((m) => m.toString()).join(', ')})`;
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
}
