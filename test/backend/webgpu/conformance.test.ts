/**
 * The WebGPU kernel conformance cases (cases.ts) in Node, through Dawn: the smoke subset, as the
 * full set runs in headless Chromium (test/web/webgpu.test.ts) and takes a minute on SwiftShader.
 * BACKPROP_WEBGPU_NODE=all runs every case here too.
 */
import { describe, it, after } from 'node:test';
import { conformanceCases } from './cases.js';
import { nodeGpu } from './gpu-available.js';

const env = await nodeGpu();
if (env.skip) console.warn(`SKIPPED test/backend/webgpu/conformance.test.ts: ${env.skip}`);
const only = process.env['BACKPROP_WEBGPU_NODE'] === 'all' ? 'all' : 'smoke';

describe(`webgpu kernels in Node (${env.driver})`, { skip: env.skip || false }, () => {
  after(() => env.gpu?.runtime.destroy());
  for (const c of conformanceCases(only)) it(c.name, () => c.run(env.gpu!));
});
