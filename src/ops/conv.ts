import type { Conv2dArgs } from '../backend/backend.js';
import { apply } from '../autograd/engine.js';
import { traceScope } from '../autograd/trace.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp, type OpDef } from './op.js';
import { add, cast } from './elementwise.js';
import { matmul } from './matmul.js';
import { reshape } from './shape.js';

function colsShape(a: Conv2dArgs): number[] {
  return [a.n, a.groups, (a.cIn / a.groups) * a.kh * a.kw, a.outH * a.outW];
}

/** Unfolds every receptive field into a column, so a convolution becomes one batched matmul. */
export const im2colOp: OpDef<{ args: Conv2dArgs }> = defineOp<{ args: Conv2dArgs }>({
  name: 'im2col',
  forward: (b, [x], { args }) => {
    const shape = colsShape(args);
    const out = b.alloc(x!.dtype, shape.reduce((p, d) => p * d, 1));
    b.im2col(x!.storage, out, args);
    return { storage: out, shape };
  },
  backward: (g, { attrs: { args } }) => [apply(col2imOp, [g], { args })],
});

/** Folds columns back, adding overlaps: the adjoint of im2col. */
export const col2imOp: OpDef<{ args: Conv2dArgs }> = defineOp<{ args: Conv2dArgs }>({
  name: 'col2im',
  forward: (b, [cols], { args }) => {
    const shape = [args.n, args.cIn, args.h, args.w];
    const out = b.alloc(cols!.dtype, shape.reduce((p, d) => p * d, 1));
    b.col2im(cols!.storage, out, args);
    return { storage: out, shape };
  },
  backward: (g, { attrs: { args } }) => [apply(im2colOp, [g], { args })],
});

export const conv2dOps = { im2col: im2colOp, col2im: col2imOp } as const;

type Pair = number | readonly [number, number];
const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Stride, padding, dilation and groups of conv2d (one number or [h, w]). @example conv2d(x, w, b, {stride: 2, padding: 1}) */
export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** Geometry of a 2-D sliding window over NCHW input; validates and names the op on error. */
export function convArgs(op: string, xShape: readonly number[], cOut: number, kernel: [number, number], o: Conv2dOptions): Conv2dArgs {
  if (xShape.length !== 4) throw new ShapeError(`${op}: expected a 4-D input [N, C, H, W], got shape ${fmtShape(xShape)}`);
  const [n, cIn, h, w] = xShape as [number, number, number, number];
  const [strideH, strideW] = pairOf(o.stride ?? 1);
  const [padH, padW] = pairOf(o.padding ?? 0);
  const [dilationH, dilationW] = pairOf(o.dilation ?? 1);
  const groups = o.groups ?? 1;
  for (const [name, v, lo] of [['stride', strideH, 1], ['stride', strideW, 1], ['dilation', dilationH, 1], ['dilation', dilationW, 1], ['padding', padH, 0], ['padding', padW, 0], ['groups', groups, 1]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new ValueError(`${op}: ${name} must be an integer >= ${lo}, got ${v}`);
  }
  if (cIn % groups !== 0 || cOut % groups !== 0) {
    throw new ShapeError(`${op}: in channels ${cIn} and out channels ${cOut} must both be divisible by groups ${groups}`);
  }
  const [kh, kw] = kernel;
  const outH = Math.floor((h + 2 * padH - dilationH * (kh - 1) - 1) / strideH) + 1;
  const outW = Math.floor((w + 2 * padW - dilationW * (kw - 1) - 1) / strideW) + 1;
  if (outH <= 0 || outW <= 0) {
    throw new ShapeError(`${op}: input ${fmtShape(xShape)} is too small for a ${kh}x${kw} kernel (dilation ${dilationH}, padding ${padH}): output would be ${outH}x${outW}`);
  }
  return { n, cIn, h, w, cOut, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups, outH, outW };
}

/**
 * 2-D convolution over NCHW input with a [cOut, cIn/groups, kH, kW] weight, as torch's conv2d.
 * @example conv2d(x, weight, bias, {padding: 2})
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  // an exporter sees one convolution, not the im2col + matmul that compute it
  const attrs = { stride: pairOf(opts.stride ?? 1), padding: pairOf(opts.padding ?? 0), dilation: pairOf(opts.dilation ?? 1), groups: opts.groups ?? 1 };
  return traceScope('conv2d', bias ? [x, weight, bias] : [x, weight], attrs, () => conv2dBody(x, weight, bias, opts));
}

function conv2dBody(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: Conv2dOptions): Tensor {
  if (x.dtype === 'int32' || weight.dtype === 'int32') throw new DTypeError(`conv2d: expected floating tensors, got ${x.dtype} and ${weight.dtype}`);
  if (weight.shape.length !== 4) throw new ShapeError(`conv2d: weight must be 4-D [cOut, cIn/groups, kH, kW], got ${fmtShape(weight.shape)}`);
  const [cOut, cg, kh, kw] = weight.shape as [number, number, number, number];
  const a = convArgs('conv2d', x.shape, cOut, [kh, kw], opts);
  if (cg * a.groups !== a.cIn) {
    throw new ShapeError(`conv2d: weight ${fmtShape(weight.shape)} expects ${cg * a.groups} input channels (groups ${a.groups}) but the input ${fmtShape(x.shape)} has ${a.cIn}`);
  }
  const xw = cast(x, weight.dtype);
  const cols = apply(im2colOp, [xw], { args: a }); // [n, G, cg*kh*kw, L]
  const w = reshape(weight, [a.groups, cOut / a.groups, cg * kh * kw]);
  let out = reshape(matmul(w, cols), [a.n, cOut, a.outH, a.outW]);
  if (bias) {
    if (bias.shape.length !== 1 || bias.shape[0] !== cOut) throw new ShapeError(`conv2d: bias must have shape [${cOut}], got ${fmtShape(bias.shape)}`);
    out = add(out, reshape(bias, [1, cOut, 1, 1]));
  }
  return out;
}

/** The receptive fields of each channel as columns: [N, C, kH*kW, outH*outW] (pooling uses this). */
export function unfoldChannels(x: Tensor, kernel: [number, number], opts: Conv2dOptions): { cols: Tensor; args: Conv2dArgs } {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const flat = reshape(x, [n * c, 1, h, w]);
  const args = convArgs('pool', flat.shape, 1, kernel, opts);
  const cols = apply(im2colOp, [flat], { args });
  return { cols: reshape(cols, [n, c, kernel[0] * kernel[1], args.outH * args.outW]), args };
}


/** Max pooling's window arg-max as flat int32 indices into x: no gradient, so not in the op table. */
export const poolArgmaxOp = defineOp<{ args: Conv2dArgs }>({
  name: 'poolArgmax',
  forward: (b, [x], { args }) => {
    const shape = [args.n, args.cIn, args.outH, args.outW];
    const out = b.alloc('int32', shape.reduce((p, d) => p * d, 1));
    b.poolArgmax(x!.storage, args, out);
    return { storage: out, shape };
  },
  backward: () => [null],
});

/**
 * For each pooling window of NCHW x, the flat index into x of its largest value (padding never
 * wins, NaN does, ties go to the first): max pooling is a gather at these, its gradient a scatter.
 */
export function poolArgmax(x: Tensor, args: Conv2dArgs): Tensor {
  return apply(poolArgmaxOp, [x.detach()], { args });
}
