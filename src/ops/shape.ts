import { apply } from '../autograd/engine.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { normAxis, sameShape, sizeOf, checkShape, stridesOf } from '../tensor/shape.js';
import type { Backend, Storage } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp, type OpDef } from './op.js';

export interface SliceGradAttrs { begin: readonly number[]; step: readonly number[]; shape: readonly number[] }
import { sumTo, cast } from './elementwise.js';
import { promote } from '../tensor/dtype.js';

// ---------- primitives ----------

/** Where a slice (begin, step per dim) of a contiguous `shape` starts, and its strides. */
function sliceLayout(shape: readonly number[], begin: readonly number[], step: readonly number[]): { offset: number; strides: number[] } {
  const st = stridesOf(shape);
  let offset = 0;
  for (let i = 0; i < shape.length; i++) offset += begin[i]! * st[i]!;
  return { offset, strides: st.map((v, i) => v * step[i]!) };
}

/** out (of `shape`)[slice] += x (of `sliceShape`): slice backward and concat. */
function addSlice(b: Backend, x: Storage, sliceShape: readonly number[], begin: readonly number[], step: readonly number[], out: Storage, shape: readonly number[]): void {
  const { offset, strides } = sliceLayout(shape, begin, step);
  b.stridedAdd(x, sliceShape, out, offset, strides);
}

export const reshapeOp = defineOp<{ shape: readonly number[] }>({
  name: 'reshape',
  // contiguous storage makes reshape free: the output shares the input's buffer
  forward: (_b, [x], { shape }) => ({ storage: x!.storage, shape }),
  backward: (g, { inputs: [x] }) => [reshape(g, x!.shape)],
});

export const permuteOp = defineOp<{ perm: readonly number[] }>({
  name: 'permute',
  forward: (b, [x], { perm }) => {
    const out = b.alloc(x!.dtype, x!.size);
    const xs = stridesOf(x!.shape);
    const shape = perm.map((p) => x!.shape[p]!);
    b.strided(x!.storage, 0, perm.map((p) => xs[p]!), out, shape);
    return { storage: out, shape };
  },
  backward: (g, { attrs: { perm } }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => { inv[p] = i; });
    return [permute(g, inv)];
  },
});

export const expandOp = defineOp<{ shape: readonly number[] }>({
  name: 'expand',
  forward: (b, [x], { shape }) => {
    const out = b.alloc(x!.dtype, sizeOf(shape));
    const padded = [...new Array<number>(shape.length - x!.shape.length).fill(1), ...x!.shape];
    // a broadcast dim reads the same element again: stride 0
    const strides = stridesOf(padded).map((st, i) => (padded[i] === 1 ? 0 : st));
    b.strided(x!.storage, 0, strides, out, shape);
    return { storage: out, shape };
  },
  backward: (g, { inputs: [x] }) => [sumTo(g, x!.shape)],
});

export interface SliceAttrs { begin: readonly number[]; step: readonly number[]; outShape: readonly number[] }

export const sliceOp: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  forward: (b, [x], { begin, step, outShape }) => {
    const out = b.alloc(x!.dtype, sizeOf(outShape));
    const { offset, strides } = sliceLayout(x!.shape, begin, step);
    b.strided(x!.storage, offset, strides, out, outShape);
    return { storage: out, shape: outShape };
  },
  backward: (g, { inputs: [x], attrs: { begin, step } }) => [apply(sliceGradOp, [g], { begin, step, shape: x!.shape })],
});

/** Places a slice back into zeros of the full shape: the adjoint of slice. */
export const sliceGradOp: OpDef<SliceGradAttrs> = defineOp<SliceGradAttrs>({
  name: 'sliceGrad',
  forward: (b, [g], { begin, step, shape }) => {
    const out = b.alloc(g!.dtype, sizeOf(shape));
    addSlice(b, g!.storage, g!.shape, begin, step, out, shape);
    return { storage: out, shape };
  },
  backward: (gg, { inputs: [g], attrs: { begin, step } }) => [apply(sliceOp, [gg], { begin, step, outShape: g!.shape })],
});

export const concatOp = defineOp<{ axis: number }>({
  name: 'concat',
  forward: (b, xs, { axis }) => {
    const shape = [...xs[0]!.shape];
    shape[axis] = xs.reduce((s, t) => s + t.shape[axis]!, 0);
    const out = b.alloc(xs[0]!.dtype, sizeOf(shape));
    const begin = new Array<number>(shape.length).fill(0);
    const step = new Array<number>(shape.length).fill(1);
    for (const t of xs) {
      addSlice(b, t.storage, t.shape, begin, step, out, shape);
      begin[axis]! += t.shape[axis]!;
    }
    return { storage: out, shape };
  },
  backward: (g, { inputs, attrs: { axis } }) => {
    let start = 0;
    return inputs.map((t) => {
      const n = t.shape[axis]!;
      const part = sliceDim(g, axis, start, start + n);
      start += n;
      return part;
    });
  },
});

// ---------- public functions ----------

/** A view with a new shape; one dimension may be -1 (inferred). @example x.reshape([2, -1]) */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape('reshape', x, shape);
  if (sameShape(resolved, x.shape)) return x;
  return apply(reshapeOp, [x], { shape: resolved });
}

function resolveShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const out = [...shape];
  const inferred = out.indexOf(-1);
  if (inferred !== out.lastIndexOf(-1)) throw new ShapeError(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
  if (inferred >= 0) {
    const known = out.reduce((p, d, i) => (i === inferred ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(`${op}: cannot reshape a tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
    }
    out[inferred] = x.size / known;
  }
  checkShape(op, out);
  if (sizeOf(out) !== x.size) {
    throw new ShapeError(`${op}: cannot reshape a tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)} (${sizeOf(out)} elements)`);
  }
  return out;
}

/** Reorders dimensions: out.shape[i] = x.shape[perm[i]]. @example permute(images, [0, 2, 3, 1]) // NCHW → NHWC */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.shape.length;
  if (perm.length !== rank) throw new ShapeError(`permute: expected ${rank} dims for a tensor of shape ${fmtShape(x.shape)}, got ${fmtShape(perm)}`);
  const p = perm.map((d) => normAxis('permute', d, rank));
  if (new Set(p).size !== rank) throw new ValueError(`permute: ${fmtShape(perm)} is not a permutation of 0..${rank - 1}`);
  if (p.every((d, i) => d === i)) return x;
  return apply(permuteOp, [x], { perm: p });
}

/** Swaps two dims (default: the last two, i.e. a matrix transpose). @example transpose(x, 0, 1) */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const rank = x.shape.length;
  if (rank < 2 && dim0 === -2 && dim1 === -1) return x;
  const a = normAxis('transpose', dim0, rank), b = normAxis('transpose', dim1, rank);
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts to a larger shape (-1 keeps a dim). Copies; the gradient sums back. @example expand(tensor([[1], [2]]), [2, 3]) */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.shape.length;
  if (lead < 0) throw new ShapeError(`expand: cannot expand shape ${fmtShape(x.shape)} to fewer dims ${fmtShape(shape)}`);
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  x.shape.forEach((d, i) => {
    if (d !== 1 && d !== target[i + lead]) {
      throw new ShapeError(`expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)}: dim ${i + lead} is ${d}, not 1`);
    }
  });
  checkShape('expand', target);
  if (sameShape(target, x.shape)) return x;
  return apply(expandOp, [x], { shape: target });
}

/** Flattens dims startDim..endDim into one. @example x.flatten(1) // [N, C*H*W] */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const rank = x.shape.length;
  if (rank === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, rank), e = normAxis('flatten', endDim, rank);
  if (s > e) throw new ValueError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const mid = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

/** Removes size-1 dims (all of them, or the one given). @example squeeze(zeros([2, 1, 3]), 1).shape // [2, 3] */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const rank = x.shape.length;
  const dims = dim === undefined ? null : (typeof dim === 'number' ? [dim] : dim).map((d) => normAxis('squeeze', d, rank));
  return reshape(x, x.shape.filter((d, i) => !(d === 1 && (dims === null || dims.includes(i)))));
}

/** Inserts a size-1 dim at `dim`. @example unsqueeze(zeros([2, 3]), 0).shape // [1, 2, 3] */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const rank = x.shape.length + 1;
  const d = normAxis('unsqueeze', dim, rank);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Joins tensors along an existing dim. @example concat([a, b], 1) */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('concat: expected a non-empty list of tensors');
  const first = tensors[0]!;
  const rank = first.shape.length;
  if (rank === 0) throw new ShapeError('concat: zero-dimensional tensors cannot be concatenated; use stack');
  const axis = normAxis('concat', dim, rank);
  tensors.forEach((t, k) => {
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw new ShapeError(`concat: tensor ${k} has shape ${fmtShape(t.shape)} but tensor 0 has ${fmtShape(first.shape)}; all dims but ${axis} must match`);
    }
  });
  if (tensors.length === 1) return first;
  const dtype = tensors.reduce((d, t) => promote(d, t.dtype), first.dtype);
  return apply(concatOp, tensors.map((t) => cast(t, dtype)), { axis });
}

/** Joins same-shape tensors along a new dim. @example stack([a, b]).shape // [2, ...a.shape] */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('stack: expected a non-empty list of tensors');
  const shape = tensors[0]!.shape;
  tensors.forEach((t, k) => {
    if (!sameShape(t.shape, shape)) throw new ShapeError(`stack: tensor ${k} has shape ${fmtShape(t.shape)} but tensor 0 has ${fmtShape(shape)}`);
  });
  const d = normAxis('stack', dim, shape.length + 1);
  return concat(tensors.map((t) => unsqueeze(t, d)), d);
}

/**
 * Splits into pieces of `size` along dim (the last may be smaller), or into the given sizes.
 * @example split(arange(5), 2) // [0, 1], [2, 3], [4]
 */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const axis = normAxis('split', dim, x.shape.length);
  const total = x.shape[axis]!;
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!(sizes > 0)) throw new ValueError(`split: size must be positive, got ${sizes}`);
    parts = [];
    for (let s = 0; s < total; s += sizes) parts.push(Math.min(sizes, total - s));
  } else {
    parts = [...sizes];
    const sum = parts.reduce((a, b) => a + b, 0);
    if (sum !== total) throw new ShapeError(`split: sizes ${fmtShape(parts)} add up to ${sum} but dim ${axis} has size ${total}`);
  }
  let start = 0;
  return parts.map((n) => {
    const piece = sliceDim(x, axis, start, start + n);
    start += n;
    return piece;
  });
}

/** One dimension's slice: Python's start:stop:step (negatives count from the end). @example slice(x, [{start: 1, stop: -1}]) */
export interface SliceSpec {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}

/**
 * Strided slicing per dim, like `x[start:stop:step, ...]`. Omitted or null dims are kept whole.
 * @example x.slice([{start: 1}, {step: 2}]) // x[1:, ::2]
 */
export function slice(x: Tensor, specs: readonly (SliceSpec | readonly (number | null)[] | null | undefined)[]): Tensor {
  const rank = x.shape.length;
  if (specs.length > rank) throw new ShapeError(`slice: got ${specs.length} slice specs for a tensor of rank ${rank} (shape ${fmtShape(x.shape)})`);
  const begin: number[] = [], step: number[] = [], outShape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const raw = specs[d];
    const spec: SliceSpec = raw == null ? {} : Array.isArray(raw) ? { start: raw[0], stop: raw[1], step: raw[2] } : (raw as SliceSpec);
    const n = x.shape[d]!;
    const st = spec.step ?? 1;
    if (!Number.isInteger(st) || st <= 0) throw new ValueError(`slice: step must be a positive integer, got ${st} for dim ${d}`);
    const clampIdx = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const s = spec.start == null ? 0 : clampIdx(spec.start);
    const e = spec.stop == null ? n : clampIdx(spec.stop);
    begin.push(s);
    step.push(st);
    outShape.push(e > s ? Math.ceil((e - s) / st) : 0);
  }
  if (sameShape(outShape, x.shape)) return x;
  return apply(sliceOp, [x], { begin, step, outShape });
}

/** Slice of one dim: start..stop (exclusive, negatives count from the end) with a step. @example sliceDim(x, 1, 0, -1) */
export function sliceDim(x: Tensor, dim: number, start: number, stop?: number, step = 1): Tensor {
  const axis = normAxis('slice', dim, x.shape.length);
  const specs: (SliceSpec | null)[] = x.shape.map(() => null);
  specs[axis] = { start, stop: stop ?? null, step };
  return slice(x, specs);
}

/**
 * `length` elements of dim from `start` (negative counts from the end), as torch.narrow.
 * @example narrow(arange(6).reshape([2, 3]), 1, 1, 2) // [[1, 2], [4, 5]]
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const axis = normAxis('narrow', dim, x.shape.length);
  const n = x.shape[axis]!;
  if (!Number.isInteger(start) || start < -n || start > n) throw new ValueError(`narrow: start ${start} is out of range for dim ${axis} of size ${n} (expected ${-n}..${n})`);
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(length) || length < 0 || s + length > n) {
    throw new ValueError(`narrow: start ${s} + length ${length} exceeds dim ${axis} of size ${n} in ${fmtShape(x.shape)}`);
  }
  return sliceDim(x, axis, s, s + length);
}

/**
 * Splits into `chunks` pieces along dim (default 0) of ceil(size/chunks) each, the last smaller,
 * as torch.chunk (so fewer pieces may come back).
 * @example chunk(arange(5), 3).map((t) => t.toArray()) // [[0, 1], [2, 3], [4]]
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const axis = normAxis('chunk', dim, x.shape.length);
  const n = x.shape[axis]!;
  // an empty dim gives `chunks` empty pieces, as in PyTorch
  if (n === 0) return Array.from({ length: chunks }, () => x);
  return split(x, Math.ceil(n / chunks), axis);
}

/**
 * The slices along dim (default 0), each without that dim, as torch.unbind.
 * @example unbind(tensor([[1, 2], [3, 4]])).map((t) => t.toArray()) // [[1, 2], [3, 4]]
 */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const axis = normAxis('unbind', dim, x.shape.length);
  if (x.shape.length === 0) throw new ShapeError('unbind: a 0-d tensor has no dim to unbind');
  const n = x.shape[axis]!;
  const shape = x.shape.filter((_, i) => i !== axis);
  return Array.from({ length: n }, (_, i) => reshape(sliceDim(x, axis, i, i + 1), shape));
}

/**
 * Moves dims `source` to positions `destination`, keeping the others in order, as torch.movedim.
 * @example movedim(zeros([2, 3, 4]), 0, -1).shape // [3, 4, 2]
 */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const rank = x.shape.length;
  const src = (typeof source === 'number' ? [source] : [...source]).map((d) => normAxis('movedim', d, rank));
  const dst = (typeof destination === 'number' ? [destination] : [...destination]).map((d) => normAxis('movedim', d, rank));
  if (src.length !== dst.length) throw new ValueError(`movedim: source ${JSON.stringify(source)} and destination ${JSON.stringify(destination)} must have the same number of dims`);
  if (new Set(src).size !== src.length) throw new ValueError(`movedim: source ${JSON.stringify(source)} repeats a dim`);
  if (new Set(dst).size !== dst.length) throw new ValueError(`movedim: destination ${JSON.stringify(destination)} repeats a dim`);
  const perm = new Array<number>(rank).fill(-1);
  src.forEach((s, i) => { perm[dst[i]!] = s; });
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => !src.includes(i));
  let k = 0;
  for (let i = 0; i < rank; i++) if (perm[i] === -1) perm[i] = rest[k++]!;
  return permute(x, perm);
}

/**
 * Shifts elements along dims, wrapping around, as torch.roll: two slices and a concat per dim.
 * Without dims the flattened tensor is rolled and reshaped back.
 * @example roll(tensor([1, 2, 3, 4]), 1) // [4, 1, 2, 3]
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const sh = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (sh.some((s) => !Number.isInteger(s))) throw new ValueError(`roll: shifts must be integers, got ${JSON.stringify(shifts)}`);
  if (dims === undefined) {
    if (sh.length !== 1) throw new ValueError(`roll: without dims, shifts must be one number, got ${JSON.stringify(shifts)}`);
    return reshape(roll(reshape(x, [x.size]), sh[0]!, 0), x.shape);
  }
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  if (ds.length !== sh.length) throw new ValueError(`roll: shifts ${JSON.stringify(shifts)} and dims ${JSON.stringify(dims)} must have the same length`);
  let y = x;
  ds.forEach((d, i) => {
    const axis = normAxis('roll', d, x.shape.length);
    const n = x.shape[axis]!;
    if (n === 0) return;
    const s = ((sh[i]! % n) + n) % n;
    if (s === 0) return;
    y = concat([sliceDim(y, axis, n - s, n), sliceDim(y, axis, 0, n - s)], axis);
  });
  return y;
}
