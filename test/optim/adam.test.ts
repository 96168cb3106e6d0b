import { test } from 'node:test';
import { Adam, AdamW } from '../../src/optim/index.js';
import { assertClose, param, setGrad } from './helpers.js';

const sq = Math.sqrt;

test('Adam: two steps with bias correction', () => {
  const p = param([1, -2]);
  const opt = new Adam([p], { lr: 0.1 }); // betas 0.9, 0.999, eps 1e-8
  setGrad(p, [0.5, 1]);
  opt.step();
  // m1 = 0.1·g1, v1 = 0.001·g1²; m̂ = m1/(1−0.9), v̂ = v1/(1−0.999)
  const m1 = [0.05, 0.1];
  const v1 = [0.00025, 0.001];
  const p1 = [1 - (0.1 * (m1[0]! / 0.1)) / (sq(v1[0]! / 0.001) + 1e-8), -2 - (0.1 * (m1[1]! / 0.1)) / (sq(v1[1]! / 0.001) + 1e-8)];
  assertClose(p.data, p1);
  setGrad(p, [-1, 2]);
  opt.step();
  const m2 = [0.9 * m1[0]! + 0.1 * -1, 0.9 * m1[1]! + 0.1 * 2]; // [-0.055, 0.29]
  const v2 = [0.999 * v1[0]! + 0.001 * 1, 0.999 * v1[1]! + 0.001 * 4];
  const bc1 = 1 - 0.9 ** 2;
  const bc2 = 1 - 0.999 ** 2;
  const p2 = [0, 1].map((i) => p1[i]! - (0.1 * (m2[i]! / bc1)) / (sq(v2[i]! / bc2) + 1e-8));
  assertClose(p.data, p2);
});

test('Adam with amsgrad keeps the largest second moment', () => {
  const p = param([1, -2]);
  const q = param([1, -2]);
  const ams = new Adam([p], { lr: 0.1, betas: [0.5, 0.5], amsgrad: true });
  const plain = new Adam([q], { lr: 0.1, betas: [0.5, 0.5] });
  for (const g of [[1, 1], [0.1, 0.1]]) {
    setGrad(p, g);
    setGrad(q, g);
    ams.step();
    plain.step();
  }
  // step 1: m = 0.5, v = 0.5, m̂ = 1, v̂ = 1 → θ −= 0.1/(1 + 1e-8)
  const p1 = [1 - 0.1 / (1 + 1e-8), -2 - 0.1 / (1 + 1e-8)];
  // step 2: m = 0.5·0.5 + 0.5·0.1 = 0.3, v = 0.5·0.5 + 0.5·0.01 = 0.255, vmax = 0.5; bias corrections 0.75
  const amsStep = (0.1 * (0.3 / 0.75)) / (sq(0.5 / 0.75) + 1e-8);
  const plainStep = (0.1 * (0.3 / 0.75)) / (sq(0.255 / 0.75) + 1e-8);
  assertClose(p.data, [p1[0]! - amsStep, p1[1]! - amsStep]);
  assertClose(q.data, [p1[0]! - plainStep, p1[1]! - plainStep]);
});

test('Adam weight decay is an L2 term in the gradient', () => {
  const p = param([1, -2]);
  const opt = new Adam([p], { lr: 0.1, weightDecay: 0.1 });
  setGrad(p, [0.5, 1]);
  opt.step();
  // g = [0.5 + 0.1, 1 − 0.2] = [0.6, 0.8]; first Adam step moves by lr·g/(|g| + eps)
  const p1 = [1 - (0.1 * 0.6) / (0.6 + 1e-8), -2 - (0.1 * 0.8) / (0.8 + 1e-8)];
  assertClose(p.data, p1);
  setGrad(p, [-1, 2]);
  opt.step();
  const g2 = [-1 + 0.1 * p1[0]!, 2 + 0.1 * p1[1]!];
  const m2 = [0.9 * 0.1 * 0.6 + 0.1 * g2[0]!, 0.9 * 0.1 * 0.8 + 0.1 * g2[1]!];
  const v2 = [0.999 * 0.001 * 0.36 + 0.001 * g2[0]! ** 2, 0.999 * 0.001 * 0.64 + 0.001 * g2[1]! ** 2];
  const p2 = [0, 1].map((i) => p1[i]! - (0.1 * (m2[i]! / (1 - 0.81))) / (sq(v2[i]! / (1 - 0.999 ** 2)) + 1e-8));
  assertClose(p.data, p2);
});

test('AdamW decays the weights directly before the Adam step', () => {
  const p = param([1, -2]);
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.1 });
  setGrad(p, [0.5, 1]);
  opt.step();
  // θ ← θ·(1 − 0.1·0.1) = [0.99, −1.98], then the Adam step on the raw gradient
  const p1 = [0.99 - (0.1 * 0.5) / (0.5 + 1e-8), -1.98 - (0.1 * 1) / (1 + 1e-8)];
  assertClose(p.data, p1);
  setGrad(p, [-1, 2]);
  opt.step();
  const m2 = [0.9 * 0.05 + 0.1 * -1, 0.9 * 0.1 + 0.1 * 2];
  const v2 = [0.999 * 0.00025 + 0.001 * 1, 0.999 * 0.001 + 0.001 * 4];
  const p2 = [0, 1].map((i) => p1[i]! * 0.99 - (0.1 * (m2[i]! / (1 - 0.81))) / (sq(v2[i]! / (1 - 0.999 ** 2)) + 1e-8));
  assertClose(p.data, p2);
});
