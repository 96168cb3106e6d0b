import type { Shape, TypedArray } from '../backend.js';
import { sizeOf, stridesOf } from '../../tensor/shape.js';

/** Layout kernels of the reference backend: strided copies and adds, index select/add, gather/scatter(Add). */

/** out (contiguous, `shape`) = x read at offset + Σ idx·strides: permute, expand, slice, flip. */
export function strided(x: TypedArray, offset: number, strides: readonly number[], out: TypedArray, shape: Shape): void {
  const n = out.length;
  if (n === 0) return;
  const rank = shape.length;
  if (rank === 0) { out[0] = x[offset]!; return; }
  const inner = shape[rank - 1]!, si = strides[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let src = offset, o = 0;
  for (;;) {
    if (si === 1) for (let i = 0; i < inner; i++) out[o + i] = x[src + i]!;
    else for (let i = 0; i < inner; i++) out[o + i] = x[src + i * si]!;
    o += inner;
    let d = rank - 2;
    while (d >= 0) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      src -= strides[d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

/** out[offset + Σ idx·strides] += x[idx] for x of `sliceShape` (distinct destinations): slice backward, concat. */
export function stridedAdd(x: TypedArray, sliceShape: Shape, out: TypedArray, off: number, dst: readonly number[]): void {
  if (sizeOf(sliceShape) === 0) return;
  const rank = sliceShape.length;
  if (rank === 0) { out[off]! += x[0]!; return; }
  const idx = new Array<number>(rank).fill(0);
  const inner = sliceShape[rank - 1]!, ds = dst[rank - 1]!;
  let src = 0;
  for (;;) {
    let o = off;
    for (let d = 0; d < rank - 1; d++) o += idx[d]! * dst[d]!;
    for (let i = 0; i < inner; i++) out[o + i * ds]! += x[src++]!;
    let d = rank - 2;
    while (d >= 0) {
      if (++idx[d]! < sliceShape[d]!) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

/** (outer, axis size, inner) around one axis. */
export function splitAt(shape: Shape, axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

export function indexSelect(x: TypedArray, shape: Shape, axis: number, index: TypedArray, out: TypedArray): void {
  const [outer, red, inner] = splitAt(shape, axis);
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const src = (o * red + index[i]!) * inner;
      const dst = (o * m + i) * inner;
      for (let j = 0; j < inner; j++) out[dst + j] = x[src + j]!;
    }
  }
}

export function indexAdd(g: TypedArray, axis: number, index: TypedArray, out: TypedArray, shape: Shape): void {
  const [outer, red, inner] = splitAt(shape, axis);
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const dst = (o * red + index[i]!) * inner;
      const src = (o * m + i) * inner;
      for (let j = 0; j < inner; j++) out[dst + j]! += g[src + j]!;
    }
  }
}

export function gather(x: TypedArray, shape: Shape, axis: number, index: TypedArray, indexShape: Shape, out: TypedArray): void {
  const xs = stridesOf(shape);
  forEachIndex(indexShape, (pos, flat) => {
    let off = 0;
    for (let d = 0; d < pos.length; d++) off += (d === axis ? index[flat]! : pos[d]!) * xs[d]!;
    out[flat] = x[off]!;
  });
}

export function scatterAdd(g: TypedArray, indexShape: Shape, axis: number, index: TypedArray, out: TypedArray, shape: Shape): void {
  const os = stridesOf(shape);
  forEachIndex(indexShape, (pos, flat) => {
    let off = 0;
    for (let d = 0; d < pos.length; d++) off += (d === axis ? index[flat]! : pos[d]!) * os[d]!;
    out[off]! += g[flat]!;
  });
}

export function scatter(src: TypedArray, indexShape: Shape, axis: number, index: TypedArray, out: TypedArray, shape: Shape): void {
  const os = stridesOf(shape);
  forEachIndex(indexShape, (pos, flat) => {
    let off = 0;
    for (let d = 0; d < pos.length; d++) off += (d === axis ? index[flat]! : pos[d]!) * os[d]!;
    out[off] = src[flat]!;
  });
}

function forEachIndex(shape: Shape, fn: (pos: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const pos = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(pos, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) break;
      pos[d] = 0;
    }
  }
}
