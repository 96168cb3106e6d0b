import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, manualSeed, zeros, ShapeError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { meanStd } from './helpers.js';

const gen = (): { generator: Generator } => ({ generator: new Generator(21) });
const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('calculateGain and fans follow PyTorch', () => {
  near(nn.init.calculateGain('relu'), Math.SQRT2, 1e-15, 'relu');
  near(nn.init.calculateGain('tanh'), 5 / 3, 1e-15, 'tanh');
  near(nn.init.calculateGain('leakyRelu', Math.sqrt(5)), Math.sqrt(1 / 3), 1e-15, 'leaky √5');
  near(nn.init.calculateGain('leaky_relu'), Math.sqrt(2 / 1.0001), 1e-15, 'leaky default');
  assert.equal(nn.init.calculateGain('sigmoid'), 1);
  assert.deepEqual(nn.init.fans(zeros([16, 3, 5, 5])), { fanIn: 75, fanOut: 400 });
  assert.throws(() => nn.init.fans(zeros([7])), ShapeError);
});

test('uniform initializers stay in bounds and have the uniform variance', () => {
  const cases: [string, (t: ReturnType<typeof zeros>) => unknown, number][] = [
    ['uniform', (t) => nn.init.uniform(t, -0.3, 0.3, gen()), 0.3],
    ['xavierUniform', (t) => nn.init.xavierUniform(t, { gain: 2, ...gen() }), 2 * Math.sqrt(6 / (200 + 300))],
    ['kaimingUniform', (t) => nn.init.kaimingUniform(t, gen()), Math.SQRT2 * Math.sqrt(3 / 300)],
    ['kaimingUniform fanOut relu', (t) => nn.init.kaimingUniform(t, { mode: 'fanOut', nonlinearity: 'relu', ...gen() }), Math.SQRT2 * Math.sqrt(3 / 200)],
  ];
  for (const [name, init, bound] of cases) {
    const t = zeros([200, 300]);
    init(t);
    const s = meanStd(t.data);
    assert.ok(s.min >= -bound && s.max <= bound, `${name} within ±${bound}`);
    near(s.max, bound, bound * 0.01, `${name} max`);
    near(s.mean, 0, bound * 0.01, `${name} mean`);
    near(s.std, bound / Math.sqrt(3), bound * 0.01, `${name} std`);
  }
});

test('normal initializers have the right mean and std', () => {
  const cases: [string, (t: ReturnType<typeof zeros>) => unknown, number, number][] = [
    ['normal', (t) => nn.init.normal(t, 1.5, 0.2, gen()), 1.5, 0.2],
    ['xavierNormal', (t) => nn.init.xavierNormal(t, gen()), 0, Math.sqrt(2 / 500)],
    ['kaimingNormal', (t) => nn.init.kaimingNormal(t, { nonlinearity: 'relu', ...gen() }), 0, Math.SQRT2 / Math.sqrt(300)],
  ];
  for (const [name, init, mean, std] of cases) {
    const t = zeros([200, 300]);
    init(t);
    const s = meanStd(t.data);
    near(s.mean, mean, std * 0.02, `${name} mean`);
    near(s.std, std, std * 0.02, `${name} std`);
  }
  const t = nn.init.truncNormal(zeros([10000]), 0, 1, -1, 1.5, gen());
  const s = meanStd(t.data);
  assert.ok(s.min >= -1 && s.max <= 1.5 && s.min < -0.99 && s.max > 1.49);
  assert.deepEqual(Array.from(nn.init.constant(zeros([3]), 2.5).data), [2.5, 2.5, 2.5]);
  assert.deepEqual(Array.from(nn.init.ones(zeros([2])).data), [1, 1]);
});

test('initializers draw from the default generator, so manualSeed reproduces them', () => {
  manualSeed(3);
  const a = nn.init.kaimingNormal(zeros([4, 4]));
  manualSeed(3);
  const b = nn.init.kaimingNormal(zeros([4, 4]));
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.notDeepEqual(Array.from(nn.init.kaimingNormal(zeros([4, 4])).data), Array.from(a.data));
});
