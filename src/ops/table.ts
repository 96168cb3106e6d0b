import { castOp, addOp, subOp, mulOp, divOp, powOp, powScalarOp, maximumOp, minimumOp, whereOp, clampOp, negOp, expOp, logOp, sqrtOp, absOp, erfOp } from './elementwise.js';
import { actGradOp, sigmoidOp, tanhOp, reluOp, leakyReluOp, eluOp, geluOp, softplusOp } from './activation.js';
import { matmulOp } from './matmul.js';
import { reshapeOp, permuteOp, expandOp, sliceOp, sliceGradOp, concatOp } from './shape.js';
import { indexSelectOp, indexAddOp, gatherOp, scatterAddOp } from './indexing.js';
import { sumOp } from './reduce.js';
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
 * transpose, stack, ...) is a composition of these and needs no rule of its own.
 */
export const opTable = {
  cast: castOp, add: addOp, sub: subOp, mul: mulOp, div: divOp, pow: powOp, powScalar: powScalarOp,
  maximum: maximumOp, minimum: minimumOp, where: whereOp, clamp: clampOp,
  neg: negOp, exp: expOp, log: logOp, sqrt: sqrtOp, abs: absOp, erf: erfOp,
  actGrad: actGradOp, sigmoid: sigmoidOp, tanh: tanhOp, relu: reluOp, leakyRelu: leakyReluOp, elu: eluOp, gelu: geluOp, softplus: softplusOp,
  matmul: matmulOp,
  reshape: reshapeOp, permute: permuteOp, expand: expandOp, slice: sliceOp, sliceGrad: sliceGradOp, concat: concatOp,
  indexSelect: indexSelectOp, indexAdd: indexAddOp, gather: gatherOp, scatterAdd: scatterAddOp,
  sum: sumOp,
  softmax: softmaxOp, logSoftmax: logSoftmaxOp,
  ...conv2dOps,
  crossEntropy: crossEntropyOp, crossEntropyGrad: crossEntropyGradOp,
  biasAct: biasActOp,
  layerNormLastDim: layerNormOp,
  attention: attentionOp,
} as const;

export type OpName = keyof typeof opTable;
