import { apply } from '../autograd/engine.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { promote } from '../tensor/dtype.js';
import { broadcastShapes, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import { cast, mul, sumTo } from './elementwise.js';
import { reshape, squeeze, unsqueeze } from './shape.js';

export interface MatmulAttrs { transA: boolean; transB: boolean }

/** Per-matrix element offsets of a [...batch, r, c] tensor broadcast to `batch` dims. */
function batchOffsets(shape: readonly number[], batch: readonly number[]): Int32Array | null {
  const own = shape.slice(0, -2);
  const mat = shape[shape.length - 2]! * shape[shape.length - 1]!;
  const count = sizeOf(batch);
  if (own.length === batch.length && own.every((d, i) => d === batch[i])) return null;
  const ownStrides = stridesOf(own).map((s, i) => (own[i] === 1 ? 0 : s * mat));
  const lead = batch.length - own.length;
  const offs = new Int32Array(count);
  const pos = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < count; t++) {
    let o = 0;
    for (let d = 0; d < own.length; d++) o += pos[d + lead]! * ownStrides[d]!;
    offs[t] = o;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++pos[d]! < batch[d]!) break;
      pos[d] = 0;
    }
  }
  return offs;
}

function dims(x: Tensor, trans: boolean): [number, number] {
  const r = x.shape[x.shape.length - 2]!, c = x.shape[x.shape.length - 1]!;
  return trans ? [c, r] : [r, c];
}

/**
 * Batched matrix product of op(A) and op(B), where op transposes the last two dims when the
 * flag is set. The backward pass needs exactly these transposed products (g·Bᵀ and Aᵀ·g), so
 * they are the same op with flags rather than an explicit transpose and copy.
 */
export const matmulOp = defineOp<MatmulAttrs>({
  name: 'matmul',
  forward: (b, [x, y], { transA, transB }) => {
    const [m, k] = dims(x!, transA);
    const [, n] = dims(y!, transB);
    const batch = broadcastShapes('matmul', x!.shape.slice(0, -2), y!.shape.slice(0, -2));
    const shape = [...batch, m, n];
    const out = b.alloc(x!.dtype, sizeOf(shape));
    b.matmul(x!.storage, y!.storage, out, {
      batch: sizeOf(batch), m, n, k, transA, transB,
      aOffsets: batchOffsets(x!.shape, batch), bOffsets: batchOffsets(y!.shape, batch),
    });
    return { storage: out, shape };
  },
  backward: (g, { inputs: [x, y], attrs: { transA, transB } }) => {
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (x!.requiresGrad) {
      ga = transA ? mm(y!, g, transB, true) : mm(g, y!, false, !transB);
      ga = sumTo(ga, x!.shape);
    }
    if (y!.requiresGrad) {
      gb = transB ? mm(g, x!, true, transA) : mm(x!, g, !transA, false);
      gb = sumTo(gb, y!.shape);
    }
    return [ga, gb];
  },
});

function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return apply(matmulOp, [a, b], { transA, transB });
}

/**
 * Matrix product with NumPy semantics: 1-D operands are treated as vectors, batch dims
 * broadcast. @example matmul(x, w.transpose()) // [N, in] x [in, out]
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new ShapeError(`matmul: both arguments need at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.dtype === 'int32' || b.dtype === 'int32') {
    throw new DTypeError(`matmul: expected floating tensors (float32 or float64), got ${a.dtype} and ${b.dtype}`);
  }
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  const x = a.shape.length === 1 ? unsqueeze(a, 0) : a;
  const y = b.shape.length === 1 ? unsqueeze(b, -1) : b;
  const [, k1] = dims(x, transA && a.shape.length > 1);
  const [k2] = dims(y, transB && b.shape.length > 1);
  if (k1 !== k2) {
    throw new ShapeError(`matmul: cannot multiply ${fmtShape(a.shape)} by ${fmtShape(b.shape)}: inner dimensions ${k1} and ${k2} differ`);
  }
  const d = promote(x.dtype, y.dtype);
  let out = mm(cast(x, d), cast(y, d), transA && a.shape.length > 1, transB && b.shape.length > 1);
  if (a.shape.length === 1) out = squeeze(out, -2);
  if (b.shape.length === 1) out = squeeze(out, -1);
  return out;
}


/**
 * Batched matrix product of two 3-D tensors [b, n, m] and [b, m, p], as torch.bmm (no broadcasting).
 * @example bmm(randn([4, 2, 3]), randn([4, 3, 5])).shape // [4, 2, 5]
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 3 || b.shape.length !== 3) throw new ShapeError(`bmm: expected two 3-D tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) throw new ShapeError(`bmm: batch sizes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}

function vector(op: string, v: Tensor, what: string): void {
  if (v.shape.length !== 1) throw new ShapeError(`${op}: expected ${what} to be 1-D, got shape ${fmtShape(v.shape)}`);
}

/**
 * The outer product a ⊗ b of two vectors: out[i, j] = a[i]·b[j], as torch.outer.
 * @example outer(tensor([1, 2]), tensor([3, 4, 5])) // [[3, 4, 5], [6, 8, 10]]
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  vector('outer', a, 'the first argument');
  vector('outer', b, 'the second argument');
  return mul(reshape(a, [a.shape[0]!, 1]), reshape(b, [1, b.shape[0]!]));
}

/**
 * The dot product of two vectors of the same length, as a 0-d tensor (torch.dot).
 * @example dot(tensor([1, 2, 3]), tensor([4, 5, 6])) // 32
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  vector('dot', a, 'the first argument');
  vector('dot', b, 'the second argument');
  if (a.shape[0] !== b.shape[0]) throw new ShapeError(`dot: vectors of different lengths: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return matmul(a, b);
}
