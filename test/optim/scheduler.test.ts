import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CosineAnnealingLR, LinearWarmup, ReduceLROnPlateau, SGD, SequentialLR, StepLR, type LRScheduler } from '../../src/optim/index.js';
import { ValueError } from '../../src/errors.js';
import { assertClose, param } from './helpers.js';

function lrs(sched: LRScheduler, steps: number): number[] {
  const out = [sched.getLastLr()[0]!];
  for (let i = 0; i < steps; i++) {
    sched.step();
    out.push(sched.getLastLr()[0]!);
  }
  return out;
}

test('StepLR halves every 2 steps', () => {
  const opt = new SGD([param([1])], { lr: 1 });
  const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
  assertClose(lrs(s, 5), [1, 1, 0.5, 0.5, 0.25, 0.25]);
  assert.equal(opt.paramGroups[0]!.lr, 0.25);
});

test('CosineAnnealingLR follows half a cosine from base to etaMin', () => {
  const opt = new SGD([param([1])], { lr: 1 });
  const s = new CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.1 });
  const c = (t: number): number => 0.1 + (0.9 * (1 + Math.cos((Math.PI * t) / 4))) / 2;
  assertClose(lrs(s, 4), [1, c(1), 0.55, c(3), 0.1]);
  assertClose([c(1), c(3)], [0.1 + 0.45 * (1 + Math.SQRT1_2), 0.1 + 0.45 * (1 - Math.SQRT1_2)]);
});

test('LinearWarmup rises linearly from startFactor to 1 and stays', () => {
  const opt = new SGD([{ params: [param([1])] }, { params: [param([1])], lr: 1 }], { lr: 0.5 });
  const s = new LinearWarmup(opt, { warmupSteps: 4, startFactor: 0.2 });
  assertClose(lrs(s, 5), [0.1, 0.2, 0.3, 0.4, 0.5, 0.5]);
  assertClose(s.getLastLr(), [0.5, 1]);
});

test('SequentialLR: linear warmup for 2 steps, then cosine counted from 0', () => {
  const opt = new SGD([param([1])], { lr: 1 });
  const warm = new LinearWarmup(opt, { warmupSteps: 2, startFactor: 0.5 });
  const cos = new CosineAnnealingLR(opt, { tMax: 2 });
  const s = new SequentialLR(opt, { schedulers: [warm, cos], milestones: [2] });
  // warmup 0.5, 0.75; then cosine from the untouched base 1: 1, 0.5, 0; both use base lr 1
  assertClose(lrs(s, 4), [0.5, 0.75, 1, 0.5, 0]);
  assert.equal(opt.paramGroups[0]!.lr, 0);
  assert.throws(() => new SequentialLR(opt, { schedulers: [warm, cos], milestones: [] }), ValueError);
  assert.throws(() => new SequentialLR(opt, { schedulers: [warm, cos, cos], milestones: [3, 2] }), /increasing/);
  const other = new SGD([param([1])], { lr: 1 });
  assert.throws(() => new SequentialLR(other, { schedulers: [new StepLR(other, { stepSize: 1 }), cos], milestones: [1] }), /different optimizer/);
});

test('scheduler state round trip resumes the same lr sequence', () => {
  const opt = new SGD([param([1])], { lr: 1 });
  const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
  s.step();
  s.step();
  s.step();
  const sd = s.stateDict();
  const opt2 = new SGD([param([1])], { lr: 123 });
  const s2 = new StepLR(opt2, { stepSize: 2, gamma: 0.5 });
  s2.loadStateDict(sd);
  assert.equal(opt2.paramGroups[0]!.lr, 0.5);
  assertClose(lrs(s2, 3), lrs(s, 3));
});

test('ReduceLROnPlateau (min): patience, relative threshold and cooldown', () => {
  const opt = new SGD([param([1])], { lr: 1 });
  const s = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 2, cooldown: 1, threshold: 0.1 });
  const seen: number[] = [];
  // 9.5 is not an improvement over 10 with a 10% relative threshold
  for (const m of [10, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 1]) {
    s.step(m);
    seen.push(s.getLastLr()[0]!);
  }
  assertClose(seen, [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]);
  assert.equal(s.best, 1);
});

test('ReduceLROnPlateau (max) respects minLr', () => {
  const opt = new SGD([param([1])], { lr: 1 });
  const s = new ReduceLROnPlateau(opt, { mode: 'max', factor: 0.1, patience: 0, minLr: 0.05 });
  const seen: number[] = [];
  for (const m of [0.5, 0.5, 0.5, 0.5]) {
    s.step(m);
    seen.push(s.getLastLr()[0]!);
  }
  assertClose(seen, [1, 0.1, 0.05, 0.05]);
  const s2 = new ReduceLROnPlateau(opt, { mode: 'max', patience: 0 });
  s2.loadStateDict(s.stateDict());
  assert.equal(s2.best, 0.5);
  assert.throws(() => s.step(NaN), ValueError);
  assert.throws(() => new ReduceLROnPlateau(opt, { factor: 1 }), ValueError);
});
