import type { ArgReduceOp, ReduceOp, ScanOp, Shape, TypedArray } from '../backend.js';
import { stridesOf } from '../../tensor/shape.js';
import { splitAt, strided } from './layout.js';

/** Reductions of the reference backend: sums, products and extremes over any axes, arg-max/min and scans along one. */

const IDENTITY: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

export function reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[], out: TypedArray): void {
  if (x.length === 0) {
    out.fill(IDENTITY[op]);
    return;
  }
  let src = x;
  let srcShape = shape;
  let ax = axes;
  if (!isContiguousRun(axes)) {
    // move the reduced axes to the end so they form one contiguous block
    const keep = shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const perm = [...keep, ...axes];
    srcShape = perm.map((p) => shape[p]!);
    const xs = stridesOf(shape);
    src = x instanceof Float64Array ? new Float64Array(x.length) : x instanceof Float32Array ? new Float32Array(x.length) : new Int32Array(x.length);
    strided(x, 0, perm.map((p) => xs[p]!), src, srcShape);
    ax = axes.map((_, i) => keep.length + i);
  }
  let outer = 1, red = 1, inner = 1;
  for (let i = 0; i < srcShape.length; i++) {
    if (i < ax[0]!) outer *= srcShape[i]!;
    else if (i <= ax[ax.length - 1]!) red *= srcShape[i]!;
    else inner *= srcShape[i]!;
  }
  if (ax.length === 0) { out.set(src); return; }
  if (red === 0) { out.fill(IDENTITY[op]); return; }
  reduceBlock(op, src, outer, red, inner, out);
}

export function argReduce(op: ArgReduceOp, x: TypedArray, shape: Shape, axis: number, out: TypedArray): void {
  const [outer, red, inner] = splitAt(shape, axis);
  const isMax = op === 'argmax';
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * red * inner + j;
      let best = x[base]!, bi = 0;
      for (let r = 1; r < red; r++) {
        const v = x[base + r * inner]!;
        // NaN wins, as in PyTorch: it propagates instead of hiding
        if (isMax ? v > best || (v !== v && best === best) : v < best || (v !== v && best === best)) { best = v; bi = r; }
      }
      out[o * inner + j] = bi;
    }
  }
}

function isContiguousRun(axes: readonly number[]): boolean {
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1]! + 1) return false;
  return true;
}

function reduceBlock(op: ReduceOp, x: TypedArray, outer: number, red: number, inner: number, out: TypedArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * red;
      if (op === 'sum') {
        let s = 0;
        for (let r = 0; r < red; r++) s += x[base + r]!;
        out[o] = s;
      } else if (op === 'prod') {
        let s = 1;
        for (let r = 0; r < red; r++) s *= x[base + r]!;
        out[o] = s;
      } else {
        let s = x[base]!;
        const isMax = op === 'max';
        for (let r = 1; r < red; r++) {
          const v = x[base + r]!;
          if (v !== v) { s = v; break; }
          if (isMax ? v > s : v < s) s = v;
        }
        out[o] = s;
      }
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * red * inner;
    for (let j = 0; j < inner; j++) acc[j] = x[base + j]!;
    for (let r = 1; r < red; r++) {
      const row = base + r * inner;
      if (op === 'sum') for (let j = 0; j < inner; j++) acc[j]! += x[row + j]!;
      else if (op === 'prod') for (let j = 0; j < inner; j++) acc[j]! *= x[row + j]!;
      else if (op === 'max') for (let j = 0; j < inner; j++) { const v = x[row + j]!; if (v > acc[j]! || v !== v) acc[j] = v; }
      else for (let j = 0; j < inner; j++) { const v = x[row + j]!; if (v < acc[j]! || v !== v) acc[j] = v; }
    }
    for (let j = 0; j < inner; j++) out[o * inner + j] = acc[j]!;
  }
}

export function scan(op: ScanOp, x: TypedArray, shape: Shape, axis: number, reverse: boolean, out: TypedArray): void {
  if (x.length === 0) return;
  const [outer, n, inner] = splitAt(shape, axis);
  const isSum = op === 'sum';
  // accumulate in float64 and round each running value to out's dtype, like the reduce above
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    acc.fill(isSum ? 0 : 1);
    for (let step = 0; step < n; step++) {
      const row = base + (reverse ? n - 1 - step : step) * inner;
      if (isSum) for (let j = 0; j < inner; j++) out[row + j] = acc[j]! += x[row + j]!;
      else for (let j = 0; j < inner; j++) out[row + j] = acc[j]! *= x[row + j]!;
    }
  }
}
