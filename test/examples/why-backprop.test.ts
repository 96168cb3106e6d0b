import test from 'node:test';
import assert from 'node:assert/strict';
import { measure } from '../../examples/why-backprop.js';

test('why-backprop: measures forward, backprop and finite differences for one network', () => {
  const r = measure(8, 8, 16, 200);
  assert.equal(r.params, 8 * 8 + 8 + 10 * 8 + 10);
  assert.equal(r.fdSampled, false);
  assert.ok(r.forwardMs > 0 && r.backpropMs > 0 && r.fdMs > 0);
  // no timing claim here (speed belongs to the benchmark harness): only that the ratios are consistent
  assert.ok(Math.abs(r.speedup - r.fdMs / r.backpropMs) < 1e-9);
  assert.ok(Math.abs(r.backpropOverForward - r.backpropMs / r.forwardMs) < 1e-9);
});
