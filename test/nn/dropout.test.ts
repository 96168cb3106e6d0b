import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, manualSeed, ones, gradcheck, randn, ValueError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';

test('Dropout in train mode zeroes about p of the values and scales the rest by 1/(1−p)', () => {
  const d = new nn.Dropout(0.3, { generator: new Generator(1) });
  const y = d.forward(ones([20000]));
  let zeros = 0, sum = 0;
  for (const v of y.data) {
    if (v === 0) zeros++;
    else assert.ok(Math.abs(v - 1 / 0.7) < 1e-6);
    sum += v;
  }
  assert.ok(Math.abs(zeros / 20000 - 0.3) < 0.015, `dropped fraction ${zeros / 20000}`);
  assert.ok(Math.abs(sum / 20000 - 1) < 0.03, 'expectation preserved');
});

test('Dropout is the identity in eval mode and for p = 0; p = 1 drops everything', () => {
  const x = randn([50]);
  const d = new nn.Dropout(0.5);
  d.eval();
  assert.equal(d.forward(x), x);
  assert.equal(nn.F.dropout(x, 0.5, { training: false }), x);
  assert.equal(nn.F.dropout(x, 0), x);
  assert.ok(Array.from(nn.F.dropout(x, 1).data).every((v) => v === 0));
  assert.throws(() => new nn.Dropout(1.5), ValueError);
  assert.throws(() => nn.F.dropout(x, -0.1), /dropout: probability p must be in \[0, 1\], got -0.1/);
});

test('Dropout masks are reproducible from the seed', () => {
  const x = ones([64]);
  manualSeed(9);
  const a = new nn.Dropout(0.5).forward(x);
  manualSeed(9);
  const b = new nn.Dropout(0.5).forward(x);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  const c = nn.F.dropout(x, 0.5, { generator: new Generator(2) });
  const e = nn.F.dropout(x, 0.5, { generator: new Generator(2) });
  assert.deepEqual(Array.from(c.data), Array.from(e.data));
  assert.notDeepEqual(Array.from(a.data), Array.from(c.data));
});

test('gradcheck: Dropout (fixed mask per call)', () => {
  // a fresh generator with one seed per call gives the same mask every evaluation
  assert.equal(gradcheck((x) => nn.F.dropout(x!, 0.4, { generator: new Generator(3) }), [randn([3, 4])]).passed, true);
});
