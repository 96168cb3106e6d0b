/**
 * Every error the library throws on bad input is one of these classes, so callers can catch by
 * kind and newcomers get a message naming the op or file, and the expected vs actual value.
 * @example
 * try {
 *   io.loadSafetensors('model.safetensors');
 * } catch (e) {
 *   if (e instanceof BackpropError) console.error(`${e.name}: ${e.message}`);
 *   else throw e;
 * }
 */
export class BackpropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Shapes that do not fit an op, e.g. `matmul: cannot multiply [2,3] by [4,5]: ...`.
 * @example
 * try { matmul(zeros([2, 3]), zeros([4, 5])); } catch (e) { if (!(e instanceof ShapeError)) throw e; console.log(e.message); }
 */
export class ShapeError extends BackpropError {}

/**
 * A dtype an op does not take, e.g. `exp: expected a floating dtype, got int32`.
 * @example
 * try { tensor([1, 2], { dtype: 'int32' }).exp(); } catch (e) { if (!(e instanceof DTypeError)) throw e; console.log(e.message); }
 */
export class DTypeError extends BackpropError {}

/**
 * Misuse of autograd: backward on a non-scalar without a gradient, a freed graph, ...
 * @example
 * const y = tensor([1, 2], { requiresGrad: true }).mul(2);
 * try { y.backward(); } catch (e) { if (!(e instanceof AutogradError)) throw e; y.sum().backward(); }
 */
export class AutogradError extends BackpropError {}

/**
 * A NaN or infinity produced while `setCheckNumerics(true)` is on; the message names the op.
 * @example
 * setCheckNumerics(true);
 * try { tensor([-1]).log(); } catch (e) { if (!(e instanceof NumericsError)) throw e; console.log(e.message); }
 */
export class NumericsError extends BackpropError {}

/**
 * A bad argument value (out-of-range index, negative size, unknown option, ...).
 * @example
 * try { setBackend('cuda'); } catch (e) { if (!(e instanceof ValueError)) throw e; console.log(e.message); }
 */
export class ValueError extends BackpropError {}

/**
 * A corrupt, truncated or unexpected file (IDX, CSV, safetensors, checkpoint); the message names the file.
 * @example
 * try { io.loadCheckpoint('run.ckpt'); } catch (e) { if (!(e instanceof FormatError)) throw e; console.log('bad checkpoint:', e.message); }
 */
export class FormatError extends BackpropError {}

/**
 * A device problem: no WebGPU adapter, an op whose inputs sit on different devices, or a
 * synchronous read of a tensor whose elements live on the GPU.
 * @example
 * try { await initDevice('webgpu'); } catch (e) { if (!(e instanceof DeviceError)) throw e; console.log('staying on cpu:', e.message); }
 */
export class DeviceError extends BackpropError {}

/**
 * What `gradcheck` throws when backprop and finite differences disagree (unless `raiseOnFailure: false`).
 * @example
 * const x = tensor([0.5, 2], { dtype: 'float64', requiresGrad: true });
 * try { gradcheck((t) => t.exp().sum(), [x]); } catch (e) { if (!(e instanceof GradcheckError)) throw e; console.log(e.message); }
 */
export class GradcheckError extends BackpropError {}

/**
 * A model that cannot be written in an export format: an op without an ONNX exporter (naming
 * the op and the module it ran in), or a shape that depends on the batch size in a way the
 * format cannot express.
 * @example
 * try { io.exportOnnx(model, zeros([1, 784]), 'model.onnx'); }
 * catch (e) { if (!(e instanceof ExportError)) throw e; console.log(e.op, 'in', e.modulePath); }
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
