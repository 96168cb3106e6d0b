import { noGrad } from '../../autograd/mode.js';
import { traceOps } from '../../autograd/trace.js';
import { ExportError, ValueError, fmtShape } from '../../errors.js';
import type { Module, AnyModule } from '../../nn/module.js';
import { arrayFor } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { writeFileAtomic } from '../atomic.js';
import { onnxExporters, type ExportNode, type OpExporter } from './exporters.js';
import { OnnxGraph, symShape, type SymDim, type Value } from './graph.js';
import { ONNX_DTYPE, encodeModel, type DimMsg, type ValueInfoMsg } from './proto.js';

/** The lowest ONNX opset exportOnnx writes (the first with LayerNormalization), and its default. @example io.exportOnnx(model, x, 'm.onnx', {opset: io.MIN_OPSET}) */
export const MIN_OPSET = 17;
/** The highest ONNX opset exportOnnx writes; ONNX Runtime 1.18 and later run every one from 17 on. @example io.MAX_OPSET // 21 */
export const MAX_OPSET = 21;
// the lowest IR version each opset may be stored with (onnx/helper.py's VERSION_TABLE)
const IR_VERSION: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/**
 * exportOnnx's options: the opset, the names of the graph's inputs, output and batch dim, and
 * metadata stored in the file.
 * @example
 * io.exportOnnx(model, zeros([1, 784]), 'mlp.onnx', { opset: 20, inputNames: ['pixels'], outputName: 'logits', metadata: { classes: '0,1,2,3,4,5,6,7,8,9' } });
 */
export interface OnnxExportOptions {
  /** ONNX opset version, 17 to 21 (default 17; 20 and later write GELU as one Gelu node) */
  opset?: number;
  /** names of the graph inputs (default 'input', or 'input0', 'input1', ... for several) */
  inputNames?: readonly string[];
  /** name of the graph output (default 'output') */
  outputName?: string;
  /** name of the symbolic first dim of every input (default 'batch') */
  batchDim?: string;
  /** strings stored in the model's metadata_props (e.g. class names) */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * What was written: the graph's interface and the ONNX ops it uses, e.g. to check a model will
 * run on a runtime that lacks some ops.
 * @example
 * const { opTypes, nodes, bytes } = io.exportOnnx(model, zeros([1, 1, 28, 28]), 'lenet5.onnx');
 * console.log(`${nodes} nodes, ${bytes} bytes, ops: ${opTypes.join(', ')}`);
 */
export interface OnnxExportResult {
  /** the opset the model declares */
  opset: number;
  /** the graph inputs' names, in the order of the example inputs */
  inputNames: string[];
  /** the graph output's name */
  outputName: string;
  /** ONNX op types in the graph, sorted, each once */
  opTypes: string[];
  /** the number of nodes in the graph */
  nodes: number;
  /** the size of the model file in bytes */
  bytes: number;
}

/**
 * Exports a module's forward pass as an ONNX model file, weights stored as initializers, for
 * ONNX Runtime and other ONNX tools. The forward is traced in eval mode on `exampleInputs`
 * (one tensor, or an array for a module whose forward takes several); the first dim of every
 * input is the batch size, which stays symbolic: the model runs at any batch size. Written
 * atomically. Node only.
 * @example
 * io.exportOnnx(model, zeros([1, 1, 28, 28]), 'lenet5.onnx');
 * // python: onnxruntime.InferenceSession('lenet5.onnx').run(None, {'input': x})
 */
export function exportOnnx(model: Module, exampleInputs: Tensor | readonly Tensor[], file: string, opts: OnnxExportOptions = {}): OnnxExportResult {
  const { bytes, result } = serializeOnnx(model, exampleInputs, opts);
  writeFileAtomic(file, bytes);
  return result;
}

/**
 * exportOnnx without the file: the ONNX model's bytes (e.g. for `InferenceSession.create(bytes)`).
 * @example const { bytes } = io.serializeOnnx(model, x);
 */
export function serializeOnnx(model: Module, exampleInputs: Tensor | readonly Tensor[], opts: OnnxExportOptions = {}): { bytes: Uint8Array; result: OnnxExportResult } {
  const opset = opts.opset ?? MIN_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ValueError(`exportOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`);
  }
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : [...exampleInputs];
  if (inputs.length === 0) throw new ValueError('exportOnnx: expected at least one example input');
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new ValueError(`exportOnnx: example input ${i} is not a Tensor`);
    if (x.shape.length === 0 || x.shape[0]! < 1) {
      throw new ValueError(`exportOnnx: example input ${i} has shape ${fmtShape(x.shape)}; its first dim is the batch size and must be at least 1`);
    }
  });
  const batch = inputs[0]!.shape[0]!;
  inputs.forEach((x, i) => {
    if (x.shape[0] !== batch) throw new ValueError(`exportOnnx: example inputs must share their first (batch) dim: input 0 has ${batch} rows, input ${i} has ${x.shape[0]}`);
  });
  const inputNames = opts.inputNames ? [...opts.inputNames] : inputs.length === 1 ? ['input'] : inputs.map((_, i) => `input${i}`);
  if (inputNames.length !== inputs.length) throw new ValueError(`exportOnnx: got ${inputNames.length} input names for ${inputs.length} example inputs`);
  const outputName = opts.outputName ?? 'output';
  if (new Set([...inputNames, outputName]).size !== inputNames.length + 1) throw new ValueError('exportOnnx: input and output names must be distinct');

  // A second trace at another batch size tells which dims (and shape attributes) follow the batch.
  const probeBatch = batch + 3;
  const batches = [batch, probeBatch] as const;
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let first: Trace, probe: Trace;
  try {
    first = trace(model, inputs);
    probe = trace(model, inputs.map((x) => probeInput(x, probeBatch)));
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
  checkSameOps(first, probe, batches);

  const g = new OnnxGraph(opset, inputNames[0]!);
  const params = new Map<Tensor, string>();
  for (const [name, t] of [...model.namedParameters(), ...model.namedBuffers()]) if (!params.has(t)) params.set(t, name);
  for (const name of [...params.values(), ...inputNames, outputName]) g.unique(name);

  const values = new Map<Tensor, Value>();
  // detach() makes a new Tensor over the same storage: the same value, found by storage and shape
  const byStorage = new Map<unknown, { shape: string; v: Value }[]>();
  const remember = (t: Tensor, v: Value): void => {
    values.set(t, v);
    const list = byStorage.get(t.storage) ?? [];
    list.push({ shape: fmtShape(t.shape), v });
    byStorage.set(t.storage, list);
  };
  const recall = (t: Tensor): Value | undefined =>
    values.get(t) ?? byStorage.get(t.storage)?.find((e) => e.shape === fmtShape(t.shape))?.v;
  const paramByStorage = new Map<unknown, { shape: string; t: Tensor }>();
  for (const t of params.keys()) paramByStorage.set(t.storage, { shape: fmtShape(t.shape), t });
  const paramOf = (t: Tensor): string | undefined => {
    const direct = params.get(t);
    if (direct !== undefined) return direct;
    const e = paramByStorage.get(t.storage);
    return e && e.shape === fmtShape(t.shape) ? params.get(e.t) : undefined;
  };
  const inputInfos: ValueInfoMsg[] = inputs.map((x, i) => {
    const v: Value = { name: inputNames[i]!, dtype: x.dtype, shape: [{ batch: 1 }, ...x.shape.slice(1)] };
    remember(x, v);
    return valueInfo(v, opts.batchDim ?? 'batch');
  });

  // the ONNX value for a traced tensor that no exported op produced: a weight, or a constant
  let constants = 0;
  const leaf = (t: Tensor, probeT: Tensor, where: () => string): Value => {
    const known = recall(t);
    if (known) return known;
    const param = paramOf(t);
    const name = param ?? g.unique(`const_${constants++}`);
    if (param === undefined && !sameContent(t, probeT)) {
      const change = fmtShape(t.shape) === fmtShape(probeT.shape) ? 'its values' : `its shape (${fmtShape(t.shape)}, then ${fmtShape(probeT.shape)})`;
      throw new ExportError(
        `exportOnnx: ${where()} takes a tensor computed outside the op table (through .data, detach() or a typed array) ` +
          `whose content depends on the input: ${change} changed between the traces at batch sizes ${batch} and ${probeBatch}. ` +
          'A graph can hold it only as a constant; compute it with tensor ops, or wrap the function in traceScope with an exporter.',
      );
    }
    g.initializer(name, t.dtype, t.shape, t.data);
    const v: Value = { name, dtype: t.dtype, shape: [...t.shape] };
    remember(t, v);
    return v;
  };

  const output = first.output;
  for (const i of neededNodes(first, output)) {
    const rec = first.nodes[i]!, other = probe.nodes[i]!;
    const where = (): string => `op '${rec.op}' ${moduleWhere(rec)}`;
    const exporter = (onnxExporters as Readonly<Record<string, OpExporter<unknown> | undefined>>)[rec.op];
    if (!exporter) {
      throw new ExportError(
        `exportOnnx: op '${rec.op}' has no ONNX exporter (${moduleWhere(rec)}); add one to onnxExporters in src/io/onnx/exporters.ts`,
        rec.op, rec.path,
      );
    }
    const ins = rec.inputs.map((t, j) => leaf(t, other.inputs[j]!, where));
    const outName = rec.out === output ? outputName : g.unique(`${rec.path ? `${rec.path}/` : ''}${rec.op}_out`);
    const out: Value = { name: outName, dtype: rec.out.dtype, shape: symShape(rec.out.shape, other.out.shape, batches, () => `the output of ${where()}`) };
    const node: ExportNode<unknown> = { op: rec.op, attrs: rec.attrs, probeAttrs: other.attrs, batches, inputs: ins, output: out, path: rec.path, where: where() };
    g.scope = rec.path;
    exporter(node, g);
    g.scope = '';
    remember(rec.out, out);
  }
  // a forward that returns an input or a weight unchanged still needs a node writing the output
  const result = values.get(output);
  if (result === undefined || result.name !== outputName) {
    const src = result ?? leaf(output, probe.output, () => 'the model output');
    g.node('Identity', [src.name], {}, outputName);
    values.set(output, { ...src, name: outputName });
  }
  const outValue = values.get(output)!;
  const outShape = symShape(output.shape, probe.output.shape, batches, () => 'the model output');

  const bytes = encodeModel({
    irVersion: IR_VERSION[opset]!,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'backprop',
    producerVersion: '0.1.0',
    graph: {
      name: model.constructor.name,
      node: g.nodes,
      initializer: g.initializers,
      input: inputInfos,
      output: [valueInfo({ ...outValue, shape: outShape }, opts.batchDim ?? 'batch')],
    },
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  const opTypes = [...new Set(g.nodes.map((nd) => nd.opType))].sort();
  return { bytes, result: { opset, inputNames, outputName, opTypes, nodes: g.nodes.length, bytes: bytes.length } };
}

// ---------- tracing ----------

interface Recorded {
  op: string;
  inputs: readonly Tensor[];
  attrs: unknown;
  out: Tensor;
  /** dotted module path ('' = the top-level module) and that module */
  path: string;
  module: AnyModule;
}

interface Trace {
  nodes: Recorded[];
  output: Tensor;
}

/** Runs the forward once with every op recorded, each tagged with the module it ran in. */
function trace(model: Module, inputs: readonly Tensor[]): Trace {
  const nodes: Recorded[] = [];
  const stack: { path: string; module: AnyModule }[] = [{ path: '', module: model }];
  const restore = instrumentModules(model, stack);
  try {
    const output = traceOps(
      {
        record: (op, ins, attrs, out) => {
          const top = stack[stack.length - 1]!;
          nodes.push({ op, inputs: [...ins], attrs, out, path: top.path, module: top.module });
        },
      },
      () => noGrad(() => (model.forward as (...xs: Tensor[]) => unknown).apply(model, inputs as Tensor[])),
    );
    if (!(output instanceof Tensor)) {
      throw new ExportError(`exportOnnx: the forward of ${model.constructor.name} returned ${output === null ? 'null' : typeof output}, not a Tensor`);
    }
    return { nodes, output };
  } finally {
    restore();
  }
}

/**
 * Wraps forward (and Linear's fused forwardAct) of every submodule for the duration of a trace,
 * so each recorded op knows the module path it ran in. Returns the undo.
 */
function instrumentModules(model: Module, stack: { path: string; module: AnyModule }[]): () => void {
  const undo: (() => void)[] = [];
  for (const [path, m] of model.namedModules()) {
    if (path === '') continue;
    const obj = m as unknown as Record<string, unknown>;
    for (const method of ['forward', 'forwardAct']) {
      const fn = obj[method];
      if (typeof fn !== 'function') continue;
      const own = Object.getOwnPropertyDescriptor(obj, method);
      Object.defineProperty(obj, method, {
        configurable: true,
        writable: true,
        value: function (this: AnyModule, ...args: unknown[]): unknown {
          stack.push({ path, module: m });
          try {
            return (fn as (...a: unknown[]) => unknown).apply(this, args);
          } finally {
            stack.pop();
          }
        },
      });
      undo.push(() => {
        if (own) Object.defineProperty(obj, method, own);
        else delete obj[method];
      });
    }
  }
  return () => {
    for (const u of undo.reverse()) u();
  };
}

/** `x` with `rows` rows, taken from x's rows in reverse order, cycling: other data, same kind. */
function probeInput(x: Tensor, rows: number): Tensor {
  const n = x.shape[0]!;
  const per = x.size / n;
  const src = x.data;
  const out = arrayFor(x.dtype, rows * per);
  for (let i = 0; i < rows; i++) {
    const r = n - 1 - (i % n);
    out.set(src.subarray(r * per, (r + 1) * per), i * per);
  }
  return Tensor.fromRaw(out, [rows, ...x.shape.slice(1)]);
}

function checkSameOps(a: Trace, b: Trace, batches: readonly [number, number]): void {
  const n = Math.min(a.nodes.length, b.nodes.length);
  for (let i = 0; i < n; i++) {
    if (a.nodes[i]!.op !== b.nodes[i]!.op) {
      throw new ExportError(
        `exportOnnx: the forward runs different ops at batch sizes ${batches[0]} and ${batches[1]}: op ${i} is '${a.nodes[i]!.op}' ${moduleWhere(a.nodes[i]!)} ` +
          `but '${b.nodes[i]!.op}'; a graph needs a forward whose ops do not depend on the batch size or the input values`,
        a.nodes[i]!.op, a.nodes[i]!.path,
      );
    }
  }
  if (a.nodes.length !== b.nodes.length) {
    throw new ExportError(`exportOnnx: the forward runs ${a.nodes.length} ops at batch size ${batches[0]} but ${b.nodes.length} at batch size ${batches[1]}; a graph needs a forward whose ops do not depend on the batch size or the input values`);
  }
}

/** Indices of the recorded ops the output depends on, in execution order. */
function neededNodes(t: Trace, output: Tensor): number[] {
  const producer = new Map<Tensor, number>();
  t.nodes.forEach((r, i) => {
    if (!r.inputs.includes(r.out)) producer.set(r.out, i);
  });
  const needed = new Set<number>();
  const stack = [output];
  while (stack.length > 0) {
    const i = producer.get(stack.pop()!);
    if (i === undefined || needed.has(i)) continue;
    needed.add(i);
    stack.push(...t.nodes[i]!.inputs);
  }
  return [...needed].sort((a, b) => a - b);
}

function moduleWhere(r: Recorded): string {
  const desc = r.module.label();
  const name = desc.length <= 60 ? desc : r.module.constructor.name;
  return r.path === '' ? `in the top-level module (${name})` : `in module '${r.path}' (${name})`;
}

function sameContent(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = a.data, y = b.data;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

function valueInfo(v: Value, batchDim: string): ValueInfoMsg {
  const dim = (d: SymDim): DimMsg => (typeof d === 'number' ? { dimValue: d } : d.batch === 1 ? { dimParam: batchDim } : { dimParam: `${batchDim}*${d.batch}` });
  return { name: v.name, type: { tensorType: { elemType: ONNX_DTYPE[v.dtype], shape: { dim: v.shape.map(dim) } } } };
}
