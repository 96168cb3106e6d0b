import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { relu, sigmoid, tanh } from '../ops/activation.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { concat, reshape, sliceDim, split, squeeze, stack, transpose, unsqueeze } from '../ops/shape.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { dropout } from './dropout.js';
import { uniform } from './init.js';
import { linear } from './linear.js';
import { Module } from './module.js';

/**
 * Options shared by RNN, LSTM and GRU, with PyTorch's names and defaults.
 * @example const lstm = new nn.LSTM(32, 64, { numLayers: 2, dropout: 0.2, bidirectional: true, batchFirst: true });
 */
export interface RNNOptions {
  /** stacked layers, each reading the previous one's output (default 1) */
  numLayers?: number;
  /** the b_ih and b_hh biases (default true) */
  bias?: boolean;
  /** input and output are [N, L, features] instead of [L, N, features] (default false) */
  batchFirst?: boolean;
  /** dropout on each layer's output but the last, in train mode (default 0) */
  dropout?: number;
  /** also run each layer backwards in time and concatenate both outputs (default false) */
  bidirectional?: boolean;
  /** the random stream for initialization and dropout (default: defaultGenerator) */
  generator?: Generator;
}

type Cell = 'tanh' | 'relu' | 'lstm' | 'gru';
const GATES: Record<Cell, number> = { tanh: 1, relu: 1, lstm: 4, gru: 3 };

/** One direction of one layer's weights. */
interface LayerWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

/**
 * What RNN, LSTM and GRU share: PyTorch's parameter names (`weight_ih_l0`, `weight_hh_l0`,
 * `bias_ih_l0`, `bias_hh_l0`, then `..._reverse` for the backward direction, per layer), its
 * U(±1/√hidden) initialization, and the loop over layers, directions and time steps.
 */
abstract class RNNBase<In extends unknown[], Out> extends Module<In, Out> {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly generator: Generator | undefined;
  // parameter names per [layer][direction]; the tensors are read through them, so to() and loadStateDict stay in effect
  readonly #names: string[][][] = [];

  constructor(private readonly cell: Cell, readonly inputSize: number, readonly hiddenSize: number, opts: RNNOptions) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    this.generator = opts.generator;
    const op = this.constructor.name;
    for (const [name, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', this.numLayers]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new ValueError(`${op}: dropout must be in [0, 1], got ${this.dropout}`);
    const gh = GATES[cell] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const init = opts.generator ? { generator: opts.generator } : {};
    for (let layer = 0; layer < this.numLayers; layer++) {
      const inSize = layer === 0 ? inputSize : hiddenSize * this.numDirections;
      const dirs: string[][] = [];
      for (let dir = 0; dir < this.numDirections; dir++) {
        const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const names = [`weight_ih${suffix}`, `weight_hh${suffix}`];
        if (this.bias) names.push(`bias_ih${suffix}`, `bias_hh${suffix}`);
        const shapes = [[gh, inSize], [gh, hiddenSize], [gh], [gh]];
        names.forEach((name, i) => uniform(this.registerParameter(name, zeros(shapes[i]!, { requiresGrad: true })), -bound, bound, init));
        dirs.push(names);
      }
      this.#names.push(dirs);
    }
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  private weights(layer: number, dir: number): LayerWeights {
    const own = this as unknown as Record<string, Tensor>;
    const [wIh, wHh, bIh, bHh] = this.#names[layer]![dir]!.map((k) => own[k]!);
    return { wIh: wIh!, wHh: wHh!, bIh: bIh ?? null, bHh: bHh ?? null };
  }

  /** Checks the input and returns it as [L, N, features], and whether it was unbatched. */
  protected prepareInput(input: Tensor): { x: Tensor; batched: boolean } {
    const batched = input.shape.length === 3;
    if ((!batched && input.shape.length !== 2) || input.shape[input.shape.length - 1] !== this.inputSize) {
      throw this.shapeError(`${this.batchFirst ? '[N, L' : '[L, N'}, ${this.inputSize}] or [L, ${this.inputSize}]`, input.shape);
    }
    return { x: !batched ? unsqueeze(input, 1) : this.batchFirst ? transpose(input, 0, 1) : input, batched };
  }

  /** An initial state [layers·directions, N, hidden] (unbatched: without N), or zeros; split per layer and direction. */
  protected initialStates(name: string, state: Tensor | null | undefined, batch: number, batched: boolean, like: Tensor): Tensor[] {
    const count = this.numLayers * this.numDirections;
    if (!state) return Array.from({ length: count }, () => zeros([batch, this.hiddenSize], { dtype: like.dtype }));
    const expected = batched ? [count, batch, this.hiddenSize] : [count, this.hiddenSize];
    if (!sameShape(state.shape, expected)) throw new ShapeError(`${this.label()}: ${name} must have shape ${fmtShape(expected)}, got ${fmtShape(state.shape)}`);
    const s = batched ? state : unsqueeze(state, 1);
    return split(s, 1, 0).map((t) => squeeze(t, 0));
  }

  /** Output [L, N, D·hidden] → the caller's layout. */
  protected finishOutput(y: Tensor, batched: boolean): Tensor {
    return !batched ? squeeze(y, 1) : this.batchFirst ? transpose(y, 0, 1) : y;
  }

  /** Final states [layers·directions, N, hidden] (unbatched: without N). */
  protected finishState(states: Tensor[], batched: boolean): Tensor {
    const s = stack(states, 0);
    return batched ? s : squeeze(s, 1);
  }

  /** One time step of the cell: the new hidden state (and cell state for LSTM). */
  private step(xProj: Tensor, h: Tensor, c: Tensor | null, w: LayerWeights): [Tensor, Tensor | null] {
    const hProj = linear(h, w.wHh, w.bHh);
    const hs = this.hiddenSize;
    switch (this.cell) {
      case 'tanh': return [tanh(add(xProj, hProj)), null];
      case 'relu': return [relu(add(xProj, hProj)), null];
      case 'lstm': {
        const [i, f, g, o] = split(add(xProj, hProj), hs, -1) as [Tensor, Tensor, Tensor, Tensor];
        const cNext = add(mul(sigmoid(f), c!), mul(sigmoid(i), tanh(g)));
        return [mul(sigmoid(o), tanh(cNext)), cNext];
      }
      case 'gru': {
        const [xr, xz, xn] = split(xProj, hs, -1) as [Tensor, Tensor, Tensor];
        const [hr, hz, hn] = split(hProj, hs, -1) as [Tensor, Tensor, Tensor];
        const r = sigmoid(add(xr, hr));
        const z = sigmoid(add(xz, hz));
        const n = tanh(add(xn, mul(r, hn)));
        // (1 − z)·n + z·h
        return [add(n, mul(z, sub(h, n))), null];
      }
    }
  }

  /**
   * Runs every layer and direction over x [L, N, features] from the initial states; returns the
   * last layer's output [L, N, D·hidden] and the final states in PyTorch's order.
   */
  protected run(x: Tensor, h0: Tensor[], c0: Tensor[] | null): { y: Tensor; hN: Tensor[]; cN: Tensor[] } {
    const len = x.shape[0]!;
    const hN: Tensor[] = [], cN: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outputs: Tensor[] = [];
      for (let dir = 0; dir < this.numDirections; dir++) {
        const w = this.weights(layer, dir);
        // the input projections of all time steps in one matmul
        const xProj = linear(layerInput, w.wIh, w.bIh);
        const k = layer * this.numDirections + dir;
        let h = h0[k]!, c = c0 ? c0[k]! : null;
        const steps = new Array<Tensor>(len);
        for (let s = 0; s < len; s++) {
          const t = dir === 0 ? s : len - 1 - s;
          [h, c] = this.step(reshape(sliceDim(xProj, 0, t, t + 1), xProj.shape.slice(1)), h, c, w);
          steps[t] = h;
        }
        outputs.push(stack(steps, 0));
        hN.push(h);
        if (c) cN.push(c);
      }
      layerInput = outputs.length === 1 ? outputs[0]! : concat(outputs, -1);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) {
        layerInput = dropout(layerInput, this.dropout, this.generator ? { generator: this.generator } : {});
      }
    }
    return { y: layerInput, hN, cN };
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (this.cell === 'relu') parts.push("nonlinearity='relu'");
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout !== 0) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }

  override label(): string {
    return `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize})`;
  }
}

/**
 * RNN's options: those of every recurrent layer plus the nonlinearity.
 * @example const rnn = new nn.RNN(8, 16, { nonlinearity: 'relu', batchFirst: true });
 */
export interface ElmanRNNOptions extends RNNOptions {
  /** 'tanh' (default) or 'relu' */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * The Elman RNN, as torch.nn.RNN: h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh). Returns
 * [output of every step [L, N, D·hidden], final hidden states [layers·D, N, hidden]].
 * @example const [out, hN] = new RNN(8, 16, {numLayers: 2, batchFirst: true}).call(x)
 */
export class RNN extends RNNBase<[input: Tensor, hx?: Tensor | null], [Tensor, Tensor]> {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: ElmanRNNOptions = {}) {
    const nonlinearity = opts.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new ValueError(`RNN: nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`);
    super(nonlinearity, inputSize, hiddenSize, opts);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h0 = this.initialStates('h0', hx, x.shape[1]!, batched, x);
    const { y, hN } = this.run(x, h0, null);
    return [this.finishOutput(y, batched), this.finishState(hN, batched)];
  }
}

/**
 * Long short-term memory, as torch.nn.LSTM (gates i, f, g, o in that order in the weights):
 * c_t = σ(f)·c_{t−1} + σ(i)·tanh(g), h_t = σ(o)·tanh(c_t). Returns [output, [h_n, c_n]].
 * (PyTorch's projSize is not supported.)
 * @example const [out, [hN, cN]] = new LSTM(8, 16).call(x, [h0, c0])
 */
export class LSTM extends RNNBase<[input: Tensor, hx?: readonly [Tensor, Tensor] | null], [Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { x, batched } = this.prepareInput(input);
    const n = x.shape[1]!;
    const h0 = this.initialStates('h0', hx?.[0], n, batched, x);
    const c0 = this.initialStates('c0', hx?.[1], n, batched, x);
    const { y, hN, cN } = this.run(x, h0, c0);
    return [this.finishOutput(y, batched), [this.finishState(hN, batched), this.finishState(cN, batched)]];
  }
}

/**
 * Gated recurrent unit, as torch.nn.GRU (gates r, z, n in the weights):
 * n_t = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h_t = (1 − z)·n_t + z·h_{t−1}. Returns [output, h_n].
 * @example const [out, hN] = new GRU(8, 16, {bidirectional: true}).call(x)
 */
export class GRU extends RNNBase<[input: Tensor, hx?: Tensor | null], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h0 = this.initialStates('h0', hx, x.shape[1]!, batched, x);
    const { y, hN } = this.run(x, h0, null);
    return [this.finishOutput(y, batched), this.finishState(hN, batched)];
  }
}
