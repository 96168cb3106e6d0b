import type { TraceScopeAttrs, TraceScopeName } from '../../autograd/trace.js';
import type { ArgReduceOp, BiasActivation, DType, UnaryOp } from '../../backend/backend.js';
import type { CompareOp } from '../../ops/elementwise.js';
import { ExportError, fmtShape } from '../../errors.js';
import type { OpDef } from '../../ops/op.js';
import type { OpName, opTable } from '../../ops/table.js';
import { INT64_MAX, concreteDim, float, fmtSymShape, int, ints, sameDim, symShape, type OnnxGraph, type Value } from './graph.js';
import { ONNX_DTYPE } from './proto.js';

/**
 * How each traced op becomes ONNX nodes. One entry per op: a primitive of the op table (keyed by
 * its name) or a composite recorded by traceScope (every TraceScopeName must have one, which the
 * table's type enforces). An op without an entry makes exportOnnx throw an ExportError naming
 * the op and the module it ran in.
 *
 * To export a new op, add one entry: a new unary primitive is `sin: unary('Sin')`; a new
 * composite gets a TraceScopeAttrs entry in src/autograd/trace.ts, a traceScope call around its
 * body, and an exporter here. The fused attention op becomes MatMul, Where and Softmax nodes
 * (com.microsoft's Attention would do where a runtime has it).
 */

/** What an exporter sees of one traced op. */
export interface ExportNode<A> {
  readonly op: string;
  /** attributes at the example batch size */
  readonly attrs: A;
  /** attributes of the same op traced at the probe batch size; they differ where they depend on it */
  readonly probeAttrs: A;
  /** the example and probe batch sizes */
  readonly batches: readonly [number, number];
  readonly inputs: readonly Value[];
  /** the exporter's last node must write this value's name */
  readonly output: Value;
  /** dotted path of the module the op ran in ('' = the top-level module) */
  readonly path: string;
  /** e.g. "op 'reshape' in module '2' (Flatten)", for error messages */
  readonly where: string;
}

export type OpExporter<A> = (n: ExportNode<A>, g: OnnxGraph) => void;

type AttrsOf<K extends OpName> = (typeof opTable)[K] extends OpDef<infer A> ? A : never;

/** Ops outside the differentiable table that a forward pass can still run (no gradient). */
interface ConstOpAttrs {
  compare: { op: CompareOp };
  argReduce: { op: ArgReduceOp; axis: number; keepdim: boolean };
  constUnary: { op: UnaryOp; p0: number; p1: number; dtype: DType };
  clone: Record<string, never>;
}

export type ExporterTable = { readonly [K in OpName]?: OpExporter<AttrsOf<K>> }
  & { readonly [K in TraceScopeName]: OpExporter<TraceScopeAttrs[K]> }
  & { readonly [K in keyof ConstOpAttrs]?: OpExporter<ConstOpAttrs[K]> };

/** A bool or int64 result as backprop's int32. */
function toInt32(g: OnnxGraph, x: string, out: string): void {
  g.node('Cast', [x], { to: int(ONNX_DTYPE.int32) }, out);
}

const COMPARE: Record<CompareOp, string> = { eq: 'Equal', ne: 'Equal', lt: 'Less', le: 'LessOrEqual', gt: 'Greater', ge: 'GreaterOrEqual' };

const names = (vs: readonly Value[]): string[] => vs.map((v) => v.name);

function unary(opType: string): OpExporter<unknown> {
  return (n, g) => {
    g.node(opType, [n.inputs[0]!.name], {}, n.output.name);
  };
}

function binary(opType: string): OpExporter<unknown> {
  return (n, g) => {
    g.node(opType, names(n.inputs.slice(0, 2)), {}, n.output.name);
  };
}

/** The exact GELU: opset 20's Gelu, else x·½(1 + erf(x/√2)) (the same formula backprop computes). */
function gelu(g: OnnxGraph, x: string, dtype: DType, out?: string): string {
  if (g.opset >= 20) return g.node('Gelu', [x], {}, out);
  const e = g.node('Erf', [g.node('Mul', [x, g.scalar(Math.SQRT1_2, dtype, 'sqrt1_2')])]);
  const cdf2 = g.node('Add', [e, g.scalar(1, dtype, 'one')]);
  return g.node('Mul', [g.node('Mul', [x, cdf2]), g.scalar(0.5, dtype, 'half')], {}, out);
}

/** act(z) written to `out`; act 'none' is not allowed here (the caller writes z to out). */
function activation(g: OnnxGraph, act: Exclude<BiasActivation, 'none'>, z: string, dtype: DType, out: string): void {
  switch (act) {
    case 'relu': g.node('Relu', [z], {}, out); return;
    case 'sigmoid': g.node('Sigmoid', [z], {}, out); return;
    case 'tanh': g.node('Tanh', [z], {}, out); return;
    case 'gelu': gelu(g, z, dtype, out); return;
  }
}

/** Swaps the last two dims of a rank-r value. */
function transposeLast2(g: OnnxGraph, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return g.node('Transpose', [x], { perm: ints(perm) });
}

const pads = (p: readonly [number, number]): number[] => [p[0], p[1], p[0], p[1]];

/** Casts a value to a dtype when it differs (composites that cast inside, like conv2d). */
function castTo(g: OnnxGraph, v: Value, dtype: DType): string {
  return v.dtype === dtype ? v.name : g.node('Cast', [v.name], { to: int(ONNX_DTYPE[dtype]) });
}

/** A per-channel constant of ones or zeros, for an absent scale or shift. */
function filled(g: OnnxGraph, dims: readonly number[], value: number, dtype: DType, hint: string): string {
  return g.constant(dtype, dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(value), hint);
}

export const onnxExporters: ExporterTable = {
  // ---- elementwise ----
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  pow: binary('Pow'),
  maximum: binary('Max'),
  minimum: binary('Min'),
  neg: unary('Neg'),
  exp: unary('Exp'),
  log: unary('Log'),
  sqrt: unary('Sqrt'),
  abs: unary('Abs'),
  erf: unary('Erf'),
  sin: unary('Sin'),
  cos: unary('Cos'),
  tan: unary('Tan'),
  asin: unary('Asin'),
  acos: unary('Acos'),
  atan: unary('Atan'),
  sinh: unary('Sinh'),
  cosh: unary('Cosh'),
  reciprocal: unary('Reciprocal'),
  floor: unary('Floor'),
  ceil: unary('Ceil'),
  // ONNX's Round is half to even, as backprop's
  round: unary('Round'),
  sign: unary('Sign'),
  powScalar: (n, g) => {
    const x = n.inputs[0]!;
    g.node('Pow', [x.name, g.scalar(n.attrs.exponent, x.dtype, 'exponent')], {}, n.output.name);
  },
  cast: (n, g) => {
    g.node('Cast', [n.inputs[0]!.name], { to: int(ONNX_DTYPE[n.attrs.dtype]) }, n.output.name);
  },
  where: (n, g) => {
    const [c, a, b] = n.inputs as [Value, Value, Value];
    g.node('Where', [g.node('Cast', [c.name], { to: int(ONNX_DTYPE.bool) }), a.name, b.name], {}, n.output.name);
  },
  clamp: (n, g) => {
    const x = n.inputs[0]!;
    const { min, max } = n.attrs;
    // an absent optional input is an empty name; trailing ones are dropped
    const lo = Number.isFinite(min) ? g.scalar(min, x.dtype, 'min') : '';
    const hi = Number.isFinite(max) ? g.scalar(max, x.dtype, 'max') : '';
    g.node('Clip', hi ? [x.name, lo, hi] : lo ? [x.name, lo] : [x.name], {}, n.output.name);
  },

  // ---- activations ----
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  relu: unary('Relu'),
  softplus: unary('Softplus'),
  leakyRelu: (n, g) => {
    g.node('LeakyRelu', [n.inputs[0]!.name], { alpha: float(n.attrs.slope) }, n.output.name);
  },
  elu: (n, g) => {
    g.node('Elu', [n.inputs[0]!.name], { alpha: float(n.attrs.alpha) }, n.output.name);
  },
  gelu: (n, g) => {
    gelu(g, n.inputs[0]!.name, n.inputs[0]!.dtype, n.output.name);
  },
  biasAct: (n, g) => {
    const [z, bias] = n.inputs as [Value, Value];
    const { act } = n.attrs;
    const sum = g.node('Add', [z.name, bias.name], {}, act === 'none' ? n.output.name : undefined);
    if (act !== 'none') activation(g, act, sum, z.dtype, n.output.name);
  },
  // softmax(scale·q·kᵀ, causally masked)·v as MatMul, Where and Softmax nodes; a packed qkv is
  // sliced and its heads reshaped and transposed first, then merged back
  attention: (n, g) => {
    const { packed, heads, scale, causal } = n.attrs;
    const dtype = n.inputs[0]!.dtype;
    let q: string, k: string, v: string, l: number, s: number;
    if (packed) {
      const qkv = n.inputs[0]!;
      const t = qkv.shape[1], c3 = qkv.shape[2];
      if (typeof t !== 'number' || typeof c3 !== 'number') throw new ExportError(`exportOnnx: ${n.where} needs a fixed sequence length and width, got ${fmtSymShape(qkv.shape)}`, n.op, n.path);
      const c = c3 / 3;
      // [B, T, C] slice → [B, T, H, d] (0 copies the batch dim) → [B, H, T, d]
      const head = (i: number): string => g.node('Transpose', [g.node('Reshape', [
        g.node('Slice', [qkv.name, g.int64s([i * c]), g.int64s([(i + 1) * c]), g.int64s([2])]), g.int64s([0, t, heads, c / heads]),
      ])], { perm: ints([0, 2, 1, 3]) });
      [q, k, v] = [head(0), head(1), head(2)];
      l = s = t;
    } else {
      const [qv, kv, vv] = n.inputs as [Value, Value, Value];
      [q, k, v] = [qv.name, kv.name, vv.name];
      const ld = qv.shape[qv.shape.length - 2], sd = kv.shape[kv.shape.length - 2];
      if (typeof ld !== 'number' || typeof sd !== 'number') throw new ExportError(`exportOnnx: ${n.where} needs fixed sequence lengths, got ${fmtSymShape(qv.shape)} and ${fmtSymShape(kv.shape)}`, n.op, n.path);
      l = ld;
      s = sd;
    }
    const rank = packed ? 4 : n.inputs[0]!.shape.length;
    let scores = g.node('MatMul', [g.node('Mul', [q, g.scalar(scale, dtype, 'scale')]), transposeLast2(g, k, rank)]);
    if (causal) {
      const allowed = Array.from({ length: l * s }, (_, i) => (i % s <= Math.floor(i / s) ? 1 : 0));
      const mask = g.node('Cast', [g.constant('int32', [l, s], allowed, 'causal_mask')], { to: int(ONNX_DTYPE.bool) });
      scores = g.node('Where', [mask, scores, g.scalar(dtype === 'float32' ? -3.4028234663852886e38 : -Number.MAX_VALUE, dtype, 'masked')]);
    }
    const y = g.node('MatMul', [g.node('Softmax', [scores], { axis: int(-1) }), v], {}, packed ? undefined : n.output.name);
    if (packed) {
      const c = (n.inputs[0]!.shape[2] as number) / 3;
      g.node('Reshape', [g.node('Transpose', [y], { perm: ints([0, 2, 1, 3]) }), g.int64s([0, l, c])], {}, n.output.name);
    }
  },
  softmax: (n, g) => {
    g.node('Softmax', [n.inputs[0]!.name], { axis: int(n.attrs.axis) }, n.output.name);
  },
  logSoftmax: (n, g) => {
    g.node('LogSoftmax', [n.inputs[0]!.name], { axis: int(n.attrs.axis) }, n.output.name);
  },

  // ---- products and reductions ----
  matmul: (n, g) => {
    const [a, b] = n.inputs as [Value, Value];
    const { transA, transB } = n.attrs;
    if (a.shape.length === 2 && b.shape.length === 2) {
      g.node('Gemm', [a.name, b.name], { transA: int(transA ? 1 : 0), transB: int(transB ? 1 : 0) }, n.output.name);
      return;
    }
    const x = transA ? transposeLast2(g, a.name, a.shape.length) : a.name;
    const y = transB ? transposeLast2(g, b.name, b.shape.length) : b.name;
    g.node('MatMul', [x, y], {}, n.output.name);
  },
  sum: (n, g) => {
    const { axes, keepdim } = n.attrs;
    if (axes.length === 0) g.node('Identity', [n.inputs[0]!.name], {}, n.output.name);
    else g.node('ReduceSum', [n.inputs[0]!.name, g.int64s(axes)], { keepdims: int(keepdim ? 1 : 0) }, n.output.name);
  },
  // max() over all or several dims, and amax/amin; ReduceMax/Min take axes as an input from opset 18
  amax: (n, g) => {
    const { op, axes, keepdim } = n.attrs;
    const x = n.inputs[0]!.name, type = op === 'max' ? 'ReduceMax' : 'ReduceMin', keepdims = int(keepdim ? 1 : 0);
    if (axes.length === 0) g.node('Identity', [x], {}, n.output.name);
    else if (g.opset >= 18) g.node(type, [x, g.int64s(axes)], { keepdims }, n.output.name);
    else g.node(type, [x], { axes: ints(axes), keepdims }, n.output.name);
  },

  // ---- shapes ----
  reshape: (n, g) => {
    const target = symShape(n.attrs.shape, n.probeAttrs.shape, n.batches, () => `the target shape of ${n.where}`);
    const symbolic = target.filter((d) => typeof d !== 'number').length;
    // one batch-sized dim is inferred by Reshape itself (-1); more are computed from the batch size
    const shape = symbolic === 1 ? g.int64s(target.map((d) => (typeof d === 'number' ? d : -1))) : g.shape(target);
    g.node('Reshape', [n.inputs[0]!.name, shape], {}, n.output.name);
  },
  permute: (n, g) => {
    g.node('Transpose', [n.inputs[0]!.name], { perm: ints(n.attrs.perm) }, n.output.name);
  },
  expand: (n, g) => {
    const x = n.inputs[0]!;
    const target = symShape(n.attrs.shape, n.probeAttrs.shape, n.batches, () => `the target shape of ${n.where}`);
    const lead = target.length - x.shape.length;
    // Expand broadcasts both ways, so a 1 keeps the input's dim: batch dims the input already has need no shape arithmetic
    const kept = target.map((d, i) => (typeof d !== 'number' && i >= lead && sameDim(x.shape[i - lead]!, d) ? 1 : d));
    g.node('Expand', [x.name, g.shape(kept)], {}, n.output.name);
  },
  slice: (n, g) => {
    const x = n.inputs[0]!;
    const a = n.attrs, p = n.probeAttrs;
    const starts: number[] = [], ends: (number | bigint)[] = [], axes: number[] = [], steps: number[] = [];
    const out = symShape(a.outShape, p.outShape, n.batches, () => `the output of ${n.where}`);
    x.shape.forEach((dim, d) => {
      const begin = a.begin[d]!, step = a.step[d]!;
      if (begin === 0 && step === 1 && sameDim(out[d]!, dim)) return; // the whole dim
      if (p.begin[d] !== begin || p.step[d] !== step) {
        throw new ExportError(`exportOnnx: ${n.where} slices dim ${d} from ${begin} (step ${step}) at batch size ${n.batches[0]} but from ${p.begin[d]} (step ${p.step[d]}) at batch size ${n.batches[1]}`, n.op, n.path);
      }
      // the exclusive end just past the last index taken; a slice running to the end of a dim
      // whose size follows the batch ends at INT64_MAX, which Slice clamps to the dim
      const stop = (count: number): number => (count === 0 ? begin : begin + (count - 1) * step + 1);
      const [n0, n1] = n.batches;
      const reachesEnd = (batch: number, count: number): boolean => begin + count * step >= concreteDim(dim, batch);
      let end: number | bigint;
      if (reachesEnd(n0, a.outShape[d]!) && reachesEnd(n1, p.outShape[d]!)) end = INT64_MAX;
      else if (stop(a.outShape[d]!) === stop(p.outShape[d]!)) end = stop(a.outShape[d]!);
      else throw new ExportError(`exportOnnx: ${n.where} slices dim ${d} of ${fmtSymShape(x.shape)} to a length that depends on the batch size but not up to its end`, n.op, n.path);
      starts.push(begin);
      ends.push(end);
      axes.push(d);
      steps.push(step);
    });
    if (axes.length === 0) g.node('Identity', [x.name], {}, n.output.name);
    else g.node('Slice', [x.name, g.int64s(starts), g.int64s(ends), g.int64s(axes), g.int64s(steps)], {}, n.output.name);
  },
  concat: (n, g) => {
    g.node('Concat', names(n.inputs), { axis: int(n.attrs.axis) }, n.output.name);
  },

  // ---- indexing ----
  indexSelect: (n, g) => {
    g.node('Gather', names(n.inputs), { axis: int(n.attrs.axis) }, n.output.name);
  },
  gather: (n, g) => {
    g.node('GatherElements', names(n.inputs), { axis: int(n.attrs.axis) }, n.output.name);
  },

  // ---- no gradient: comparisons, arg-max/min, constant maps, copies ----
  compare: (n, g) => {
    const eq = g.node(COMPARE[n.attrs.op], names(n.inputs.slice(0, 2)));
    toInt32(g, n.attrs.op === 'ne' ? g.node('Not', [eq]) : eq, n.output.name);
  },
  argReduce: (n, g) => {
    const r = g.node(n.attrs.op === 'argmax' ? 'ArgMax' : 'ArgMin', [n.inputs[0]!.name], { axis: int(n.attrs.axis), keepdims: int(n.attrs.keepdim ? 1 : 0) });
    toInt32(g, r, n.output.name);
  },
  constUnary: (n, g) => {
    const x = n.inputs[0]!.name;
    switch (n.attrs.op) {
      case 'sign': g.node('Sign', [x], {}, n.output.name); return;
      case 'floor': g.node('Floor', [x], {}, n.output.name); return;
      case 'abs': g.node('Abs', [x], {}, n.output.name); return;
      case 'copy': g.node('Identity', [x], {}, n.output.name); return;
      case 'isfinite': toInt32(g, g.node('Not', [g.node('Or', [g.node('IsNaN', [x]), g.node('IsInf', [x])])]), n.output.name); return;
      case 'isnan': toInt32(g, g.node('IsNaN', [x]), n.output.name); return;
      default: throw new ExportError(`exportOnnx: ${n.where} applies '${n.attrs.op}', which has no ONNX exporter`, n.op, n.path);
    }
  },
  clone: (n, g) => {
    g.node('Identity', [n.inputs[0]!.name], {}, n.output.name);
  },

  // ---- composites (traceScope) ----
  linear: (n, g) => {
    const [x, w, b] = n.inputs as [Value, Value, Value | undefined];
    const { act } = n.attrs;
    const pre = act === 'none' ? n.output.name : undefined;
    let z: string;
    if (x.shape.length === 2 && x.dtype === w.dtype && (!b || b.dtype === w.dtype)) {
      z = g.node('Gemm', b ? [x.name, w.name, b.name] : [x.name, w.name], { transB: int(1) }, pre);
    } else {
      // Gemm takes matrices only: a batch of sequences [N, T, in] multiplies by Wᵀ
      const dtype = promoteAll([x, w, ...(b ? [b] : [])]);
      const y = g.node('MatMul', [castTo(g, x, dtype), g.node('Transpose', [castTo(g, w, dtype)], { perm: ints([1, 0]) })], {}, b ? undefined : pre);
      z = b ? g.node('Add', [y, castTo(g, b, dtype)], {}, pre) : y;
    }
    if (act !== 'none') activation(g, act, z, n.output.dtype, n.output.name);
  },
  conv2d: (n, g) => {
    const [x, w, b] = n.inputs as [Value, Value, Value | undefined];
    const { stride, padding, dilation, groups } = n.attrs;
    const kernel = w.shape.slice(2) as number[];
    g.node('Conv', [castTo(g, x, w.dtype), w.name, ...(b ? [b.name] : [])], {
      kernel_shape: ints(kernel), strides: ints(stride), pads: ints(pads(padding)), dilations: ints(dilation), group: int(groups),
    }, n.output.name);
  },
  maxPool2d: (n, g) => {
    const { kernel, stride, padding, dilation } = n.attrs;
    g.node('MaxPool', [n.inputs[0]!.name], { kernel_shape: ints(kernel), strides: ints(stride), pads: ints(pads(padding)), dilations: ints(dilation) }, n.output.name);
  },
  avgPool2d: (n, g) => {
    const { kernel, stride, padding, dilation, countIncludePad } = n.attrs;
    const dilated = dilation[0] !== 1 || dilation[1] !== 1;
    if (dilated && g.opset < 19) {
      throw new ExportError(`exportOnnx: ${n.where} has dilation ${dilation.join('x')}; ONNX AveragePool takes dilations from opset 19 on (exporting with opset ${g.opset}); pass {opset: 19}`, n.op, n.path);
    }
    g.node('AveragePool', [n.inputs[0]!.name], {
      kernel_shape: ints(kernel), strides: ints(stride), pads: ints(pads(padding)), count_include_pad: int(countIncludePad ? 1 : 0),
      ...(dilated ? { dilations: ints(dilation) } : {}),
    }, n.output.name);
  },
  batchNorm: (n, g) => {
    const [x, mean, variance, ...rest] = n.inputs as [Value, Value, Value, ...Value[]];
    const c = mean.shape[0] as number;
    const scale = n.attrs.weight ? rest.shift()!.name : filled(g, [c], 1, x.dtype, 'bn_scale');
    const shift = n.attrs.bias ? rest.shift()!.name : filled(g, [c], 0, x.dtype, 'bn_shift');
    g.node('BatchNormalization', [x.name, scale, shift, mean.name, variance.name], { epsilon: float(n.attrs.eps) }, n.output.name);
  },
  layerNorm: (n, g) => {
    const [x, ...rest] = n.inputs as [Value, ...Value[]];
    const { normalizedShape, eps } = n.attrs;
    const params = [n.attrs.weight ? rest.shift() : undefined, n.attrs.bias ? rest.shift() : undefined];
    for (const p of params) {
      if (p && fmtSymShape(p.shape) !== fmtShape(normalizedShape)) {
        throw new ExportError(`exportOnnx: ${n.where} has a scale or shift of shape ${fmtSymShape(p.shape)}; ONNX LayerNormalization needs ${fmtShape(normalizedShape)}`, n.op, n.path);
      }
    }
    const scale = params[0]?.name ?? filled(g, normalizedShape, 1, x.dtype, 'ln_scale');
    g.node('LayerNormalization', params[1] ? [x.name, scale, params[1].name] : [x.name, scale], {
      axis: int(-normalizedShape.length), epsilon: float(eps),
    }, n.output.name);
  },
  embedding: (n, g) => {
    g.node('Gather', names(n.inputs), { axis: int(0) }, n.output.name);
  },
};

function promoteAll(vs: readonly Value[]): DType {
  return vs.some((v) => v.dtype === 'float64') ? 'float64' : vs.some((v) => v.dtype === 'float32') ? 'float32' : 'int32';
}

/**
 * The ops io.exportOnnx can export: op-table primitives and traced composites, sorted.
 * @example io.exportableOps().includes('conv2d') // true
 */
export function exportableOps(): string[] {
  return Object.keys(onnxExporters).sort();
}
