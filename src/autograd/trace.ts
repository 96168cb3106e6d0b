import type { BiasActivation } from '../backend/backend.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { tracer } from './engine.js';

/**
 * Tracing a forward pass, for exporters (io.exportOnnx). While a trace runs, every op
 * application is reported to a recorder: each primitive from the op table through
 * `engine.tracer`, and each composite function wrapped in `traceScope` as one high-level op
 * whose inner primitives are not reported. Outside a trace both cost one null check.
 */

/**
 * The composite functions recorded as one op, with the attributes each records. A format's
 * exporter table must cover every entry, so a new scope without an exporter fails to compile.
 * Pairs are (height, width).
 */
export interface TraceScopeAttrs {
  /** conv2d(x, weight, bias?): im2col + matmul inside */
  conv2d: { stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number };
  /** maxPool2d(x): arg-max indices computed outside the op table inside */
  maxPool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number] };
  /** avgPool2d(x): im2col + mean inside */
  avgPool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number]; countIncludePad: boolean };
  /** batchNorm with running statistics (eval): inputs x, runningMean, runningVar, then weight and bias where present */
  batchNorm: { eps: number; weight: boolean; bias: boolean };
  /** layerNorm over the trailing normalizedShape: inputs x, then weight and bias where present */
  layerNorm: { normalizedShape: readonly number[]; eps: number; weight: boolean; bias: boolean };
  /** act(x·Wᵀ + b), the Linear layer alone (act 'none') or fused with its activation: inputs x, weight, bias? */
  linear: { act: BiasActivation; bias: boolean };
  /** Embedding: inputs weight, indices */
  embedding: Record<string, never>;
}

export type TraceScopeName = keyof TraceScopeAttrs;

/** Receives the ops of a traced forward pass, in execution order. */
export interface TraceRecorder {
  /** `op` is an op-table name (a primitive) or a TraceScopeName (a composite). */
  record(op: string, inputs: readonly Tensor[], attrs: unknown, out: Tensor): void;
}

let recorder: TraceRecorder | null = null;

/**
 * Runs `body` (a composite function's implementation); under a trace, records it as the single
 * op `name` with `inputs` and `attrs`, and hides the primitives it runs.
 * @example
 * return traceScope('conv2d', [x, w], attrs, () => conv2dBody(x, w, null, opts));
 */
export function traceScope<K extends TraceScopeName>(name: K, inputs: readonly Tensor[], attrs: TraceScopeAttrs[K], body: () => Tensor): Tensor {
  if (recorder === null) return body();
  const r = recorder;
  const onApply = tracer.onApply;
  recorder = null;
  tracer.onApply = null;
  let out: Tensor;
  try {
    out = body();
  } finally {
    recorder = r;
    tracer.onApply = onApply;
  }
  r.record(name, inputs, attrs, out);
  return out;
}

/**
 * Runs `fn` with every op application reported to `r`.
 * @example const nodes = []; traceOps({record: (op) => nodes.push(op)}, () => model.forward(x));
 */
export function traceOps<T>(r: TraceRecorder, fn: () => T): T {
  if (recorder !== null || tracer.onApply !== null) throw new ValueError('traceOps: a trace is already running; traces do not nest');
  recorder = r;
  tracer.onApply = (op, inputs, attrs, out) => r.record(op.name, inputs, attrs, out);
  try {
    return fn();
  } finally {
    recorder = null;
    tracer.onApply = null;
  }
}
