import type { Conv2dArgs, TypedArray } from '../backend.js';

/** Convolution layout kernels of the reference backend (NCHW): im2col, its adjoint col2im, pooling's arg-max. */

/**
 * The output columns [lo, hi) whose input column ix = ox·strideW + off falls inside an image `w`
 * wide. im2col copies these and zero-fills the rest; col2im, its adjoint, adds these back, so both
 * must take the same range.
 */
function inImageColumns(off: number, outW: number, w: number, strideW: number): { lo: number; hi: number } {
  const lo = Math.min(outW, Math.max(0, Math.ceil(-off / strideW)));
  return { lo, hi: Math.max(lo, Math.min(outW, Math.ceil((w - off) / strideW))) };
}

export function im2col(x: TypedArray, cols: TypedArray, a: Conv2dArgs): void {
  const cg = a.cIn / a.groups;
  const { h, w, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = a;
  let dst = 0;
  for (let b = 0; b < a.n; b++) {
    for (let g = 0; g < a.groups; g++) {
      for (let c = 0; c < cg; c++) {
        const xBase = ((b * a.cIn) + g * cg + c) * h * w;
        for (let ki = 0; ki < a.kh; ki++) {
          for (let kj = 0; kj < a.kw; kj++) {
            const off = kj * dilationW - padW;
            const { lo, hi } = inImageColumns(off, outW, w, strideW);
            for (let oy = 0; oy < outH; oy++, dst += outW) {
              const iy = oy * strideH - padH + ki * dilationH;
              if (iy < 0 || iy >= h) { for (let ox = 0; ox < outW; ox++) cols[dst + ox] = 0; continue; }
              const row = xBase + iy * w + off;
              // rows are short (a few dozen values), so plain loops beat subarray/fill objects
              for (let ox = 0; ox < lo; ox++) cols[dst + ox] = 0;
              if (strideW === 1) for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[row + ox]!;
              else for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[row + ox * strideW]!;
              for (let ox = hi; ox < outW; ox++) cols[dst + ox] = 0;
            }
          }
        }
      }
    }
  }
}

export function col2im(cols: TypedArray, out: TypedArray, a: Conv2dArgs): void {
  const cg = a.cIn / a.groups;
  const { h, w, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = a;
  let src = 0;
  for (let b = 0; b < a.n; b++) {
    for (let g = 0; g < a.groups; g++) {
      for (let c = 0; c < cg; c++) {
        const xBase = ((b * a.cIn) + g * cg + c) * h * w;
        for (let ki = 0; ki < a.kh; ki++) {
          for (let kj = 0; kj < a.kw; kj++) {
            const off = kj * dilationW - padW;
            const { lo, hi } = inImageColumns(off, outW, w, strideW);
            for (let oy = 0; oy < outH; oy++, src += outW) {
              const iy = oy * strideH - padH + ki * dilationH;
              if (iy < 0 || iy >= h) continue;
              const row = xBase + iy * w + off;
              for (let ox = lo; ox < hi; ox++) out[row + ox * strideW]! += cols[src + ox]!;
            }
          }
        }
      }
    }
  }
}

export function poolArgmax(x: TypedArray, a: Conv2dArgs, out: TypedArray): void {
  const planes = a.n * a.cIn, hw = a.h * a.w;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * hw;
    for (let oy = 0; oy < a.outH; oy++) {
      for (let ox = 0; ox < a.outW; ox++, o++) {
        let best = -Infinity, bi = -1;
        for (let ki = 0; ki < a.kh; ki++) {
          const iy = oy * a.strideH - a.padH + ki * a.dilationH;
          if (iy < 0 || iy >= a.h) continue;
          for (let kj = 0; kj < a.kw; kj++) {
            const ix = ox * a.strideW - a.padW + kj * a.dilationW;
            if (ix < 0 || ix >= a.w) continue;
            const idx = base + iy * a.w + ix;
            const v = x[idx]!;
            if (bi < 0 || v > best || (v !== v && best === best)) { best = v; bi = idx; }
          }
        }
        out[o] = bi;
      }
    }
  }
}
