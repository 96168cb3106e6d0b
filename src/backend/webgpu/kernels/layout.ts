/**
 * Strided copies: out[i…] = x[offset + Σ i_d·strides_d] (permute, expand, slice and flip are all
 * this), and its adjoint for distinct destinations, out[offset + Σ i_d·strides_d] += x[i…].
 * Strides may be negative (flip): offsets are computed in wrapping u32 arithmetic, which gives
 * the same bits as i32 for the in-range results.
 */
import type { Shape } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { i2u } from '../runtime.js';
import { MAIN_1D, MAX_RANK, groupsFor, mergeDims, offsetsCode, sizeOf, wgslType, type Scalar } from './common.js';
import { ShapeError } from '../../../errors.js';

function stridedKernel(t: Scalar, rank: number, add: boolean): Kernel {
  const body = add
    ? `${offsetsCode(rank, 1, 2, ['d'])}  let at = pu(1u) + d;\n  o[at] = o[at] + x[i];`
    : `${offsetsCode(rank, 1, 2, ['s'])}  o[i] = x[pu(1u) + s];`;
  return {
    key: `${add ? 'stridedAdd' : 'strided'}:${t}:${rank}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'o', type: t, access: add ? 'rw' : 'write' }],
    body: () => `${MAIN_1D}\n  if (i >= pu(0u)) { return; }\n${body}\n}`,
  };
}

function layoutFor(op: string, shape: Shape, strides: readonly number[]): { dims: number[]; strides: number[] } {
  const l = mergeDims(shape, [strides]);
  if (l.dims.length > MAX_RANK) throw new ShapeError(`${op}: webgpu supports at most ${MAX_RANK} merged dims, got ${l.dims.length}`);
  return { dims: l.dims, strides: l.strides[0]! };
}

/** out (contiguous, outShape) = x read at offset + Σ i_d·strides_d. */
export function strided(rt: GpuRuntime, x: GpuBuffer, offset: number, strides: readonly number[], out: GpuBuffer, outShape: Shape): void {
  const t = wgslType(x.dtype, 'strided');
  const n = sizeOf(outShape);
  if (n === 0) return;
  const l = layoutFor('strided', outShape, strides);
  rt.run(stridedKernel(t, l.dims.length, false), [x, out], [n, offset, ...l.dims, ...l.strides.map(i2u)], groupsFor(n));
}

/** out[offset + Σ i_d·strides_d] += x[i…] for x of xShape; the destinations must be distinct. */
export function stridedAdd(rt: GpuRuntime, x: GpuBuffer, xShape: Shape, out: GpuBuffer, offset: number, strides: readonly number[]): void {
  const t = wgslType(x.dtype, 'stridedAdd');
  const n = sizeOf(xShape);
  if (n === 0) return;
  const l = layoutFor('stridedAdd', xShape, strides);
  rt.run(stridedKernel(t, l.dims.length, true), [x, out], [n, offset, ...l.dims, ...l.strides.map(i2u)], groupsFor(n));
}
