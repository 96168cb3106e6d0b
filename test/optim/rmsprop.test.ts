import { test } from 'node:test';
import { RMSprop } from '../../src/optim/index.js';
import { assertClose, param, setGrad } from './helpers.js';

const sq = Math.sqrt;

test('RMSprop: running average of squared gradients, eps after the root', () => {
  const p = param([1, -2]);
  const opt = new RMSprop([p], { lr: 0.01, alpha: 0.9 });
  setGrad(p, [0.5, 1]);
  opt.step();
  const v1 = [0.1 * 0.25, 0.1 * 1];
  const p1 = [1 - (0.01 * 0.5) / (sq(v1[0]!) + 1e-8), -2 - (0.01 * 1) / (sq(v1[1]!) + 1e-8)];
  assertClose(p.data, p1);
  setGrad(p, [-1, 2]);
  opt.step();
  const v2 = [0.9 * v1[0]! + 0.1 * 1, 0.9 * v1[1]! + 0.1 * 4];
  assertClose(p.data, [p1[0]! + (0.01 * 1) / (sq(v2[0]!) + 1e-8), p1[1]! - (0.01 * 2) / (sq(v2[1]!) + 1e-8)]);
});

test('RMSprop centered with momentum and weight decay', () => {
  const p = param([1, -2]);
  const opt = new RMSprop([p], { lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5, weightDecay: 0.1 });
  setGrad(p, [0.5, 1]);
  opt.step();
  const g1 = [0.5 + 0.1 * 1, 1 + 0.1 * -2]; // [0.6, 0.8]
  const v1 = g1.map((g) => 0.1 * g * g);
  const a1 = g1.map((g) => 0.1 * g);
  const b1 = [0, 1].map((i) => g1[i]! / (sq(v1[i]! - a1[i]! ** 2) + 1e-8));
  const p1 = [1 - 0.01 * b1[0]!, -2 - 0.01 * b1[1]!];
  assertClose(p.data, p1);
  setGrad(p, [-1, 2]);
  opt.step();
  const g2 = [-1 + 0.1 * p1[0]!, 2 + 0.1 * p1[1]!];
  const v2 = [0, 1].map((i) => 0.9 * v1[i]! + 0.1 * g2[i]! ** 2);
  const a2 = [0, 1].map((i) => 0.9 * a1[i]! + 0.1 * g2[i]!);
  const b2 = [0, 1].map((i) => 0.5 * b1[i]! + g2[i]! / (sq(v2[i]! - a2[i]! ** 2) + 1e-8));
  assertClose(p.data, [p1[0]! - 0.01 * b2[0]!, p1[1]! - 0.01 * b2[1]!]);
});
