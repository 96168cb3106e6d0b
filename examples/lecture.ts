/**
 * The lecture's worked example, computed by the library.
 *
 * Input x = (1, −1) feeds two sigmoid neurons: weights (1, −2) with bias 1, and (−1, 1) with
 * bias 0, so z = (4, −2) and a = σ(z) = (0.982, 0.119). A softmax output layer of two neurons
 * follows, with a cross-entropy cost against target class 0.
 *
 * Forward pass: ∂z/∂w is the input a that reaches w.
 * Backward pass: ∂C/∂z flows from the output back to the input; σ'(z) amplifies it at each neuron.
 * Then ∂C/∂w = a · ∂C/∂z for every weight, and gradcheck confirms it with finite differences.
 *
 * Run: npm run example:lecture
 */
import { fileURLToPath } from 'node:url';
import { Tensor, tensor, gradcheck, nn } from '../src/index.js';

export interface LectureParams {
  x: [number, number];
  w1: [[number, number], [number, number]];
  b1: [number, number];
  w2: [[number, number], [number, number]];
  b2: [number, number];
  target: number;
}

/** The lecture's network; the output layer's numbers are our choice (the lecture leaves them open). */
export const lectureParams: LectureParams = {
  x: [1, -1],
  w1: [[1, -2], [-1, 1]],
  b1: [1, 0],
  w2: [[1, -1], [-1, 1]],
  b2: [0, 0],
  target: 0,
};

export interface LectureResult {
  z1: number[]; a1: number[]; z2: number[]; a2: number[]; cost: number;
  dCdz2: number[]; dCdz1: number[]; sigmaPrime1: number[];
  dCdw1: number[][]; dCdb1: number[]; dCdw2: number[][]; dCdb2: number[];
  gradcheckMaxAbsError: number;
}

/** Runs the forward and backward pass with the library and returns every quantity the lecture names. */
export function runLecture(p: LectureParams = lectureParams): LectureResult {
  const opts = { dtype: 'float64' as const };
  const x = tensor([p.x], opts);
  const w1 = tensor(p.w1, { ...opts, requiresGrad: true });
  const b1 = tensor(p.b1, { ...opts, requiresGrad: true });
  const w2 = tensor(p.w2, { ...opts, requiresGrad: true });
  const b2 = tensor(p.b2, { ...opts, requiresGrad: true });
  const target = tensor([p.target], { dtype: 'int32' });

  const forward = (W1: Tensor, B1: Tensor, W2: Tensor, B2: Tensor) => {
    // z = W·a + b, with each weight row holding one neuron's incoming weights (PyTorch layout)
    const z1 = x.matmul(W1.T).add(B1);
    const a1 = z1.sigmoid();
    const z2 = a1.matmul(W2.T).add(B2);
    const cost = nn.functional.crossEntropy(z2, target);
    return { z1, a1, z2, cost };
  };

  const { z1, a1, z2, cost } = forward(w1, b1, w2, b2);
  z1.retainGrad();
  z2.retainGrad();
  cost.backward();

  const row = (t: Tensor): number[] => Array.from(t.data);
  const mat = (t: Tensor): number[][] => t.toArray() as number[][];
  const check = gradcheck((W1, B1, W2, B2) => forward(W1!, B1!, W2!, B2!).cost, [w1, b1, w2, b2]);
  return {
    z1: row(z1), a1: row(a1), z2: row(z2), a2: row(z2.softmax()), cost: cost.item(),
    dCdz2: row(z2.grad!), dCdz1: row(z1.grad!),
    sigmaPrime1: row(a1).map((a) => a * (1 - a)),
    dCdw1: mat(w1.grad!), dCdb1: row(b1.grad!), dCdw2: mat(w2.grad!), dCdb2: row(b2.grad!),
    gradcheckMaxAbsError: Math.max(...check.inputs.map((r) => r.maxAbsError)),
  };
}

function main(): void {
  const p = lectureParams;
  const r = runLecture(p);
  const f = (v: number): string => v.toFixed(4).padStart(8);
  console.log('Forward pass (∂z/∂w is the input reaching w, cached as the network runs)');
  for (let j = 0; j < 2; j++) {
    console.log(`  hidden neuron ${j + 1}: z = ${f(r.z1[j]!)}   a = σ(z) = ${f(r.a1[j]!)}   (∂z/∂w = input x = ${p.x.join(', ')})`);
  }
  for (let j = 0; j < 2; j++) {
    console.log(`  output neuron ${j + 1}: z = ${f(r.z2[j]!)}   softmax = ${f(r.a2[j]!)}   (∂z/∂w = hidden a = ${r.a1.map((a) => a.toFixed(4)).join(', ')})`);
  }
  console.log(`  cost C = cross-entropy(target class ${p.target}) = ${r.cost.toFixed(6)}`);
  console.log('\nBackward pass: ∂C/∂z, output layer first, then hidden layer (σ\'(z) amplifies)');
  for (let j = 0; j < 2; j++) console.log(`  output neuron ${j + 1}: ∂C/∂z = softmax − onehot = ${f(r.dCdz2[j]!)}`);
  for (let j = 0; j < 2; j++) {
    console.log(`  hidden neuron ${j + 1}: σ'(z) = ${f(r.sigmaPrime1[j]!)}   ∂C/∂z = σ'(z) · Σ w·∂C/∂z_next = ${f(r.dCdz1[j]!)}`);
  }
  console.log('\n∂C/∂w = a · ∂C/∂z');
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < 2; i++) {
      console.log(`  hidden w[${j + 1}][${i + 1}]: a = ${f(p.x[i]!)} × ∂C/∂z = ${f(r.dCdz1[j]!)}  →  ${f(r.dCdw1[j]![i]!)}`);
    }
    console.log(`  hidden b[${j + 1}]:    a = ${f(1)} × ∂C/∂z = ${f(r.dCdz1[j]!)}  →  ${f(r.dCdb1[j]!)}`);
  }
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < 2; i++) {
      console.log(`  output w[${j + 1}][${i + 1}]: a = ${f(r.a1[i]!)} × ∂C/∂z = ${f(r.dCdz2[j]!)}  →  ${f(r.dCdw2[j]![i]!)}`);
    }
  }
  console.log(`\ngradcheck (float64 central differences vs backprop): max abs error ${r.gradcheckMaxAbsError.toExponential(2)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
