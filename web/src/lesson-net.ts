/**
 * The lecture's network, computed by the library: input (x1, x2) → two sigmoid neurons h1, h2
 * → two softmax outputs o1, o2 → cross-entropy cost against a target class. Every number the
 * lesson shows comes from here: forward values from the tensors, gradients from loss.backward()
 * (with retainGrad on the z's so ∂C/∂z can be read), finite differences from the same forward.
 */
import { Tensor, gradcheck, matmul, noGrad, optim, tensor } from '../../src/browser.js';

/** Editable numbers: w[i][j] is the weight from input j into neuron i of that layer. */
export interface LessonParams {
  x: [number, number];
  hiddenW: [[number, number], [number, number]];
  hiddenB: [number, number];
  outW: [[number, number], [number, number]];
  outB: [number, number];
  /** target class: 0 for o1, 1 for o2 */
  target: number;
  /** learning rate of the "Gradient step" button */
  lr: number;
}

export const defaultParams = (): LessonParams => ({
  x: [1, -1],
  hiddenW: [[1, -2], [-1, 1]],
  hiddenB: [1, 0],
  outW: [[1.5, -1], [-1, 2]],
  outB: [0, 0],
  target: 1,
  lr: 1,
});

export type Pair = [number, number];

/** Everything the diagram shows; arrays are indexed [neuron] or [neuron][input]. */
export interface LessonValues {
  zH: Pair; aH: Pair; sigmaPrimeH: Pair;
  zO: Pair; pO: Pair; cost: number;
  /** ∂z/∂w: the input reaching each weight */
  dzdwH: [Pair, Pair]; dzdwO: [Pair, Pair];
  dCdzO: Pair; dCdaH: Pair; dCdzH: Pair;
  dCdwH: [Pair, Pair]; dCdbH: Pair;
  dCdwO: [Pair, Pair]; dCdbO: Pair;
}

const f64 = { dtype: 'float64' } as const;

interface Leaves { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor }

function leaves(p: LessonParams): Leaves {
  return {
    w1: tensor(p.hiddenW, { ...f64, requiresGrad: true }),
    b1: tensor(p.hiddenB, { ...f64, requiresGrad: true }),
    w2: tensor(p.outW, { ...f64, requiresGrad: true }),
    b2: tensor(p.outB, { ...f64, requiresGrad: true }),
  };
}

/** The forward pass as tensors; also returns the intermediates so gradients can be read. */
function forward(p: LessonParams, l: Leaves): { zH: Tensor; aH: Tensor; zO: Tensor; pO: Tensor; cost: Tensor } {
  const x = tensor(p.x, f64);
  const zH = matmul(l.w1, x.reshape([2, 1])).reshape([2]).add(l.b1);
  const aH = zH.sigmoid();
  const zO = matmul(l.w2, aH.reshape([2, 1])).reshape([2]).add(l.b2);
  const logp = zO.logSoftmax(0);
  const cost = logp.indexSelect(0, tensor([p.target], { dtype: 'int32' })).neg().sum();
  return { zH, aH, zO, pO: logp.exp(), cost };
}

const pair = (t: Tensor): Pair => [t.data[0]!, t.data[1]!];
const mat = (t: Tensor): [Pair, Pair] => [[t.data[0]!, t.data[1]!], [t.data[2]!, t.data[3]!]];

/** Runs forward and backward once and collects every value the lesson displays. */
export function computeLesson(p: LessonParams): LessonValues {
  const l = leaves(p);
  const f = forward(p, l);
  f.zH.retainGrad();
  f.aH.retainGrad();
  f.zO.retainGrad();
  f.cost.backward();
  const aH = f.aH.detach();
  // σ'(z) = σ(z)(1 − σ(z)): the factor by which a hidden neuron scales the gradient passing back
  const sigmaPrime = aH.mul(aH.neg().add(1));
  const aPair = pair(aH);
  return {
    zH: pair(f.zH), aH: aPair, sigmaPrimeH: pair(sigmaPrime),
    zO: pair(f.zO), pO: pair(f.pO), cost: f.cost.item(),
    dzdwH: [[p.x[0], p.x[1]], [p.x[0], p.x[1]]],
    dzdwO: [[aPair[0], aPair[1]], [aPair[0], aPair[1]]],
    dCdzO: pair(f.zO.grad!), dCdaH: pair(f.aH.grad!), dCdzH: pair(f.zH.grad!),
    dCdwH: mat(l.w1.grad!), dCdbH: pair(l.b1.grad!),
    dCdwO: mat(l.w2.grad!), dCdbO: pair(l.b2.grad!),
  };
}

/** The cost alone, without a graph. */
export function lessonCost(p: LessonParams): number {
  return noGrad(() => forward(p, leaves(p)).cost.item());
}

/** One parameter of the network, for the finite-difference table. */
export interface ParamRef {
  label: string;
  get(p: LessonParams): number;
  set(p: LessonParams, v: number): void;
  grad(v: LessonValues): number;
}

export const paramRefs: ParamRef[] = (() => {
  const refs: ParamRef[] = [];
  for (const i of [0, 1]) {
    for (const j of [0, 1]) {
      refs.push({
        label: `w h${i + 1}←x${j + 1}`,
        get: (p) => p.hiddenW[i]![j]!, set: (p, v) => { p.hiddenW[i]![j] = v; }, grad: (v) => v.dCdwH[i]![j]!,
      });
    }
    refs.push({ label: `b h${i + 1}`, get: (p) => p.hiddenB[i]!, set: (p, v) => { p.hiddenB[i] = v; }, grad: (v) => v.dCdbH[i]! });
  }
  for (const i of [0, 1]) {
    for (const j of [0, 1]) {
      refs.push({
        label: `w o${i + 1}←h${j + 1}`,
        get: (p) => p.outW[i]![j]!, set: (p, v) => { p.outW[i]![j] = v; }, grad: (v) => v.dCdwO[i]![j]!,
      });
    }
    refs.push({ label: `b o${i + 1}`, get: (p) => p.outB[i]!, set: (p, v) => { p.outB[i] = v; }, grad: (v) => v.dCdbO[i]! });
  }
  return refs;
})();

export interface CheckRow { label: string; backprop: number; numeric: number; error: number }
export interface CheckResult { rows: CheckRow[]; maxError: number; gradcheckPassed: boolean; gradcheckMaxError: number }

export const cloneParams = (p: LessonParams): LessonParams => JSON.parse(JSON.stringify(p)) as LessonParams;

/**
 * Backprop vs central differences (C(θ+ε) − C(θ−ε)) / 2ε for every weight and bias, plus the
 * library's gradcheck over the same function as a second opinion.
 */
export function checkGradients(p: LessonParams, eps = 1e-6): CheckResult {
  const values = computeLesson(p);
  const rows = paramRefs.map((r) => {
    const q = cloneParams(p);
    const v0 = r.get(q);
    r.set(q, v0 + eps);
    const up = lessonCost(q);
    r.set(q, v0 - eps);
    const down = lessonCost(q);
    const numeric = (up - down) / (2 * eps);
    const backprop = r.grad(values);
    return { label: r.label, backprop, numeric, error: Math.abs(backprop - numeric) };
  });
  const l = leaves(p);
  const report = gradcheck(
    (w1, b1, w2, b2) => forward(p, { w1: w1!, b1: b1!, w2: w2!, b2: b2! }).cost,
    [l.w1, l.b1, l.w2, l.b2],
    { raiseOnFailure: false },
  );
  return {
    rows,
    maxError: Math.max(...rows.map((r) => r.error)),
    gradcheckPassed: report.passed,
    gradcheckMaxError: Math.max(...report.inputs.map((r) => r.maxAbsError)),
  };
}

/** One plain SGD step (the library's optimizer) on all weights and biases; returns the new parameters. */
export function gradientStep(p: LessonParams): { next: LessonParams; before: number; after: number } {
  const l = leaves(p);
  const opt = new optim.SGD([l.w1, l.b1, l.w2, l.b2], { lr: p.lr });
  opt.zeroGrad();
  const cost = forward(p, l).cost;
  const before = cost.item();
  cost.backward();
  opt.step();
  const next = cloneParams(p);
  next.hiddenW = mat(l.w1);
  next.hiddenB = pair(l.b1);
  next.outW = mat(l.w2);
  next.outB = pair(l.b2);
  return { next, before, after: lessonCost(next) };
}
