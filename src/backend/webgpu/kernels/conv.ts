/**
 * Convolution's layout kernels (NCHW): im2col, its adjoint col2im, and max pooling's arg-max.
 * col2im is written as a gather: one thread per input pixel adds the columns that read it, in
 * the CPU's (ki, kj) order, so it needs no atomics and matches the reference's rounding.
 */
import type { Conv2dArgs } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { MAIN_1D, groupsFor, wgslType, type Scalar } from './common.js';

/** Conv2dArgs as parameters 1…: n cIn h w kh kw strideH strideW padH padW dilationH dilationW groups outH outW. */
const argParams = (a: Conv2dArgs): number[] =>
  [a.n, a.cIn, a.h, a.w, a.kh, a.kw, a.strideH, a.strideW, a.padH, a.padW, a.dilationH, a.dilationW, a.groups, a.outH, a.outW];

const ARGS_WGSL = `  let N = pu(1u); let C = pu(2u); let H = i32(pu(3u)); let W = i32(pu(4u)); let KH = pu(5u); let KW = pu(6u);
  let SH = i32(pu(7u)); let SW = i32(pu(8u)); let PH = i32(pu(9u)); let PW = i32(pu(10u)); let DH = i32(pu(11u)); let DW = i32(pu(12u));
  let OH = pu(14u); let OW = pu(15u);`;

function im2colKernel(t: Scalar): Kernel {
  return {
    key: `im2col:${t}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'cols', type: t, access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
${ARGS_WGSL}
  let ox = i % OW; let oy = (i / OW) % OH; let row = i / (OW * OH);
  let kj = row % KW; let ki = (row / KW) % KH; let bc = row / (KW * KH);
  let iy = i32(oy) * SH - PH + i32(ki) * DH;
  let ix = i32(ox) * SW - PW + i32(kj) * DW;
  if (iy < 0 || iy >= H || ix < 0 || ix >= W) { cols[i] = ${t === 'f32' ? '0.0' : '0'}; return; }
  cols[i] = x[(bc * u32(H) + u32(iy)) * u32(W) + u32(ix)];
}`,
  };
}

function col2imKernel(t: Scalar): Kernel {
  return {
    key: `col2im:${t}`,
    decls: [{ name: 'cols', type: t, access: 'read' }, { name: 'x', type: t, access: 'rw' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
${ARGS_WGSL}
  let ix = i32(i % u32(W)); let iy = i32((i / u32(W)) % u32(H)); let bc = i / (u32(W) * u32(H));
  var acc = x[i];
  for (var ki = 0u; ki < KH; ki++) {
    let ty = iy + PH - i32(ki) * DH;
    if (ty < 0 || ty % SH != 0) { continue; }
    let oy = u32(ty / SH);
    if (oy >= OH) { continue; }
    for (var kj = 0u; kj < KW; kj++) {
      let tx = ix + PW - i32(kj) * DW;
      if (tx < 0 || tx % SW != 0) { continue; }
      let ox = u32(tx / SW);
      if (ox >= OW) { continue; }
      acc = acc + cols[((bc * KH + ki) * KW + kj) * OH * OW + oy * OW + ox];
    }
  }
  x[i] = acc;
}`,
  };
}

function poolArgmaxKernel(t: Scalar): Kernel {
  const better = t === 'f32' ? '(v > best || (is_nan(v) && !is_nan(best)))' : 'v > best';
  return {
    key: `poolArgmax:${t}`,
    decls: [{ name: 'x', type: t, access: 'read' }, { name: 'o', type: 'i32', access: 'write' }],
    body: () => `${MAIN_1D}
  if (i >= pu(0u)) { return; }
${ARGS_WGSL}
  let ox = i32(i % OW); let oy = i32((i / OW) % OH); let plane = i / (OW * OH);
  let base = plane * u32(H) * u32(W);
  var best = x[base]; var bi = -1;
  for (var ki = 0; ki < i32(KH); ki++) {
    let iy = oy * SH - PH + ki * DH;
    if (iy < 0 || iy >= H) { continue; }
    for (var kj = 0; kj < i32(KW); kj++) {
      let ix = ox * SW - PW + kj * DW;
      if (ix < 0 || ix >= W) { continue; }
      let at = base + u32(iy * W + ix);
      let v = x[at];
      if (bi < 0 || ${better}) { best = v; bi = i32(at); }
    }
  }
  o[i] = bi;
}`,
  };
}

/** cols [n, groups, cIn/groups·kh·kw, outH·outW] from x [n, cIn, h, w]. */
export function im2col(rt: GpuRuntime, x: GpuBuffer, cols: GpuBuffer, a: Conv2dArgs): void {
  const n = cols.length;
  if (n === 0) return;
  rt.run(im2colKernel(wgslType(x.dtype, 'im2col')), [x, cols], [n, ...argParams(a)], groupsFor(n));
}

/** The adjoint of im2col, accumulating into out [n, cIn, h, w]. */
export function col2im(rt: GpuRuntime, cols: GpuBuffer, out: GpuBuffer, a: Conv2dArgs): void {
  const n = a.n * a.cIn * a.h * a.w;
  if (n === 0) return;
  rt.run(col2imKernel(wgslType(cols.dtype, 'col2im')), [cols, out], [n, ...argParams(a)], groupsFor(n));
}

/** For each pooling window of each plane, the flat index into x of its largest value. */
export function poolArgmax(rt: GpuRuntime, x: GpuBuffer, a: Conv2dArgs, out: GpuBuffer): void {
  const n = a.n * a.cIn * a.outH * a.outW;
  if (n === 0) return;
  rt.run(poolArgmaxKernel(wgslType(x.dtype, 'poolArgmax')), [x, out], [n, ...argParams(a)], groupsFor(n));
}
