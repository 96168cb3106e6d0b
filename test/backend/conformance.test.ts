import test from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, listBackends, setBackend } from '../../src/index.js';
import { JsBackend } from '../../src/backend/js/index.js';
import type { Backend } from '../../src/backend/backend.js';
import { applies, checkCase, conformanceCases } from './conformance-cases.js';

/**
 * Every kernel of every CPU backend against the reference backend (the WebGPU backend runs the
 * same cases in headless Chromium, see test/webgpu). A backend that delegates a kernel to the
 * reference passes it trivially; one that overrides it must agree.
 */
async function conformance(b: Backend): Promise<void> {
  const failures: string[] = [];
  let ran = 0;
  for (const c of conformanceCases()) {
    if (!applies(c, b)) continue;
    ran++;
    const msg = await checkCase(c, b);
    if (msg !== null) failures.push(msg);
  }
  assert.ok(ran > 300, `only ${ran} cases ran`);
  assert.deepEqual(failures, []);
}

test('conformance: the reference backend agrees with itself, and the harness catches a wrong kernel', async () => {
  await conformance(new JsBackend());
  // a backend whose sigmoid is off by 1e-3 must fail
  const broken = new JsBackend();
  const unary = broken.unary;
  Object.assign(broken, {
    unary: (...args: Parameters<JsBackend['unary']>) => {
      unary(...args);
      if (args[0] === 'sigmoid') (args[2] as Float32Array)[0]! += 1e-3;
    },
  });
  const sigmoidCase = conformanceCases().find((c) => c.name === 'unary sigmoid n=7')!;
  assert.match((await checkCase(sigmoidCase, broken)) ?? '', /unary sigmoid n=7: output 0\[0\]/);
});

for (const name of listBackends().filter((n) => n !== 'js')) {
  test(`conformance: backend '${name}' agrees with the reference on every kernel`, async () => {
    const prev = getBackend();
    const b = setBackend(name);
    try {
      await conformance(b);
    } finally {
      setBackend(prev.name);
    }
  });
}
