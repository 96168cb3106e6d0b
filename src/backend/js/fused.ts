import type { ActGradActivation, AdamHyper, BiasActivation, CrossEntropyArgs, SgdHyper, TypedArray } from '../backend.js';
import { unaryLoop } from './elementwise.js';
import { erf } from './erf.js';

/**
 * The reference backend's fused kernels: one pass each where the composition in src/ops would
 * take several. The conformance suite checks each against that composition.
 */

export function actGrad(act: ActGradActivation, g: TypedArray, y: TypedArray, out: TypedArray): void {
  const n = out.length;
  switch (act) {
    case 'sigmoid': for (let i = 0; i < n; i++) { const v = y[i]!; out[i] = g[i]! * (v * (1 - v)); } return;
    case 'tanh': for (let i = 0; i < n; i++) { const v = y[i]!; out[i] = g[i]! * (1 - v * v); } return;
    // only y <= 0 blocks, so a NaN output passes the gradient on (torch's threshold_backward)
    case 'relu': for (let i = 0; i < n; i++) out[i] = y[i]! <= 0 ? 0 : g[i]!; return;
  }
}

export function biasAct(act: BiasActivation, z: TypedArray, bias: TypedArray, out: TypedArray): void {
  const cols = bias.length;
  const rows = cols === 0 ? 0 : z.length / cols;
  // row by row: the sum is written (rounded to out's dtype) and mapped while still in cache
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) out[o + j] = z[o + j]! + bias[j]!;
    if (act !== 'none') {
      const row = out.subarray(o, o + cols);
      unaryLoop(act, row, row, 0, 0);
    }
  }
}

export function logSoftmax(x: TypedArray, rows: number, cols: number, out: TypedArray): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let mx = -Infinity;
    for (let k = 0; k < cols; k++) { const v = x[off + k]!; if (v > mx || v !== v) mx = v; }
    // an all −∞ row stays −∞ − (−∞) = NaN, as the composition gives
    let se = 0;
    for (let k = 0; k < cols; k++) se += Math.exp(x[off + k]! - mx);
    const lse = Math.log(se);
    for (let k = 0; k < cols; k++) out[off + k] = x[off + k]! - mx - lse;
  }
}

export function crossEntropy(z: TypedArray, targets: TypedArray, weight: TypedArray | null, a: CrossEntropyArgs, out: TypedArray): void {
  const { rows: m, cols: c, labelSmoothing: eps, ignoreIndex } = a;
  const w = weight;
  for (let i = 0; i < m; i++) {
    const ti = targets[i]!;
    if (ti === ignoreIndex) { out[i] = 0; continue; }
    const off = i * c;
    let mx = -Infinity;
    for (let k = 0; k < c; k++) if (z[off + k]! > mx) mx = z[off + k]!;
    let se = 0;
    for (let k = 0; k < c; k++) se += Math.exp(z[off + k]! - mx);
    // lse is log Σ exp(z − max): every −log p_k below is lse − (z_k − max) ≥ 0
    const lse = Math.log(se);
    let loss = (1 - eps) * (w ? w[ti]! : 1) * (lse - (z[off + ti]! - mx));
    if (eps > 0) {
      let s = 0;
      for (let k = 0; k < c; k++) s += (w ? w[k]! : 1) * (lse - (z[off + k]! - mx));
      loss += (eps / c) * s;
    }
    out[i] = loss;
  }
}

export function crossEntropyGrad(z: TypedArray, targets: TypedArray, weight: TypedArray | null, g: TypedArray, a: CrossEntropyArgs, out: TypedArray): void {
  const { rows: m, cols: c, labelSmoothing: eps, ignoreIndex } = a;
  const w = weight;
  for (let i = 0; i < m; i++) {
    const ti = targets[i]!;
    const off = i * c;
    if (ti === ignoreIndex) { for (let k = 0; k < c; k++) out[off + k] = 0; continue; }
    let mx = -Infinity;
    for (let k = 0; k < c; k++) if (z[off + k]! > mx) mx = z[off + k]!;
    let se = 0;
    for (let k = 0; k < c; k++) se += Math.exp(z[off + k]! - mx);
    // Σ_c q_ic: 1 for unweighted rows, else the smoothed weight mass
    const qt = (1 - eps) * (w ? w[ti]! : 1);
    let rowSum = qt;
    if (eps > 0) for (let k = 0; k < c; k++) rowSum += (eps / c) * (w ? w[k]! : 1);
    const gi = g[i]!, scale = rowSum / se;
    for (let k = 0; k < c; k++) {
      let q = eps > 0 ? (eps / c) * (w ? w[k]! : 1) : 0;
      if (k === ti) q += qt;
      out[off + k] = (Math.exp(z[off + k]! - mx) * scale - q) * gi;
    }
  }
}

export function sgdStep(x: TypedArray, g: TypedArray, buf: TypedArray | null, h: SgdHyper): void {
  const { lr, momentum: mu, dampening, nesterov, weightDecay: wd, maximize, first } = h;
  if (buf === null && wd === 0 && !maximize) {
    // plain SGD, the common case: a branch-free loop V8 compiles tightly
    for (let i = 0; i < x.length; i++) x[i] = x[i]! - lr * g[i]!;
    return;
  }
  for (let i = 0; i < x.length; i++) {
    let gi = maximize ? -g[i]! : g[i]!;
    if (wd !== 0) gi += wd * x[i]!;
    if (buf !== null) {
      const b = first ? gi : mu * buf[i]! + (1 - dampening) * gi;
      buf[i] = b;
      gi = nesterov ? gi + mu * b : b;
    }
    x[i] = x[i]! - lr * gi;
  }
}

export function adamStep(x: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, vmax: TypedArray | null, h: AdamHyper): void {
  const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, maximize, decoupled, step: t } = h;
  const stepSize = lr / (1 - b1 ** t);
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  for (let i = 0; i < x.length; i++) {
    let xi = x[i]!;
    let gi = maximize ? -g[i]! : g[i]!;
    if (wd !== 0) {
      if (decoupled) xi *= 1 - lr * wd;
      else gi += wd * xi;
    }
    const mi = b1 * m[i]! + (1 - b1) * gi;
    const vi = b2 * v[i]! + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    let denomV = vi;
    if (vmax !== null) {
      denomV = Math.max(vmax[i]!, vi);
      vmax[i] = denomV;
    }
    x[i] = xi - (stepSize * mi) / (Math.sqrt(denomV) / bc2Sqrt + eps);
  }
}

/** The mean and √(biased variance + eps) of row x[off, off + cols), both passes in index order. */
function rowStats(x: TypedArray, off: number, cols: number, eps: number): { mean: number; sd: number } {
  let s = 0;
  for (let j = 0; j < cols; j++) s += x[off + j]!;
  const mean = s / cols;
  let ss = 0;
  for (let j = 0; j < cols; j++) { const c = x[off + j]! - mean; ss += c * c; }
  return { mean, sd: Math.sqrt(ss / cols + eps) };
}

export function layerNorm(x: TypedArray, weight: TypedArray | null, bias: TypedArray | null, rows: number, cols: number, eps: number, out: TypedArray): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    // divide rather than multiply by 1/σ, as the composition does, so float64 results agree
    const { mean, sd } = rowStats(x, off, cols, eps);
    for (let j = 0; j < cols; j++) {
      let y = (x[off + j]! - mean) / sd;
      if (weight !== null) y *= weight[j]!;
      if (bias !== null) y += bias[j]!;
      out[off + j] = y;
    }
  }
}

export function layerNormGrad(g: TypedArray, x: TypedArray, weight: TypedArray | null, rows: number, cols: number, eps: number, dx: TypedArray, dw: TypedArray | null, db: TypedArray | null): void {
  const accW = dw !== null ? new Float64Array(cols) : null;
  const accB = db !== null ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    const { mean, sd } = rowStats(x, off, cols, eps);
    // dx = (gw − mean(gw) − x̂·mean(gw·x̂))/σ with gw = g·w
    let a = 0, b = 0;
    for (let j = 0; j < cols; j++) {
      const xh = (x[off + j]! - mean) / sd;
      const gw = weight !== null ? g[off + j]! * weight[j]! : g[off + j]!;
      a += gw;
      b += gw * xh;
      if (accW !== null) accW[j]! += g[off + j]! * xh;
      if (accB !== null) accB[j]! += g[off + j]!;
    }
    a /= cols;
    b /= cols;
    for (let j = 0; j < cols; j++) {
      const xh = (x[off + j]! - mean) / sd;
      const gw = weight !== null ? g[off + j]! * weight[j]! : g[off + j]!;
      dx[off + j] = (gw - a - xh * b) / sd;
    }
  }
  if (dw !== null) dw.set(accW!);
  if (db !== null) db.set(accB!);
}

// y (the forward's output) is not needed here: the reference computes Φ from erf, in float64
export function geluGrad(g: TypedArray, x: TypedArray, _y: TypedArray, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i]!;
    const cdf = (erf(v * Math.SQRT1_2) + 1) * 0.5;
    const pdf = Math.exp(v * v * -0.5) * 0.3989422804014327;
    out[i] = g[i]! * (cdf + v * pdf);
  }
}
