import { test } from 'node:test';
import { Adagrad } from '../../src/optim/index.js';
import { assertClose, param, setGrad } from './helpers.js';

const sq = Math.sqrt;

test('Adagrad with lr decay and an initial accumulator', () => {
  const p = param([1, -2]);
  const opt = new Adagrad([p], { lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 0.1 });
  setGrad(p, [0.5, 1]);
  opt.step();
  // step 1: clr = 0.1; sum = 0.1 + g²
  const s1 = [0.1 + 0.25, 0.1 + 1];
  const p1 = [1 - (0.1 * 0.5) / (sq(s1[0]!) + 1e-10), -2 - (0.1 * 1) / (sq(s1[1]!) + 1e-10)];
  assertClose(p.data, p1);
  setGrad(p, [-1, 2]);
  opt.step();
  // step 2: clr = 0.1 / (1 + 1·0.5)
  const clr = 0.1 / 1.5;
  const s2 = [s1[0]! + 1, s1[1]! + 4];
  assertClose(p.data, [p1[0]! + (clr * 1) / (sq(s2[0]!) + 1e-10), p1[1]! - (clr * 2) / (sq(s2[1]!) + 1e-10)]);
});

test('Adagrad weight decay adds λθ to the gradient', () => {
  const p = param([1, -2]);
  const opt = new Adagrad([p], { lr: 0.1, weightDecay: 0.5 });
  setGrad(p, [0.5, 1]);
  opt.step();
  // g = [1, 0]: the second coordinate gets a zero gradient and stays put
  assertClose(p.data, [1 - (0.1 * 1) / (1 + 1e-10), -2]);
  setGrad(p, [0, 0]);
  opt.step();
  const g = [0.5 * (1 - 0.1 / (1 + 1e-10)), 0.5 * -2];
  const s = [1 + g[0]! ** 2, g[1]! ** 2];
  const p1 = 1 - 0.1 / (1 + 1e-10);
  assertClose(p.data, [p1 - (0.1 * g[0]!) / (sq(s[0]!) + 1e-10), -2 - (0.1 * g[1]!) / (sq(s[1]!) + 1e-10)]);
});
