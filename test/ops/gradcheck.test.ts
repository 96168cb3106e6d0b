import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, gradcheck, opTable, randn, type OpName, type Tensor } from '../../src/index.js';
import { cases, composites } from './gradcheck-cases.js';

/** One gradcheck per case of the shared table (test/ops/gradcheck-cases.ts). */
for (const name of Object.keys(opTable) as OpName[]) {
  test(`gradcheck: ${name}`, () => {
    const list = cases[name];
    assert.ok(list.length > 0, `no gradcheck case for ${name}`);
    for (const c of list) {
      const res = gradcheck(c.fn, c.inputs(), c.opts);
      assert.equal(res.passed, true);
    }
  });
}

for (const [name, c] of Object.entries(composites)) {
  test(`gradcheck (composite): ${name}`, () => {
    assert.equal(gradcheck(c.fn, c.inputs()).passed, true);
  });
}

test('gradcheck reports a wrong rule', () => {
  const f64 = { dtype: 'float64' as const, generator: new Generator(7) };
  // a function whose graph lies: forward x², backward sees only x (detached factor)
  const bad = (x: Tensor): Tensor => x.mul(x.detach()).sum();
  const res = gradcheck(bad, [randn([3], f64)], { raiseOnFailure: false });
  assert.equal(res.passed, false);
  assert.ok(res.inputs[0]!.maxAbsError > 1e-3);
  assert.throws(() => gradcheck(bad, [randn([3], f64)]), /gradcheck: backprop disagrees/);
});
