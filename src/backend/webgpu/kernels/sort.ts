/**
 * Bitonic sort of (key, tag) pairs of u32, ascending by key then tag. With distinct tags the
 * order is fully determined, which is what the deterministic scatter-adds need: they sort
 * (destination, source) pairs, then add each destination's sources in source order; argsort
 * sorts (order key, position) within each line.
 * Blocks of 512 are sorted in workgroup memory; longer merges take global passes until their
 * stride fits a block, then finish in workgroup memory. With a segment length below the array's,
 * the network stops at that size and sorts each segment on its own, every one ascending.
 */
import type { Shape } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { MAIN_1D, groupsFor, wgslType } from './common.js';

const BLOCK = 512;

const LESS = 'fn after(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x > b.x || (a.x == b.x && a.y > b.y); }';

/** Sorts each 512-block for k = pu(0)..pu(1) (doubling), strides from min(k/2, 256) down; pu(2) is the segment. */
const localKernel: Kernel = {
  key: 'sort:local',
  decls: [{ name: 'v', type: 'vec2<u32>', access: 'rw' }],
  body: () => `${LESS}
var<workgroup> s: array<vec2<u32>, ${BLOCK}>;
@compute @workgroup_size(${BLOCK / 2})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let base = (wg.y * nwg.x + wg.x) * ${BLOCK}u;
  s[t] = v[base + t]; s[t + ${BLOCK / 2}u] = v[base + t + ${BLOCK / 2}u];
  workgroupBarrier();
  for (var k = pu(0u); k <= pu(1u); k = k << 1u) {
    for (var j = min(k >> 1u, ${BLOCK / 2}u); j > 0u; j = j >> 1u) {
      let i = (t / j) * 2u * j + t % j;
      let l = i + j;
      let up = ((base + i) & k) == 0u || k >= pu(2u);
      let a = s[i]; let b = s[l];
      if (after(a, b) == up) { s[i] = b; s[l] = a; }
      workgroupBarrier();
    }
  }
  v[base + t] = s[t]; v[base + t + ${BLOCK / 2}u] = s[t + ${BLOCK / 2}u];
}`,
};

/** One global compare-exchange pass at merge size k, stride j (params: [pairs, k, j, segment]). */
const globalKernel: Kernel = {
  key: 'sort:global',
  decls: [{ name: 'v', type: 'vec2<u32>', access: 'rw' }],
  body: () => `${LESS}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let k = pu(1u); let j = pu(2u);
  let p = (i / j) * 2u * j + i % j;
  let l = p + j;
  let up = (p & k) == 0u || k >= pu(3u);
  let a = v[p]; let b = v[l];
  if (after(a, b) == up) { v[p] = b; v[l] = a; }
}`,
};

/** The padded length a sort of n pairs needs: a power of two, at least one block. */
export const sortLength = (n: number): number => Math.max(BLOCK, 2 ** Math.ceil(Math.log2(Math.max(1, n))));

/**
 * Sorts v (length pairs, a power of two and at least one block; padded by the caller with
 * (0xffffffff, 0xffffffff)), or each `segment`-long piece of it (a power of two) on its own.
 */
export function bitonicSort(rt: GpuRuntime, v: GpuBuffer, length: number, segment = length): void {
  const blocks = length / BLOCK;
  rt.run(localKernel, [v], [2, Math.min(BLOCK, segment), segment], blocks);
  for (let k = 2 * BLOCK; k <= segment; k *= 2) {
    for (let j = k / 2; j >= BLOCK; j /= 2) rt.run(globalKernel, [v], [length / 2, k, j, segment], groupsFor(length / 2));
    rt.run(localKernel, [v], [k, k, segment], blocks);
  }
}

/** The order key of an element: u32s that sort as the values do, NaN above all (and −0 = 0). */
const ORDER_KEY_WGSL = `fn order_key_f32(v: f32) -> u32 {
  if (is_nan(v)) { return 0xffffffffu; }
  let b = bitcast<u32>(select(v, 0.0, v == 0.0));
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
fn order_key_i32(v: i32) -> u32 { return bitcast<u32>(v) ^ 0x80000000u; }`;

/**
 * argsort: for each line along `axis`, the positions of its elements in ascending (or
 * descending) order, stable, NaN largest; into int32 out of x's shape.
 */
export function argsort(rt: GpuRuntime, x: GpuBuffer, shape: Shape, axis: number, descending: boolean, out: GpuBuffer): void {
  const t = wgslType(x.dtype, 'argsort');
  if (x.length === 0) return;
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  const n = shape[axis]!, lines = outer * inner;
  const segment = 2 ** Math.ceil(Math.log2(Math.max(2, n)));
  const length = Math.ceil(Math.max(1, lines * segment) / BLOCK) * BLOCK;
  const pairs = rt.alloc('int32', 2 * length);
  const keys: Kernel = {
    key: `argsort:keys:${t}:${descending ? 'desc' : 'asc'}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'pairs', type: 'vec2<u32>', access: 'write' }],
    body: () => `${ORDER_KEY_WGSL}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let n = pu(1u); let inner = pu(2u); let seg = pu(3u);
  let line = i / seg; let r = i % seg;
  if (line >= pu(4u) || r >= n) { pairs[i] = vec2<u32>(0xffffffffu, 0xffffffffu); return; }
  let v = x[(line / inner) * n * inner + r * inner + line % inner];
  let key = order_key_${t}(v);
  pairs[i] = vec2<u32>(${descending ? '~key' : 'key'}, r);
}`,
  };
  rt.run(keys, [x, pairs], [length, n, inner, segment, lines], groupsFor(length));
  bitonicSort(rt, pairs, length, segment);
  const write: Kernel = {
    key: 'argsort:write',
    decls: [{ name: 'pairs', type: 'vec2<u32>', access: 'read' }, { name: 'o', type: 'i32', access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let n = pu(1u); let inner = pu(2u); let seg = pu(3u);
  let j = i % inner; let r = (i / inner) % n; let ob = i / (inner * n);
  o[i] = i32(pairs[(ob * inner + j) * seg + r].y);
}`,
  };
  rt.run(write, [pairs, out], [x.length, n, inner, segment], groupsFor(x.length));
  rt.release(pairs);
}
