/**
 * Every error the library throws on bad input is one of these classes, so callers can catch by
 * kind and newcomers get a message naming the op or file, and the expected vs actual value.
 */
export class BackpropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op, e.g. `matmul: cannot multiply [2,3] by [4,5]: ...`. */
export class ShapeError extends BackpropError {}

/** A dtype an op does not take, e.g. `exp: expected a floating dtype, got int32`. */
export class DTypeError extends BackpropError {}

/** Misuse of autograd: backward on a non-scalar without a gradient, a freed graph, ... */
export class AutogradError extends BackpropError {}

/** A NaN or infinity produced while `setCheckNumerics(true)` is on. */
export class NumericsError extends BackpropError {}

/** A bad argument value (out-of-range index, negative size, unknown option, ...). */
export class ValueError extends BackpropError {}

/** A corrupt, truncated or unexpected file (IDX, CSV, safetensors, checkpoint). */
export class FormatError extends BackpropError {}

/**
 * A device problem: no WebGPU adapter, an op whose inputs sit on different devices, or a
 * synchronous read of a tensor whose elements live on the GPU.
 */
export class DeviceError extends BackpropError {}

/** Backward-compatible name for gradcheck failures. */
export class GradcheckError extends BackpropError {}

/**
 * A model that cannot be written in an export format: an op without an ONNX exporter (naming
 * the op and the module it ran in), or a shape that depends on the batch size in a way the
 * format cannot express.
 */
export class ExportError extends BackpropError {
  constructor(
    message: string,
    /** the op that could not be exported, when one is to blame */
    readonly op: string | null = null,
    /** the dotted path of the module it ran in ('' for the top-level module) */
    readonly modulePath: string | null = null,
  ) {
    super(message);
  }
}

/** Formats a shape the way messages show it: `[2,3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
