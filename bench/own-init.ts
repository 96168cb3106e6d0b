/**
 * backprop's side of the shared initialization: the peers' Glorot weights copied into backprop's
 * layers, for bench/own.ts and bench/gpu/own.ts (kept out of bench/common.ts, which the peers'
 * processes load, so they never load backprop).
 */
import type { nn } from '../src/index.js';
import { glorot } from './common.js';

/**
 * Copies a shared-init dense weight, generated as [fanIn, fanOut] row-major like the peers',
 * into a Linear's [out, in] weight, and zeroes the bias (the peers start biases at 0).
 */
export function loadDense(layer: nn.Linear, seed: number): void {
  const fanIn = layer.inFeatures, fanOut = layer.outFeatures;
  const src = glorot(fanIn, fanOut, fanIn * fanOut, seed);
  const w = layer.weight.data;
  for (let i = 0; i < fanIn; i++) for (let o = 0; o < fanOut; o++) w[o * fanIn + i] = src[i * fanOut + o]!;
  layer.bias?.data.fill(0);
}

/** Conv weights are generated in OIHW order, which is backprop's layout, so they copy as is. */
export function loadConv(layer: nn.Conv2d, fanIn: number, fanOut: number, seed: number): void {
  layer.weight.data.set(glorot(fanIn, fanOut, layer.weight.size, seed));
  layer.bias?.data.fill(0);
}
