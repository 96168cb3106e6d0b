/**
 * Fused kernels: row-wise log-softmax, softmax cross-entropy and its gradient, layer norm and its
 * gradient (one thread per row for narrow rows, one workgroup per row with fixed reduction trees
 * for wide ones), the exact GELU's gradient, and the in-place SGD and Adam updates of a
 * parameter and its state.
 */
import type { AdamHyper, CrossEntropyArgs, SgdHyper } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { f2u, i2u } from '../runtime.js';
import { MAIN_1D, WG, floatOnly, groupsFor, treeReductions } from './common.js';
import { MATH_WGSL } from './elementwise.js';

/** Rows at most this wide get one thread each. */
const THREAD_ROW_MAX = 64;

/**
 * A row kernel: `body` sees `row`, `base` (= row·cols), `cols`, `t`/`step` (this thread's
 * start and stride within the row), and reductions rmax(v)/rsum(v) over the row's threads.
 */
function rowKernel(key: string, decls: Kernel['decls'], wide: boolean, body: string): Kernel {
  const head = wide
    ? `${treeReductions(WG)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let rows = pu(0u); let cols = pu(1u);
  let row0 = wg.y * nwg.x + wg.x;
  let live = row0 < rows;
  let row = select(0u, row0, live);
  let step = ${WG}u;`
    : `fn rmax(t: u32, v: f32) -> f32 { return v; }
fn rsum(t: u32, v: f32) -> f32 { return v; }
${MAIN_1D}
  let rows = pu(0u); let cols = pu(1u);
  if (i >= rows) { return; }
  let live = true;
  let row = i; let t = 0u; let step = 1u;`;
  return { key: `${key}:${wide ? 'group' : 'thread'}`, decls, body: () => `${head}\n  let base = row * cols;\n${body}\n}` };
}

/**
 * max over the row. NaN wins for logSoftmax (as in its CPU loop); for cross-entropy it never
 * does, and reaches the loss through the sum instead, again as on the CPU.
 */
const rowMax = (nanWins: boolean): string => `  var mx = -inf_f32();
  for (var k = t; k < cols; k += step) { let v = z[base + k]; if (v > mx${nanWins ? ' || is_nan(v)' : ''}) { mx = v; } }
  mx = rmax(t, mx);`;
const ROW_SUMEXP = `  var se = 0.0;
  for (var k = t; k < cols; k += step) { se += exp_(z[base + k] - mx); }
  se = rsum(t, se);`;

const dispatchRows = (rows: number, wide: boolean): number => (wide ? rows : groupsFor(rows));

/** out[r, :] = x[r, :] − log Σ exp(x[r, :]), shifted by the row max. */
export function logSoftmax(rt: GpuRuntime, x: GpuBuffer, rows: number, cols: number, out: GpuBuffer): void {
  floatOnly(x.dtype, 'logSoftmax');
  if (rows * cols === 0) return;
  const wide = cols > THREAD_ROW_MAX;
  const k = rowKernel('logSoftmax', [{ name: 'z', type: 'f32', access: 'read' }, { name: 'o', type: 'f32', access: 'write' }], wide, `${rowMax(true)}
${ROW_SUMEXP}
  let lse = mx + log(se);
  if (live) { for (var k = t; k < cols; k += step) { o[base + k] = z[base + k] - lse; } }`);
  rt.run(k, [x, out], [rows, cols], dispatchRows(rows, wide));
}

const ceParams = (a: CrossEntropyArgs): number[] => [a.rows, a.cols, f2u(a.labelSmoothing), i2u(a.ignoreIndex)];
const weightOf = (has: boolean, k: string): string => (has ? `w[${k}]` : '1.0');

/** Per-row softmax cross-entropy into out [rows]. */
export function crossEntropy(rt: GpuRuntime, z: GpuBuffer, targets: GpuBuffer, weight: GpuBuffer | null, a: CrossEntropyArgs, out: GpuBuffer): void {
  floatOnly(z.dtype, 'crossEntropy');
  if (a.rows === 0) return;
  const wide = a.cols > THREAD_ROW_MAX;
  const decls: Kernel['decls'] = [{ name: 'z', type: 'f32', access: 'read' }, { name: 'tg', type: 'i32', access: 'read' },
    ...(weight ? [{ name: 'w', type: 'f32', access: 'read' } as const] : []), { name: 'o', type: 'f32', access: 'write' }];
  const k = rowKernel(`crossEntropy:${weight ? 'w' : '1'}`, decls, wide, `  let eps = pf(2u); let ti = tg[row];
  let ignored = ti == pi(3u);
  let tu = u32(clamp(ti, 0, i32(cols) - 1));
${rowMax(false)}
${ROW_SUMEXP}
  let lse = log(se);
  var s = 0.0;
  if (eps > 0.0) {
    for (var k = t; k < cols; k += step) { s += ${weightOf(!!weight, 'k')} * (lse - (z[base + k] - mx)); }
  }
  s = rsum(t, s);
  if (t == 0u && live) {
    var loss = (1.0 - eps) * ${weightOf(!!weight, 'tu')} * (lse - (z[base + tu] - mx));
    if (eps > 0.0) { loss += (eps / f32(cols)) * s; }
    o[row] = select(loss, 0.0, ignored);
  }`);
  rt.run(k, weight ? [z, targets, weight, out] : [z, targets, out], ceParams(a), dispatchRows(a.rows, wide));
}

/** Its gradient: out[i, :] = (softmax(z_i)·Σ_c q_ic − q_i)·g[i], q the target distribution. */
export function crossEntropyGrad(rt: GpuRuntime, z: GpuBuffer, targets: GpuBuffer, weight: GpuBuffer | null, g: GpuBuffer, a: CrossEntropyArgs, out: GpuBuffer): void {
  floatOnly(z.dtype, 'crossEntropyGrad');
  if (a.rows * a.cols === 0) return;
  const wide = a.cols > THREAD_ROW_MAX;
  const decls: Kernel['decls'] = [{ name: 'z', type: 'f32', access: 'read' }, { name: 'tg', type: 'i32', access: 'read' },
    ...(weight ? [{ name: 'w', type: 'f32', access: 'read' } as const] : []), { name: 'g', type: 'f32', access: 'read' }, { name: 'o', type: 'f32', access: 'write' }];
  const k = rowKernel(`crossEntropyGrad:${weight ? 'w' : '1'}`, decls, wide, `  let eps = pf(2u); let ti = tg[row];
  let ignored = ti == pi(3u);
  let tu = u32(clamp(ti, 0, i32(cols) - 1));
${rowMax(false)}
${ROW_SUMEXP}
  let c = f32(cols);
  let qt = (1.0 - eps) * ${weightOf(!!weight, 'tu')};
  var ws = 0.0;
  if (eps > 0.0) { for (var k = t; k < cols; k += step) { ws += (eps / c) * ${weightOf(!!weight, 'k')}; } }
  ws = rsum(t, ws);
  let scale = (qt + ws) / se;
  let gi = g[row];
  if (live) {
    for (var k = t; k < cols; k += step) {
      var q = select(0.0, (eps / c) * ${weightOf(!!weight, 'k')}, eps > 0.0);
      if (k == tu) { q += qt; }
      o[base + k] = select((exp_(z[base + k] - mx) * scale - q) * gi, 0.0, ignored);
    }
  }`);
  rt.run(k, weight ? [z, targets, weight, g, out] : [z, targets, g, out], ceParams(a), dispatchRows(a.rows, wide));
}

/** The row's mean and sd = √(biased variance + eps), as the CPU computes them (two passes). */
const ROW_MOMENTS = `  let eps = pf(2u);
  var s = 0.0;
  for (var k = t; k < cols; k += step) { s += x[base + k]; }
  let mean = rsum(t, s) / f32(cols);
  var ss = 0.0;
  for (var k = t; k < cols; k += step) { let c = x[base + k] - mean; ss += c * c; }
  let sd = sqrt(rsum(t, ss) / f32(cols) + eps);`;

const f32Decl = (name: string, access: Kernel['decls'][number]['access'] = 'read'): Kernel['decls'][number] => ({ name, type: 'f32', access });

/** out = (x − μ)/σ·w + b over the contiguous rows of x [rows, cols]; w and b optional. */
export function layerNorm(rt: GpuRuntime, x: GpuBuffer, weight: GpuBuffer | null, bias: GpuBuffer | null, rows: number, cols: number, eps: number, out: GpuBuffer): void {
  floatOnly(x.dtype, 'layerNorm');
  if (rows * cols === 0) return;
  const wide = cols > THREAD_ROW_MAX;
  const decls = [f32Decl('x'), ...(weight ? [f32Decl('w')] : []), ...(bias ? [f32Decl('b')] : []), f32Decl('o', 'write')];
  // divides by σ rather than multiplying by 1/σ, as the CPU kernels and the composition do
  const k = rowKernel(`layerNorm:${weight ? 'w' : ''}${bias ? 'b' : ''}`, decls, wide, `${ROW_MOMENTS}
  if (live) {
    for (var k = t; k < cols; k += step) {
      var y = (x[base + k] - mean) / sd;
${weight ? '      y = y * w[k];\n' : ''}${bias ? '      y = y + b[k];\n' : ''}      o[base + k] = y;
    }
  }`);
  const buffers = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : []), out];
  rt.run(k, buffers, [rows, cols, f2u(eps)], dispatchRows(rows, wide));
}

/**
 * Layer norm's gradient: dx row by row (with the row's mean and σ kept in a scratch buffer when
 * dw or db is asked for), then dw = Σ_rows g·x̂ and db = Σ_rows g column by column: partial sums
 * over blocks of rows, then the blocks in order, so no sum depends on thread timing.
 */
export function layerNormGrad(rt: GpuRuntime, g: GpuBuffer, x: GpuBuffer, weight: GpuBuffer | null, rows: number, cols: number, eps: number, dx: GpuBuffer, dw: GpuBuffer | null, db: GpuBuffer | null): void {
  floatOnly(x.dtype, 'layerNormGrad');
  if (cols === 0) return;
  if (rows === 0) {
    // no rows: the sums over rows are zero, and must overwrite whatever the outputs held
    if (dw) rt.clear(dw);
    if (db) rt.clear(db);
    return;
  }
  const wide = cols > THREAD_ROW_MAX;
  const stats = dw || db ? rt.alloc('float32', 2 * rows) : null;
  const decls = [f32Decl('g'), f32Decl('x'), ...(weight ? [f32Decl('w')] : []), f32Decl('dx', 'write'), ...(stats ? [f32Decl('st', 'write')] : [])];
  const gw = weight ? 'g[base + k] * w[k]' : 'g[base + k]';
  const k = rowKernel(`layerNormGrad:${weight ? 'w' : ''}${stats ? 's' : ''}`, decls, wide, `${ROW_MOMENTS}
  // dx = (gw − mean(gw) − x̂·mean(gw·x̂))/σ with gw = g·w
  var a = 0.0; var bsum = 0.0;
  for (var k = t; k < cols; k += step) { let xh = (x[base + k] - mean) / sd; let gw = ${gw}; a += gw; bsum += gw * xh; }
  a = rsum(t, a) / f32(cols);
  bsum = rsum(t, bsum) / f32(cols);
  if (live) {
    for (var k = t; k < cols; k += step) { let xh = (x[base + k] - mean) / sd; let gw = ${gw}; dx[base + k] = (gw - a - xh * bsum) / sd; }
${stats ? '    if (t == 0u) { st[2u * row] = mean; st[2u * row + 1u] = sd; }\n' : ''}  }`);
  rt.run(k, [g, x, ...(weight ? [weight] : []), dx, ...(stats ? [stats] : [])], [rows, cols, f2u(eps)], dispatchRows(rows, wide));
  if (!stats) return;
  // about √rows blocks of about √rows rows each: both passes stay short and parallel
  const block = Math.max(16, Math.ceil(Math.sqrt(rows)));
  const blocks = Math.ceil(rows / block);
  const direct = blocks === 1;
  const pw = dw ? (direct ? dw : rt.alloc('float32', blocks * cols)) : null;
  const pb = db ? (direct ? db : rt.alloc('float32', blocks * cols)) : null;
  const outs = [...(pw ? [f32Decl('pw', 'write')] : []), ...(pb ? [f32Decl('pb', 'write')] : [])];
  const partial: Kernel = {
    key: `layerNormGrad:partial:${pw ? 'w' : ''}${pb ? 'b' : ''}`,
    decls: [f32Decl('g'), f32Decl('x'), f32Decl('st'), ...outs],
    body: () => `${MAIN_1D}
  let rows = pu(0u); let cols = pu(1u); let block = pu(2u);
  if (i >= pu(3u) * cols) { return; }
  let blk = i / cols; let j = i % cols;
  let r1 = min(rows, (blk + 1u) * block);
  var sw = 0.0; var sb = 0.0;
  for (var r = blk * block; r < r1; r++) {
    let gv = g[r * cols + j];
${pw ? '    sw += gv * ((x[r * cols + j] - st[2u * r]) / st[2u * r + 1u]);\n' : ''}    sb += gv;
  }
${pw ? '  pw[i] = sw;\n' : ''}${pb ? '  pb[i] = sb;\n' : ''}}`,
  };
  rt.run(partial, [g, x, stats, ...(pw ? [pw] : []), ...(pb ? [pb] : [])], [rows, cols, block, blocks], groupsFor(blocks * cols));
  rt.release(stats);
  if (direct) return;
  const finals = [...(pw ? [f32Decl('pw'), f32Decl('dw', 'write')] : []), ...(pb ? [f32Decl('pb'), f32Decl('db', 'write')] : [])];
  const total: Kernel = {
    key: `layerNormGrad:total:${pw ? 'w' : ''}${pb ? 'b' : ''}`,
    decls: finals,
    body: () => `${MAIN_1D}
  let cols = pu(0u); let blocks = pu(1u);
  if (i >= cols) { return; }
  var sw = 0.0; var sb = 0.0;
  for (var k = 0u; k < blocks; k++) {
${pw ? '    sw += pw[k * cols + i];\n' : ''}${pb ? '    sb += pb[k * cols + i];\n' : ''}  }
${pw ? '  dw[i] = sw;\n' : ''}${pb ? '  db[i] = sb;\n' : ''}}`,
  };
  rt.run(total, [...(pw ? [pw, dw!] : []), ...(pb ? [pb, db!] : [])], [cols, blocks], groupsFor(cols));
  if (pw) rt.release(pw);
  if (pb) rt.release(pb);
}

/** out = g·gelu'(x) = g·(Φ(x) + x·φ(x)) for the exact GELU, Φ from erf as the CPU computes it. */
export function geluGrad(rt: GpuRuntime, g: GpuBuffer, x: GpuBuffer, out: GpuBuffer): void {
  floatOnly(x.dtype, 'geluGrad');
  const n = out.length;
  if (n === 0) return;
  const k: Kernel = {
    key: 'geluGrad',
    decls: [f32Decl('g'), f32Decl('x'), f32Decl('o', 'write')],
    body: () => `${MATH_WGSL}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let v = x[i];
  // NaN is checked first: drivers need not carry it through exp
  if (is_nan(v)) { o[i] = v; return; }
  let cdf = (erf_(v * 0.70710678) + 1.0) * 0.5;
  let pdf = exp(v * v * -0.5) * 0.39894228;
  o[i] = g[i] * (cdf + v * pdf);
}`,
  };
  rt.run(k, [g, x, out], [n], groupsFor(n));
}

/** In-place SGD (PyTorch's semantics) of x from g; buf is the velocity (null without momentum). */
export function sgdStep(rt: GpuRuntime, x: GpuBuffer, g: GpuBuffer, buf: GpuBuffer | null, h: SgdHyper): void {
  floatOnly(x.dtype, 'sgdStep');
  const n = x.length;
  if (n === 0) return;
  const flags = (h.nesterov ? 1 : 0) | (h.maximize ? 2 : 0) | (h.first ? 4 : 0);
  const momentum = buf !== null;
  const k: Kernel = {
    key: `sgdStep:${momentum ? 'momentum' : 'plain'}`,
    decls: [{ name: 'x', type: 'f32', access: 'rw' }, { name: 'g', type: 'f32', access: 'read' },
      ...(momentum ? [{ name: 'buf', type: 'f32', access: 'rw' } as const] : [])],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let lr = pf(1u); let mu = pf(2u); let damp = pf(3u); let wd = pf(4u); let flags = pu(5u);
  var gi = g[i];
  if ((flags & 2u) != 0u) { gi = -gi; }
  if (wd != 0.0) { gi += wd * x[i]; }
${momentum ? `  var b = gi;
  if ((flags & 4u) == 0u) { b = mu * buf[i] + (1.0 - damp) * gi; }
  buf[i] = b;
  gi = select(b, gi + mu * b, (flags & 1u) != 0u);` : ''}
  x[i] = x[i] - lr * gi;
}`,
  };
  rt.run(k, momentum ? [x, g, buf] : [x, g], [n, f2u(h.lr), f2u(h.momentum), f2u(h.dampening), f2u(h.weightDecay), flags], groupsFor(n));
}

/** In-place Adam/AdamW of x; m, v (and vmax for AMSGrad) are the moments, in x's dtype. */
export function adamStep(rt: GpuRuntime, x: GpuBuffer, g: GpuBuffer, m: GpuBuffer, v: GpuBuffer, vmax: GpuBuffer | null, h: AdamHyper): void {
  floatOnly(x.dtype, 'adamStep');
  const n = x.length;
  if (n === 0) return;
  const flags = (h.decoupled ? 1 : 0) | (h.maximize ? 2 : 0);
  const stepSize = h.lr / (1 - h.beta1 ** h.step);
  const bc2Sqrt = Math.sqrt(1 - h.beta2 ** h.step);
  const ams = vmax !== null;
  const k: Kernel = {
    key: `adamStep:${ams ? 'amsgrad' : 'plain'}`,
    decls: [{ name: 'x', type: 'f32', access: 'rw' }, { name: 'g', type: 'f32', access: 'read' }, { name: 'm', type: 'f32', access: 'rw' },
      { name: 'v', type: 'f32', access: 'rw' }, ...(ams ? [{ name: 'vmax', type: 'f32', access: 'rw' } as const] : [])],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let lr = pf(1u); let b1 = pf(2u); let b2 = pf(3u); let eps = pf(4u); let wd = pf(5u);
  let stepSize = pf(6u); let bc2Sqrt = pf(7u); let flags = pu(8u);
  var xi = x[i];
  var gi = g[i];
  if ((flags & 2u) != 0u) { gi = -gi; }
  if (wd != 0.0) { if ((flags & 1u) != 0u) { xi = xi * (1.0 - lr * wd); } else { gi += wd * xi; } }
  let mi = b1 * m[i] + (1.0 - b1) * gi;
  let vi = b2 * v[i] + (1.0 - b2) * gi * gi;
  m[i] = mi; v[i] = vi;
  var dv = vi;
${ams ? '  dv = max(vmax[i], vi); vmax[i] = dv;' : ''}
  x[i] = xi - (stepSize * mi) / (sqrt(dv) / bc2Sqrt + eps);
}`,
  };
  rt.run(k, ams ? [x, g, m, v, vmax] : [x, g, m, v],
    [n, f2u(h.lr), f2u(h.beta1), f2u(h.beta2), f2u(h.eps), f2u(h.weightDecay), f2u(stepSize), f2u(bc2Sqrt), flags], groupsFor(n));
}
