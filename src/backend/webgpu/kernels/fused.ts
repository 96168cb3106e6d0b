/**
 * Fused kernels: row-wise log-softmax, softmax cross-entropy and its gradient (one thread per
 * row for narrow rows, one workgroup per row with fixed reduction trees for wide ones), and
 * the in-place SGD and Adam updates of a parameter and its state.
 */
import type { AdamHyper, CrossEntropyArgs, SgdHyper } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { f2u, i2u } from '../runtime.js';
import { MAIN_1D, WG, floatOnly, groupsFor } from './common.js';

/** Rows at most this wide get one thread each. */
const THREAD_ROW_MAX = 64;

/**
 * A row kernel: `body` sees `row`, `base` (= row·cols), `cols`, `t`/`step` (this thread's
 * start and stride within the row), and reductions rmax(v)/rsum(v) over the row's threads.
 */
function rowKernel(key: string, decls: Kernel['decls'], wide: boolean, body: string): Kernel {
  const head = wide
    ? `var<workgroup> red: array<f32, ${WG}>;
fn rmax(t: u32, v: f32) -> f32 {
  red[t] = v; workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { let o = red[t + s]; if (!is_nan(red[t]) && (o > red[t] || is_nan(o))) { red[t] = o; } }
    workgroupBarrier();
  }
  let r = red[0]; workgroupBarrier(); return r;
}
fn rsum(t: u32, v: f32) -> f32 {
  red[t] = v; workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) { if (t < s) { red[t] = red[t] + red[t + s]; } workgroupBarrier(); }
  let r = red[0]; workgroupBarrier(); return r;
}
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
