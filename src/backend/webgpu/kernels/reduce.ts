/**
 * Reductions over any set of axes, and arg-max/arg-min along one axis. Deterministic: each
 * output is combined by one thread, or by one workgroup's fixed tree, never by atomics or in
 * the order workgroups finish. Large reductions with few outputs take two passes (per-chunk
 * partials, then the partials) so the whole GPU works on them.
 */
import type { ArgReduceOp, DType, ReduceOp, ScanOp, Shape } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { MAIN_1D, WG, groupsFor, mergeDims, stridesOf, wgslType, type Scalar } from './common.js';
import { f2u, i2u } from '../runtime.js';

/** Outputs below this get a workgroup each; above it, a thread each is enough parallelism. */
const THREAD_PER_OUTPUT_MIN = 1024;
/** Reductions this short take one thread per output whatever their count: a tree would idle. */
const SHORT_REDUCTION = 256;
/** Elements one workgroup reduces per output chunk before a second pass takes over. */
const CHUNK = 16384;

function identity(op: ReduceOp, t: Scalar): string {
  if (op === 'sum') return t === 'f32' ? '0.0' : '0';
  if (op === 'prod') return t === 'f32' ? '1.0' : '1';
  if (t === 'f32') return op === 'max' ? '-inf_f32()' : 'inf_f32()';
  return op === 'max' ? '(-2147483647 - 1)' : '2147483647';
}

/** WGSL combining acc with v (NaN wins for max/min, as on the CPU). */
function combine(op: ReduceOp, t: Scalar, acc: string, v: string): string {
  if (op === 'sum') return `${acc} = ${acc} + ${v};`;
  if (op === 'prod') return `${acc} = ${acc} * ${v};`;
  const cmp = op === 'max' ? '>' : '<';
  if (t === 'i32') return `${acc} = ${op === 'max' ? 'max' : 'min'}(${acc}, ${v});`;
  return `if (!is_nan(${acc}) && (is_nan(${v}) || ${v} ${cmp} ${acc})) { ${acc} = ${v}; }`;
}

/** WGSL for the offset of index `idx` over `rank` dims read from parameter `at` (dims, then strides). */
function offsetOf(idx: string, rank: number, at: number, name: string): string {
  let code = `  var ${name} = 0u;\n  { var rem = ${idx};\n`;
  for (let d = rank - 1; d >= 0; d--) code += `    { let dim = pu(${at + d}u); ${name} += (rem % dim) * pu(${at + rank + d}u); rem = rem / dim; }\n`;
  return code + '  }\n';
}

interface Plan {
  kept: { dims: number[]; strides: number[] };
  red: { dims: number[]; strides: number[] };
  keptCount: number;
  redCount: number;
}

function plan(shape: Shape, axes: readonly number[]): Plan {
  const st = stridesOf(shape);
  const keptIdx = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const k = mergeDims(keptIdx.map((i) => shape[i]!), [keptIdx.map((i) => st[i]!)]);
  const r = mergeDims(axes.map((i) => shape[i]!), [axes.map((i) => st[i]!)]);
  let keptCount = 1, redCount = 1;
  for (const i of keptIdx) keptCount *= shape[i]!;
  for (const i of axes) redCount *= shape[i]!;
  return { kept: { dims: k.dims, strides: k.strides[0]! }, red: { dims: r.dims, strides: r.strides[0]! }, keptCount, redCount };
}

/**
 * The reduction kernel. `perOutput` threads (1 or WG) combine one output's chunk; params:
 * [keptCount, redCount, chunkLen, chunks, kept dims/strides, reduced dims/strides].
 */
function reduceKernel(op: ReduceOp, t: Scalar, kr: number, rr: number, perOutput: 1 | typeof WG): Kernel {
  const id = identity(op, t);
  const keptAt = 4, redAt = 4 + 2 * kr;
  const head = perOutput === 1
    ? `${MAIN_1D}
  let total = pu(0u) * pu(3u);
  if (i >= total) { return; }
  let o = i / pu(3u); let c = i % pu(3u); let t = 0u; let step = 1u;`
    : `var<workgroup> part: array<${t}, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let g = wg.y * nwg.x + wg.x;
  let o = g / pu(3u); let c = g % pu(3u); let step = ${WG}u;
  let live = o < pu(0u);`;
  const loop = `${offsetOf('o', kr, keptAt, 'base')}
  var acc: ${t} = ${id};
  let r0 = c * pu(2u);
  let r1 = min(pu(1u), r0 + pu(2u));
  for (var r = r0 + t; r < r1; r += step) {
${offsetOf('r', rr, redAt, 'off').replace(/^/gm, '  ')}
    let v = x[base + off];
    ${combine(op, t, 'acc', 'v')}
  }`;
  const tail = perOutput === 1
    ? '  out[i] = acc;\n}'
    : `  part[t] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { var a = part[t]; let v = part[t + s]; ${combine(op, t, 'a', 'v')} part[t] = a; }
    workgroupBarrier();
  }
  if (t == 0u && live) { out[g] = part[0]; }
}`;
  // a workgroup past the last output still reaches every barrier; it just loads nothing
  const guardedLoop = perOutput === 1 ? loop : loop.replace('let r0 = c * pu(2u);', 'let r0 = select(pu(1u), c * pu(2u), live);');
  return {
    key: `reduce:${op}:${t}:${kr}:${rr}:${perOutput}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'out', type: t, access: 'write' }],
    body: () => `${head}\n${guardedLoop}\n${tail}`,
  };
}

/** A fill of every element with one value (bit pattern `bits`). */
export function fillKernel(t: Scalar): Kernel {
  return {
    key: `fill:${t}`,
    decls: [{ name: 'o', type: t, access: 'write' }],
    body: () => `${MAIN_1D}\n  if (i >= pu(0u)) { return; }\n  o[i] = bitcast<${t}>(pu(1u));\n}`,
  };
}

/** Fills out with v (as its dtype: float32 bits, or a truncated int32). */
export function fill(rt: GpuRuntime, out: GpuBuffer, v: number): void {
  const t = wgslType(out.dtype, 'fill');
  if (v === 0) { rt.clear(out); return; }
  rt.run(fillKernel(t), [out], [out.length, t === 'f32' ? f2u(v) : i2u(Math.trunc(v) | 0)], groupsFor(out.length));
}

/** Reduces `axes` (sorted, unique) of x into out. */
export function reduce(rt: GpuRuntime, op: ReduceOp, x: GpuBuffer, shape: Shape, axes: readonly number[], out: GpuBuffer): void {
  const t = wgslType(x.dtype, op);
  if (out.length === 0) return;
  if (x.length === 0) {
    // the identities; the CPU backends write ±Infinity, which an int32 array stores as 0
    fill(rt, out, op === 'sum' ? 0 : op === 'prod' ? 1 : t === 'i32' ? 0 : op === 'max' ? -Infinity : Infinity);
    return;
  }
  const p = plan(shape, axes);
  const kr = p.kept.dims.length, rr = p.red.dims.length;
  const params = (chunkLen: number, chunks: number): number[] =>
    [p.keptCount, p.redCount, chunkLen, chunks, ...p.kept.dims, ...p.kept.strides, ...p.red.dims, ...p.red.strides];
  if (p.keptCount >= THREAD_PER_OUTPUT_MIN || p.redCount <= SHORT_REDUCTION) {
    rt.run(reduceKernel(op, t, kr, rr, 1), [x, out], params(p.redCount, 1), groupsFor(p.keptCount));
    return;
  }
  if (p.redCount <= CHUNK * 2 || p.keptCount * 4 >= THREAD_PER_OUTPUT_MIN) {
    rt.run(reduceKernel(op, t, kr, rr, WG), [x, out], params(p.redCount, 1), p.keptCount);
    return;
  }
  // few outputs, many elements: per-chunk partials [keptCount, chunks], then reduce those
  const chunks = Math.ceil(p.redCount / CHUNK);
  const partial = rt.alloc(x.dtype, p.keptCount * chunks);
  rt.run(reduceKernel(op, t, kr, rr, WG), [x, partial], params(CHUNK, chunks), p.keptCount * chunks);
  reduce(rt, op, partial, [p.keptCount, chunks], [1], out);
  rt.release(partial);
}

/** arg-max/arg-min along one axis into int32 out (ties: first index; NaN wins). */
export function argReduce(rt: GpuRuntime, op: ArgReduceOp, x: GpuBuffer, shape: Shape, axis: number, out: GpuBuffer): void {
  const t = wgslType(x.dtype, op);
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  const red = shape[axis]!;
  const n = outer * inner;
  if (n === 0) return;
  const cmp = op === 'argmax' ? '>' : '<';
  const better = t === 'f32'
    ? (v: string, bv: string): string => `(${v} ${cmp} ${bv} || (is_nan(${v}) && !is_nan(${bv})))`
    : (v: string, bv: string): string => `${v} ${cmp} ${bv}`;
  if (n >= THREAD_PER_OUTPUT_MIN || red <= 64) {
    const k: Kernel = {
      key: `argReduce:${op}:${t}:thread`,
      decls: [{ name: 'x', type: t, access: 'read' }, { name: 'out', type: 'i32', access: 'write' }],
      body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let red = pu(1u); let inner = pu(2u);
  let base = (i / inner) * red * inner + i % inner;
  var best = x[base]; var bi = 0u;
  for (var r = 1u; r < red; r++) { let v = x[base + r * inner]; if (${better('v', 'best')}) { best = v; bi = r; } }
  out[i] = i32(bi);
}`,
    };
    rt.run(k, [x, out], [n, red, inner], groupsFor(n));
    return;
  }
  // few outputs along a long axis: one workgroup per output, a tree over (value, index) pairs
  // that prefers the better value, then the lower index, so the answer is the sequential one
  const k: Kernel = {
    key: `argReduce:${op}:${t}:group`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'out', type: 'i32', access: 'write' }],
    body: () => `var<workgroup> pv: array<${t}, ${WG}>;
var<workgroup> pidx: array<u32, ${WG}>;
fn pick(v: ${t}, vi: u32, b: ${t}, bi: u32) -> bool {
  if (vi == 0xffffffffu) { return false; }
  if (bi == 0xffffffffu) { return true; }
  if (${better('v', 'b')}) { return true; }
  if (${better('b', 'v')}) { return false; }
  return vi < bi;
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let o = wg.y * nwg.x + wg.x;
  let red = pu(1u); let inner = pu(2u);
  let live = o < pu(0u);
  let base = (o / inner) * red * inner + o % inner;
  var best = x[select(0u, base, live)]; var bi = 0xffffffffu;
  if (live) {
    for (var r = t; r < red; r += ${WG}u) { let v = x[base + r * inner]; if (pick(v, r, best, bi)) { best = v; bi = r; } }
  }
  pv[t] = best; pidx[t] = bi;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (t < s && pick(pv[t + s], pidx[t + s], pv[t], pidx[t])) { pv[t] = pv[t + s]; pidx[t] = pidx[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u && live) { out[o] = i32(pidx[0]); }
}`,
  };
  rt.run(k, [x, out], [n, red, inner], n);
}

/**
 * Inclusive scan (cumsum, cumprod) along one axis, each line accumulated in order by one thread
 * (forward, or from the end with `reverse`), so the result never depends on timing.
 */
export function scan(rt: GpuRuntime, op: ScanOp, x: GpuBuffer, shape: Shape, axis: number, reverse: boolean, out: GpuBuffer): void {
  const t = wgslType(x.dtype, op);
  if (x.length === 0) return;
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  const n = shape[axis]!, lines = outer * inner;
  const k: Kernel = {
    key: `scan:${op}:${t}:${reverse ? 'rev' : 'fwd'}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'o', type: t, access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let n = pu(1u); let inner = pu(2u);
  let base = (i / inner) * n * inner + i % inner;
  var acc: ${t} = ${identity(op, t)};
  for (var s = 0u; s < n; s++) {
    let at = base + ${reverse ? '(n - 1u - s)' : 's'} * inner;
    ${combine(op, t, 'acc', 'x[at]')}
    o[at] = acc;
  }
}`,
  };
  rt.run(k, [x, out], [lines, n, inner], groupsFor(lines));
}

export type { DType };
