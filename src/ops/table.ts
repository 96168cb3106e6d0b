import { castOp, addOp, subOp, mulOp, divOp, powOp, powScalarOp, maximumOp, minimumOp, whereOp, clampOp, negOp, expOp, logOp, sqrtOp, absOp, erfOp } from './elementwise.js';
import { actGradOp, sigmoidOp, tanhOp, reluOp, leakyReluOp, eluOp, geluOp, softplusOp, siluOp, mishOp, hardsigmoidOp, hardswishOp, hardtanhOp } from './activation.js';
import {
  sinOp, cosOp, tanOp, asinOp, acosOp, atanOp, sinhOp, coshOp, log1pOp, expm1Op, log2Op, log10Op, rsqrtOp, reciprocalOp,
  floorOp, ceilOp, roundOp, truncOp, signOp, atan2Op, fmodOp, remainderOp,
} from './math.js';
import { matmulOp } from './matmul.js';
import { reshapeOp, permuteOp, expandOp, sliceOp, sliceGradOp, concatOp } from './shape.js';
import { indexSelectOp, indexAddOp, gatherOp, scatterAddOp, scatterOp } from './indexing.js';
import { sumOp, prodOp, amaxOp } from './reduce.js';
import { cumsumOp, cumprodOp } from './scan.js';
import { asStridedOp, asStridedGradOp } from './strided.js';
import { softmaxOp, logSoftmaxOp } from './softmax.js';
import { conv2dOps } from './conv.js';
import { crossEntropyOp, crossEntropyGradOp } from './loss.js';
import { biasActOp } from './bias-act.js';
import { layerNormOp } from './layer-norm.js';
import { attentionOp } from './attention.js';

/**
 * Every differentiable primitive, by name. Each entry is an OpDef, whose type requires a
 * backward rule, and the gradcheck test is typed over `OpName`, so a new op without a rule or
 * without a gradcheck case fails to compile. Everything else (mean, var, max, logSumExp,
 * transpose, stack, norm, einsum, sort, ...) is a composition of these and needs no rule of its own.
 * @example Object.keys(opTable).length
 */
export const opTable = {
  cast: castOp, add: addOp, sub: subOp, mul: mulOp, div: divOp, pow: powOp, powScalar: powScalarOp,
  maximum: maximumOp, minimum: minimumOp, where: whereOp, clamp: clampOp,
  neg: negOp, exp: expOp, log: logOp, sqrt: sqrtOp, abs: absOp, erf: erfOp,
  sin: sinOp, cos: cosOp, tan: tanOp, asin: asinOp, acos: acosOp, atan: atanOp, sinh: sinhOp, cosh: coshOp,
  log1p: log1pOp, expm1: expm1Op, log2: log2Op, log10: log10Op, rsqrt: rsqrtOp, reciprocal: reciprocalOp,
  floor: floorOp, ceil: ceilOp, round: roundOp, trunc: truncOp, sign: signOp,
  atan2: atan2Op, fmod: fmodOp, remainder: remainderOp,
  actGrad: actGradOp, sigmoid: sigmoidOp, tanh: tanhOp, relu: reluOp, leakyRelu: leakyReluOp, elu: eluOp, gelu: geluOp, softplus: softplusOp,
  silu: siluOp, mish: mishOp, hardsigmoid: hardsigmoidOp, hardswish: hardswishOp, hardtanh: hardtanhOp,
  matmul: matmulOp,
  reshape: reshapeOp, permute: permuteOp, expand: expandOp, slice: sliceOp, sliceGrad: sliceGradOp, concat: concatOp,
  asStrided: asStridedOp, asStridedGrad: asStridedGradOp,
  indexSelect: indexSelectOp, indexAdd: indexAddOp, gather: gatherOp, scatterAdd: scatterAddOp, scatter: scatterOp,
  sum: sumOp, prod: prodOp, amax: amaxOp, cumsum: cumsumOp, cumprod: cumprodOp,
  softmax: softmaxOp, logSoftmax: logSoftmaxOp,
  ...conv2dOps,
  crossEntropy: crossEntropyOp, crossEntropyGrad: crossEntropyGradOp,
  biasAct: biasActOp,
  layerNormLastDim: layerNormOp,
  attention: attentionOp,
} as const;

/** The name of a differentiable primitive. @example const name: OpName = 'matmul' */
export type OpName = keyof typeof opTable;
