import type { Conv2dArgs } from '../backend/backend.js';
import { apply } from '../autograd/engine.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { col2imOp } from './conv.js';
import { add, cast } from './elementwise.js';
import { matmul } from './matmul.js';
import { reshape, squeeze, unsqueeze } from './shape.js';

type Pair = number | readonly [number, number];
const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Stride, padding, outputPadding, groups and dilation of convTranspose2d. @example convTranspose2d(x, w, b, {stride: 2}) */
export interface ConvTranspose2dOptions {
  stride?: Pair;
  /** removes this many rows/columns from each border of the full output */
  padding?: Pair;
  /** adds this many rows/columns at the bottom/right (to pick among output sizes a stride allows) */
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

/**
 * The transposed convolution (the gradient of conv2d w.r.t. its input) over NCHW input with a
 * [cIn, cOut/groups, kH, kW] weight, as torch.nn.functional.conv_transpose2d. Each input pixel
 * scatters a weighted kernel into the output: a matmul into columns, then col2im adds the
 * overlaps. Output size (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1.
 * @example convTranspose2d(x, weight, bias, {stride: 2}) // roughly doubles H and W
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTranspose2dOptions = {}): Tensor {
  if (x.dtype === 'int32' || weight.dtype === 'int32') throw new DTypeError(`convTranspose2d: expected floating tensors, got ${x.dtype} and ${weight.dtype}`);
  if (x.shape.length !== 4 && x.shape.length !== 3) throw new ShapeError(`convTranspose2d: expected input [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
  if (weight.shape.length !== 4) throw new ShapeError(`convTranspose2d: weight must be 4-D [cIn, cOut/groups, kH, kW], got ${fmtShape(weight.shape)}`);
  const unbatched = x.shape.length === 3;
  const x4 = unbatched ? unsqueeze(x, 0) : x;
  const [n, cIn, h, w] = x4.shape as [number, number, number, number];
  const [wIn, cg, kh, kw] = weight.shape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  const [strideH, strideW] = pairOf(opts.stride ?? 1);
  const [padH, padW] = pairOf(opts.padding ?? 0);
  const [outPadH, outPadW] = pairOf(opts.outputPadding ?? 0);
  const [dilationH, dilationW] = pairOf(opts.dilation ?? 1);
  for (const [name, v, lo] of [['stride', strideH, 1], ['stride', strideW, 1], ['dilation', dilationH, 1], ['dilation', dilationW, 1],
    ['padding', padH, 0], ['padding', padW, 0], ['outputPadding', outPadH, 0], ['outputPadding', outPadW, 0], ['groups', groups, 1]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new ValueError(`convTranspose2d: ${name} must be an integer >= ${lo}, got ${v}`);
  }
  if ((outPadH >= strideH && outPadH >= dilationH) || (outPadW >= strideW && outPadW >= dilationW)) {
    throw new ValueError(`convTranspose2d: outputPadding (${outPadH}, ${outPadW}) must be smaller than either stride (${strideH}, ${strideW}) or dilation (${dilationH}, ${dilationW})`);
  }
  if (wIn !== cIn) throw new ShapeError(`convTranspose2d: weight ${fmtShape(weight.shape)} expects ${wIn} input channels but the input ${fmtShape(x.shape)} has ${cIn}`);
  if (cIn % groups !== 0) throw new ShapeError(`convTranspose2d: in channels ${cIn} must be divisible by groups ${groups}`);
  const cOut = cg * groups;
  const outH = (h - 1) * strideH - 2 * padH + dilationH * (kh - 1) + outPadH + 1;
  const outW = (w - 1) * strideW - 2 * padW + dilationW * (kw - 1) + outPadW + 1;
  if (outH <= 0 || outW <= 0) throw new ShapeError(`convTranspose2d: input ${fmtShape(x.shape)} with padding (${padH}, ${padW}) gives an empty output ${outH}x${outW}`);
  const xw = cast(x4, weight.dtype);
  // per group: [cOut/G·kH·kW, cIn/G] · [cIn/G, H·W] columns, one per input pixel
  const wg = reshape(weight, [groups, cIn / groups, cg * kh * kw]);
  const cols = matmul(wg, reshape(xw, [n, groups, cIn / groups, h * w]), { transA: true });
  // col2im of the conv2d that maps the [cOut, outH, outW] output back to this [cIn, H, W] input
  const args: Conv2dArgs = {
    n, cIn: cOut, h: outH, w: outW, cOut: cIn, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups, outH: h, outW: w,
  };
  let out = apply(col2imOp, [cols], { args });
  if (bias) {
    if (bias.shape.length !== 1 || bias.shape[0] !== cOut) throw new ShapeError(`convTranspose2d: bias must have shape [${cOut}], got ${fmtShape(bias.shape)}`);
    out = add(out, reshape(bias, [1, cOut, 1, 1]));
  }
  return unbatched ? squeeze(out, 0) : out;
}
