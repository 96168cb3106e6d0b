import { GradcheckError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { autogradGrad } from './engine.js';
import { noGrad } from './mode.js';

/**
 * gradcheck's step and tolerances, and whether a failure throws or is only reported.
 * @example
 * const r = gradcheck((x) => x.tanh().sum(), [randn([4], { dtype: 'float64' })], { eps: 1e-6, atol: 1e-7, raiseOnFailure: false });
 */
export interface GradcheckOptions {
  /** finite-difference step (default 1e-6) */
  eps?: number;
  /** absolute tolerance (default 1e-5) */
  atol?: number;
  /** relative tolerance (default 1e-3) */
  rtol?: number;
  /** throw a GradcheckError when the check fails (default true) */
  raiseOnFailure?: boolean;
}

/** How far backprop's gradient of one input is from finite differences. */
export interface InputReport {
  /** the input's position in `inputs` */
  index: number;
  /** the largest |numeric − analytic| over its elements */
  maxAbsError: number;
  /** the largest relative error over its elements */
  maxRelError: number;
  /** the element with the largest violation */
  worst: { element: number; numeric: number; analytic: number } | null;
}

/**
 * gradcheck's verdict, with the largest errors per input, so a failing op can be pinned down
 * to an input and an element.
 * @example
 * const { passed, inputs } = gradcheck((a, b) => a.div(b).sum(), [randn([3]), rand([3]).add(1)], { raiseOnFailure: false });
 * if (!passed) console.log(inputs.map((r) => r.worst));
 */
export interface GradcheckResult {
  /** whether every element is within atol + rtol·|numeric| */
  passed: boolean;
  /** one report per input, in order (an int32 input's stays at zero errors) */
  inputs: InputReport[];
}

/**
 * Compares backprop's gradients with central finite differences in float64, as PyTorch's
 * gradcheck does. Float inputs are copied to float64 leaves; int32 inputs (indices) pass through.
 * The output is reduced by fixed random weightings, so each check is a directional derivative.
 * @example gradcheck((a, b) => a.mul(b).sum(), [randn([3]), randn([3])])
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  const xs = inputs.map((t) => (t.dtype === 'int32' ? t : Tensor.fromRaw(Float64Array.from(t.data), t.shape).requiresGrad_()));
  const probe = noGrad(() => fn(...xs));
  if (!(probe instanceof Tensor)) throw new ValueError('gradcheck: fn must return a Tensor');
  const gen = new Generator(1234);
  const nProj = probe.size <= 4 ? probe.size : 3;
  // each projection: a one-hot (small outputs, the exact Jacobian rows) or random weights
  const weights: Float64Array[] = [];
  for (let p = 0; p < nProj; p++) {
    const w = new Float64Array(probe.size);
    if (probe.size <= 4) w[p] = 1;
    else for (let i = 0; i < w.length; i++) w[i] = gen.random() * 2 - 1;
    weights.push(w);
  }
  const project = (out: Tensor, w: Float64Array): number => {
    let s = 0;
    const d = out.data;
    for (let i = 0; i < d.length; i++) s += d[i]! * w[i]!;
    return s;
  };
  const reports: InputReport[] = xs.map((_, index) => ({ index, maxAbsError: 0, maxRelError: 0, worst: null }));
  const worstViolation = reports.map(() => -Infinity);
  let passed = true;
  for (const w of weights) {
    const out = fn(...xs);
    const seed = Tensor.fromRaw(Float64Array.from(w), out.shape);
    const diff = xs.filter((t) => t.dtype !== 'int32');
    const analytic = out.requiresGrad ? autogradGrad(out, diff, { gradOutput: seed.to(out.dtype) }) : diff.map((t) => Tensor.zerosOf(t.shape, t.dtype));
    let di = 0;
    xs.forEach((x, i) => {
      if (x.dtype === 'int32') return;
      const a = analytic[di++]!.data;
      const data = x.data;
      for (let k = 0; k < data.length; k++) {
        const orig = data[k]!;
        data[k] = orig + eps;
        const fp = project(noGrad(() => fn(...xs)), w);
        data[k] = orig - eps;
        const fm = project(noGrad(() => fn(...xs)), w);
        data[k] = orig;
        const numeric = (fp - fm) / (2 * eps);
        const an = a[k]!;
        const abs = Math.abs(numeric - an);
        const rel = abs / Math.max(Math.abs(numeric), Math.abs(an), 1e-12);
        const r = reports[i]!;
        if (abs > r.maxAbsError || Number.isNaN(abs)) r.maxAbsError = Number.isNaN(abs) ? NaN : abs;
        if (rel > r.maxRelError) r.maxRelError = rel;
        const violation = abs - (atol + rtol * Math.abs(numeric));
        if (violation > worstViolation[i]! || Number.isNaN(abs)) {
          worstViolation[i] = Number.isNaN(abs) ? Infinity : violation;
          r.worst = { element: k, numeric, analytic: an };
        }
        if (!(violation <= 0)) passed = false;
      }
    });
  }
  const result = { passed, inputs: reports };
  if (!passed && (opts.raiseOnFailure ?? true)) {
    const lines = reports
      .filter((r) => r.worst !== null)
      .map((r) => `  input ${r.index}: max abs error ${r.maxAbsError.toExponential(3)}, max rel error ${r.maxRelError.toExponential(3)}; worst element ${r.worst!.element}: numeric ${r.worst!.numeric} vs analytic ${r.worst!.analytic}`);
    throw new GradcheckError(`gradcheck: backprop disagrees with finite differences (eps ${eps}, atol ${atol}, rtol ${rtol}):\n${lines.join('\n')}`);
  }
  return result;
}
