import { ExportError, fmtShape } from '../../errors.js';
import type { DType } from '../../tensor/dtype.js';
import { ATTR_TYPE, ONNX_DTYPE, type AttributeMsg, type NodeMsg, type OnnxDType, type TensorMsg } from './proto.js';

/**
 * A dimension of a traced value: a fixed size, or the batch size times a factor. The exporter
 * traces the forward pass at two batch sizes and compares: a dim that changes with the batch
 * is symbolic, so the graph never bakes in the traced batch size.
 */
export type SymDim = number | { batch: number };

/** A value of the graph under construction: its name, element type and symbolic shape. */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly SymDim[];
}

/** An attribute value, tagged with its ONNX type (1 and 1.0 are different attributes in ONNX). */
export type Attr =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string };

export const int = (v: number): Attr => ({ int: v });
export const ints = (v: readonly number[]): Attr => ({ ints: v });
export const float = (v: number): Attr => ({ float: v });

export const INT64_MAX = 9223372036854775807n;

/** Size of a dim at a given batch size. */
export function concreteDim(d: SymDim, batch: number): number {
  return typeof d === 'number' ? d : d.batch * batch;
}

export function sameDim(a: SymDim, b: SymDim): boolean {
  return typeof a === 'number' ? a === b : typeof b !== 'number' && a.batch === b.batch;
}

export function fmtSymShape(s: readonly SymDim[]): string {
  return `[${s.map((d) => (typeof d === 'number' ? d : d.batch === 1 ? 'batch' : `${d.batch}*batch`)).join(',')}]`;
}

/**
 * The symbolic shape of a value seen as `a` at batch size batches[0] and `b` at batches[1].
 * A dim that changes must be proportional to the batch size; `what` names the value in the error.
 */
export function symShape(a: readonly number[], b: readonly number[], batches: readonly [number, number], what: () => string): SymDim[] {
  if (a.length !== b.length) {
    throw new ExportError(`exportOnnx: ${what()} has rank ${a.length} at batch size ${batches[0]} but ${b.length} at batch size ${batches[1]}; the exported graph needs shapes whose rank does not depend on the batch size`);
  }
  return a.map((d, i) => {
    const e = b[i]!;
    if (d === e) return d;
    const factor = d / batches[0];
    if (Number.isInteger(factor) && factor > 0 && e === factor * batches[1]) return { batch: factor };
    throw new ExportError(
      `exportOnnx: ${what()} has shape ${fmtShape(a)} at batch size ${batches[0]} but ${fmtShape(b)} at batch size ${batches[1]}; ` +
        `dim ${i} must be fixed or a multiple of the batch size`,
    );
  });
}

/**
 * The graph being written: nodes in execution order, initializers, and helpers for the
 * constants exporters need. Exporters call `node()` and name the last node's output after the
 * traced value they translate.
 */
export class OnnxGraph {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  /** the module path of the op being exported, used in node names */
  scope = '';
  private readonly names = new Set<string>();
  private readonly int64Cache = new Map<string, string>();
  private batchSizeName: string | null = null;
  private counter = 0;

  /**
   * @param opset the ONNX opset version being written
   * @param batchSource the graph input whose first dim is the batch size
   */
  constructor(readonly opset: number, private readonly batchSource: string) {
    this.names.add(batchSource);
  }

  /** Reserves a value name, adding a suffix when it is taken. */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Appends a node and returns its output's name (a fresh one unless `output` is given). */
  node(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, output?: string): string {
    const out = output ?? this.unique(`${this.scope ? `${this.scope}/` : ''}${opType}_${this.counter}`);
    const attribute = Object.entries(attrs).map(([name, a]) => attributeMsg(name, a));
    this.nodes.push({ input: [...inputs], output: [out], name: `${this.scope ? `${this.scope}/` : ''}${opType}_${this.counter++}`, opType, attribute });
    return out;
  }

  /** Adds a named initializer (a weight) from a typed array, little-endian as ONNX's raw_data requires. */
  initializer(name: string, dtype: OnnxDType, dims: readonly number[], data: ArrayBufferView): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dims: [...dims], dataType: ONNX_DTYPE[dtype], rawData: bytes });
    return name;
  }

  /** An initializer holding `values` (a constant the graph needs), under a fresh name. */
  constant(dtype: OnnxDType, dims: readonly number[], values: ArrayLike<number>, hint = 'const'): string {
    const name = this.unique(`${this.scope ? `${this.scope}/` : ''}${hint}`);
    return this.initializer(name, dtype, dims, typedArray(dtype, values));
  }

  /** A scalar (rank-0) constant of a dtype. */
  scalar(v: number, dtype: DType, hint = 'scalar'): string {
    return this.constant(dtype, [], [v], hint);
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds); identical ones are shared. */
  int64s(values: readonly (number | bigint)[]): string {
    const key = values.join(',');
    const cached = this.int64Cache.get(key);
    if (cached !== undefined) return cached;
    const name = this.unique(`i64[${key}]`);
    this.initializer(name, 'int64', [values.length], BigInt64Array.from(values, (v) => BigInt(v)));
    this.int64Cache.set(key, name);
    return name;
  }

  /** The batch size at run time, as a 1-element int64 tensor (computed once per graph). */
  batchSize(): string {
    if (this.batchSizeName === null) {
      const saved = this.scope;
      this.scope = '';
      this.batchSizeName = this.node('Shape', [this.batchSource], { start: int(0), end: int(1) }, this.unique('batch_size'));
      this.scope = saved;
    }
    return this.batchSizeName;
  }

  /**
   * A 1-D int64 shape tensor for a symbolic shape: a constant when every dim is fixed, else
   * built at run time from the batch size.
   */
  shape(s: readonly SymDim[]): string {
    if (s.every((d) => typeof d === 'number')) return this.int64s(s as number[]);
    const parts = s.map((d) => (typeof d === 'number' ? this.int64s([d]) : d.batch === 1 ? this.batchSize() : this.node('Mul', [this.batchSize(), this.int64s([d.batch])])));
    return this.node('Concat', parts, { axis: int(0) });
  }
}

function typedArray(dtype: OnnxDType, values: ArrayLike<number>): ArrayBufferView {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'int64': return BigInt64Array.from(Array.from(values), (v) => BigInt(v));
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

function attributeMsg(name: string, a: Attr): AttributeMsg {
  if ('int' in a) return { name, type: ATTR_TYPE.int, i: a.int };
  if ('float' in a) return { name, type: ATTR_TYPE.float, f: a.float };
  if ('ints' in a) return { name, type: ATTR_TYPE.ints, ints: [...a.ints] };
  if ('floats' in a) return { name, type: ATTR_TYPE.floats, floats: [...a.floats] };
  return { name, type: ATTR_TYPE.string, s: new TextEncoder().encode(a.string) };
}
