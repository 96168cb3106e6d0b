/**
 * indexSelect and gather (one thread per output element), and their adjoints indexAdd and
 * scatterAdd, which add into destinations that several sources may share. Those are
 * deterministic and add in the CPU's order (ascending source): either one thread per
 * destination scans the candidate sources (cheap when few can reach it), or the
 * (destination, source) pairs are sorted and each destination adds its run of sources.
 */
import type { Shape } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { MAIN_1D, MAX_RANK, groupsFor, sizeOf, stridesOf, wgslType, type Scalar } from './common.js';
import { bitonicSort, sortLength } from './sort.js';
import { ShapeError } from '../../../errors.js';

function splitAt(shape: Shape, axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

/** Sorting costs about n·log²n/2 compare-exchanges; scanning costs destinations × candidates. */
function preferScan(destinations: number, candidates: number, sources: number): boolean {
  const len = sortLength(sources);
  const lg = Math.log2(len);
  return destinations * candidates <= 4 * len * lg * (lg + 1);
}

/** out[o, i, j] = x[o, index[i], j] (out of range reads 0). */
export function indexSelect(rt: GpuRuntime, x: GpuBuffer, shape: Shape, axis: number, index: GpuBuffer, out: GpuBuffer): void {
  const t = wgslType(x.dtype, 'indexSelect');
  const [, red, inner] = splitAt(shape, axis);
  const m = index.length;
  if (out.length === 0) return;
  const k: Kernel = {
    key: `indexSelect:${t}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }, { name: 'o', type: t, access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let m = pu(1u); let red = pu(2u); let inner = pu(3u);
  let j = i % inner; let q = i / inner; let ii = q % m; let ob = q / m;
  let r = idx[ii];
  if (r < 0 || u32(r) >= red) { o[i] = ${t === 'f32' ? '0.0' : '0'}; return; }
  o[i] = x[(ob * red + u32(r)) * inner + j];
}`,
  };
  rt.run(k, [x, index, out], [out.length, m, red, inner], groupsFor(out.length));
}

/** torch.gather: out[p] = x[p with p[axis] = index[p]], index and out of indexShape. */
export function gather(rt: GpuRuntime, x: GpuBuffer, shape: Shape, axis: number, index: GpuBuffer, indexShape: Shape, out: GpuBuffer): void {
  const t = wgslType(x.dtype, 'gather');
  const n = sizeOf(indexShape);
  if (n === 0) return;
  const r = indexShape.length;
  if (r > MAX_RANK) throw new ShapeError(`gather: webgpu supports at most ${MAX_RANK} dims, got ${r}`);
  let code = '  var off = 0u; var rem = i;\n';
  for (let d = r - 1; d >= 0; d--) {
    code += `  { let c = rem % pu(${3 + d}u); rem = rem / pu(${3 + d}u); if (${d}u != pu(1u)) { off += c * pu(${3 + r + d}u); } }\n`;
  }
  const k: Kernel = {
    key: `gather:${t}:${r}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }, { name: 'o', type: t, access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
${code}  let v = idx[i];
  if (v < 0 || u32(v) >= pu(2u)) { o[i] = ${t === 'f32' ? '0.0' : '0'}; return; }
  o[i] = x[off + u32(v) * pu(${3 + r}u + pu(1u))];
}`,
  };
  rt.run(k, [x, index, out], [n, axis, shape[axis]!, ...indexShape, ...stridesOf(shape)], groupsFor(n));
}

/** The adjoint of gather: out[p with p[axis] = index[q]] += g[q], in ascending q per destination. */
export function scatterAdd(rt: GpuRuntime, g: GpuBuffer, indexShape: Shape, axis: number, index: GpuBuffer, out: GpuBuffer, shape: Shape): void {
  scatterInto(rt, 'add', g, indexShape, axis, index, out, shape);
}

/** torch.scatter in place: out[p with p[axis] = index[q]] = src[q]; of repeated destinations the last q wins, as on the CPU. */
export function scatter(rt: GpuRuntime, src: GpuBuffer, indexShape: Shape, axis: number, index: GpuBuffer, out: GpuBuffer, shape: Shape): void {
  scatterInto(rt, 'set', src, indexShape, axis, index, out, shape);
}

/** A destination's sources, in ascending order, combined into it: added, or the last one kept. */
type Combine = 'add' | 'set';
const step = (mode: Combine, acc: string, v: string): string => (mode === 'add' ? `${acc} = ${acc} + ${v};` : `${acc} = ${v};`);

function scatterInto(rt: GpuRuntime, mode: Combine, g: GpuBuffer, indexShape: Shape, axis: number, index: GpuBuffer, out: GpuBuffer, shape: Shape): void {
  const op = mode === 'add' ? 'scatterAdd' : 'scatter';
  const t = wgslType(g.dtype, op);
  const n = sizeOf(indexShape);
  if (n === 0 || out.length === 0) return;
  const r = shape.length;
  if (r > MAX_RANK) throw new ShapeError(`${op}: webgpu supports at most ${MAX_RANK} dims, got ${r}`);
  const os = stridesOf(shape), is = stridesOf(indexShape);
  if (preferScan(out.length, indexShape[axis]!, n)) {
    // one thread per destination p: the sources are q = p with q[axis] = 0..indexShape[axis)
    let code = '  var src = 0u; var rem = i; var inside = true; var want = 0u;\n';
    for (let d = r - 1; d >= 0; d--) {
      code += `  { let c = rem % pu(${3 + d}u); rem = rem / pu(${3 + d}u);`;
      code += ` if (${d}u == pu(1u)) { want = c; } else { if (c >= pu(${3 + r + d}u)) { inside = false; } src += c * pu(${3 + 2 * r + d}u); } }\n`;
    }
    const k: Kernel = {
      key: `${op}:scan:${t}:${r}`,
      decls: [{ name: 'g', type: t, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }, { name: 'o', type: t, access: 'rw' }],
      body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
${code}  if (!inside) { return; }
  let count = pu(${3 + r}u + pu(1u)); let step = pu(${3 + 2 * r}u + pu(1u));
  var acc = o[i];
  for (var j = 0u; j < count; j++) {
    let q = src + j * step;
    if (idx[q] == i32(want)) { ${step(mode, 'acc', 'g[q]')} }
  }
  o[i] = acc;
}`,
    };
    rt.run(k, [g, index, out], [out.length, axis, 0, ...shape, ...indexShape, ...is], groupsFor(out.length));
    return;
  }
  // sort (destination, source) pairs; each run's first thread adds its sources in order
  const len = sortLength(n);
  const pairs = rt.alloc('int32', 2 * len);
  let code = '  var dst = 0u; var rem = i;\n';
  for (let d = r - 1; d >= 0; d--) {
    code += `  { let c = rem % pu(${3 + d}u); rem = rem / pu(${3 + d}u);`;
    code += ` if (${d}u == pu(1u)) { dst += u32(idx[i]) * pu(${3 + r + d}u); } else { dst += c * pu(${3 + r + d}u); } }\n`;
  }
  // an index outside [0, shape[axis]) adds nothing (its key sorts last and is skipped)
  code += '  if (idx[i] < 0 || u32(idx[i]) >= pu(3u + 2u * ' + r + 'u)) { dst = 0xfffffffeu; }\n';
  const keys: Kernel = {
    key: `scatterAdd:keys:${r}`,
    decls: [{ name: 'idx', type: 'i32', access: 'read' }, { name: 'pairs', type: 'vec2<u32>', access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(2u)) { return; }
  if (i >= pu(0u)) { pairs[i] = vec2<u32>(0xffffffffu, 0xffffffffu); return; }
${code}  pairs[i] = vec2<u32>(dst, i);
}`,
  };
  rt.run(keys, [index, pairs], [n, axis, len, ...indexShape, ...os, shape[axis]!], groupsFor(len));
  bitonicSort(rt, pairs, len);
  accumulateRuns(rt, t, mode, g, pairs, out, n, 'scatter', [n, out.length, 1, out.length, 1, 0]);
  rt.release(pairs);
}

/**
 * For each run of equal keys in the sorted pairs, out[key-destination] += g[sources] in order.
 * scatter: one thread per pair, destination = key. index: one thread per (o, pair, j),
 * destination (o·red + key)·inner + j, source (o·m + tag)·inner + j.
 * params: [n pairs, red, inner, out length, outer, m]
 */
function accumulateRuns(rt: GpuRuntime, t: Scalar, combine: Combine, g: GpuBuffer, pairs: GpuBuffer, out: GpuBuffer, n: number, mode: 'scatter' | 'index', params: number[]): void {
  const k: Kernel = {
    key: `accumulateRuns:${mode}:${combine}:${t}`,
    decls: [{ name: 'g', type: t, access: 'read' }, { name: 'pairs', type: 'vec2<u32>', access: 'read' }, { name: 'o', type: t, access: 'rw' }],
    body: () => `${MAIN_1D}
  let n = pu(0u); let red = pu(1u); let inner = pu(2u);
  let p = (i / inner) % n;
  let j = i % inner;
  let ob = i / (inner * n);
  if (ob >= pu(4u)) { return; }
  let key = pairs[p].x;
  if (key == 0xffffffffu || (p > 0u && pairs[p - 1u].x == key)) { return; }
  if (key >= red) { return; }
  let dst = ${mode === 'scatter' ? 'key' : '(ob * red + key) * inner + j'};
  var acc = o[dst];
  for (var q = p; q < n && pairs[q].x == key; q++) {
    ${step(combine, 'acc', `g[${mode === 'scatter' ? 'pairs[q].y' : '(ob * pu(5u) + pairs[q].y) * inner + j'}]`)}
  }
  o[dst] = acc;
}`,
  };
  const threads = mode === 'scatter' ? n : params[4]! * n * params[2]!;
  rt.run(k, [g, pairs, out], params, groupsFor(threads));
}

/** The adjoint of indexSelect: out[o, index[i], j] += g[o, i, j], in ascending i per destination. */
export function indexAdd(rt: GpuRuntime, g: GpuBuffer, axis: number, index: GpuBuffer, out: GpuBuffer, shape: Shape): void {
  const t = wgslType(g.dtype, 'indexAdd');
  const [outer, red, inner] = splitAt(shape, axis);
  const m = index.length;
  if (m === 0 || out.length === 0) return;
  if (preferScan(out.length, m, m)) {
    const k: Kernel = {
      key: `indexAdd:scan:${t}`,
      decls: [{ name: 'g', type: t, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }, { name: 'o', type: t, access: 'rw' }],
      body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let m = pu(1u); let red = pu(2u); let inner = pu(3u);
  let j = i % inner; let q = i / inner; let r = q % red; let ob = q / red;
  var acc = o[i];
  for (var ii = 0u; ii < m; ii++) {
    if (idx[ii] == i32(r)) { acc = acc + g[(ob * m + ii) * inner + j]; }
  }
  o[i] = acc;
}`,
    };
    rt.run(k, [g, index, out], [out.length, m, red, inner], groupsFor(out.length));
    return;
  }
  const len = sortLength(m);
  const pairs = rt.alloc('int32', 2 * len);
  const keys: Kernel = {
    key: 'indexAdd:keys',
    decls: [{ name: 'idx', type: 'i32', access: 'read' }, { name: 'pairs', type: 'vec2<u32>', access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(1u)) { return; }
  if (i >= pu(0u)) { pairs[i] = vec2<u32>(0xffffffffu, 0xffffffffu); return; }
  pairs[i] = vec2<u32>(u32(idx[i]), i);
}`,
  };
  rt.run(keys, [index, pairs], [m, len], groupsFor(len));
  bitonicSort(rt, pairs, len);
  accumulateRuns(rt, t, 'add', g, pairs, out, m, 'index', [m, red, inner, out.length, outer, m]);
  rt.release(pairs);
}
