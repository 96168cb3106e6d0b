/**
 * Bitonic sort of (key, tag) pairs of u32, ascending by key then tag. With distinct tags the
 * order is fully determined, which is what the deterministic scatter-adds need: they sort
 * (destination, source) pairs, then add each destination's sources in source order.
 * Blocks of 512 are sorted in workgroup memory; longer merges take global passes until their
 * stride fits a block, then finish in workgroup memory.
 */
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { MAIN_1D, groupsFor } from './common.js';

const BLOCK = 512;

const LESS = 'fn after(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x > b.x || (a.x == b.x && a.y > b.y); }';

/** Sorts each 512-block for k = pu(0)..pu(1) (doubling), strides from min(k/2, 256) down. */
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
      let up = ((base + i) & k) == 0u;
      let a = s[i]; let b = s[l];
      if (after(a, b) == up) { s[i] = b; s[l] = a; }
      workgroupBarrier();
    }
  }
  v[base + t] = s[t]; v[base + t + ${BLOCK / 2}u] = s[t + ${BLOCK / 2}u];
}`,
};

/** One global compare-exchange pass at merge size k, stride j (params: [pairs, k, j]). */
const globalKernel: Kernel = {
  key: 'sort:global',
  decls: [{ name: 'v', type: 'vec2<u32>', access: 'rw' }],
  body: () => `${LESS}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let k = pu(1u); let j = pu(2u);
  let p = (i / j) * 2u * j + i % j;
  let l = p + j;
  let up = (p & k) == 0u;
  let a = v[p]; let b = v[l];
  if (after(a, b) == up) { v[p] = b; v[l] = a; }
}`,
};

/** The padded length a sort of n pairs needs: a power of two, at least one block. */
export const sortLength = (n: number): number => Math.max(BLOCK, 2 ** Math.ceil(Math.log2(Math.max(1, n))));

/** Sorts v (length sortLength(n), padded by the caller with (0xffffffff, 0xffffffff)). */
export function bitonicSort(rt: GpuRuntime, v: GpuBuffer, length: number): void {
  const blocks = length / BLOCK;
  rt.run(localKernel, [v], [2, Math.min(BLOCK, length)], blocks);
  for (let k = 2 * BLOCK; k <= length; k *= 2) {
    for (let j = k / 2; j >= BLOCK; j /= 2) rt.run(globalKernel, [v], [length / 2, k, j], groupsFor(length / 2));
    rt.run(localKernel, [v], [k, k], blocks);
  }
}
