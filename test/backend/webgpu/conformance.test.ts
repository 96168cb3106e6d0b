/**
 * Kernel conformance of the WebGPU backend in Node, through Dawn: one case per kernel from the
 * shared suite and the smoke subset of the WebGPU cases. The full sets run in headless Chromium
 * (test/web/webgpu.test.ts): on SwiftShader every new pipeline costs a shader compile (~0.1 s),
 * so all of them take minutes. BACKPROP_WEBGPU_NODE=all runs every case here too.
 */
import { describe, it, after } from 'node:test';
import type { Backend } from '../../../src/backend/backend.js';
import { applies, checkCase, conformanceCases as sharedCases } from '../conformance-cases.js';
import { conformanceCases } from './cases.js';
import { nodeGpu } from './gpu-available.js';

const env = await nodeGpu();
if (env.skip) console.warn(`SKIPPED test/backend/webgpu/conformance.test.ts: ${env.skip}`);
const all = process.env['BACKPROP_WEBGPU_NODE'] === 'all';

describe(`webgpu kernels in Node (${env.driver})`, { skip: env.skip || false }, () => {
  after(() => env.gpu?.runtime.destroy());
  const b = (): Backend => env.gpu! as unknown as Backend;
  it(`shared conformance suite (${all ? 'every case' : 'one case per kernel'})`, async () => {
    const failures: string[] = [];
    const seen = new Set<string>();
    let ran = 0;
    for (const c of sharedCases()) {
      if (!applies(c, b())) continue;
      if (!all && (seen.has(c.kernel) || c.elements < 7 || c.elements > 5000)) continue;
      seen.add(c.kernel);
      ran++;
      const msg = await checkCase(c, b());
      if (msg !== null) failures.push(msg);
    }
    if (ran < (all ? 300 : 20)) failures.push(`only ${ran} cases ran`);
    if (failures.length > 0) throw new Error(failures.join('\n'));
  });
  for (const c of conformanceCases(all ? 'all' : 'smoke')) it(c.name, () => c.run(env.gpu!));
});
