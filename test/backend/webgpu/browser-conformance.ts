/**
 * Browser entry: the shared kernel conformance suite (test/backend/conformance-cases.ts) and the
 * WebGPU-specific cases (cases.ts) on the page's navigator.gpu. test/web/webgpu.test.ts bundles
 * this and runs it in headless Chromium.
 */
import { WebGpuBackend } from '../../../src/backend/webgpu/index.js';
import type { Backend } from '../../../src/backend/backend.js';
import { runInPage } from '../../web/harness/page.js';
import { applies, checkCase, conformanceCases as sharedCases } from '../conformance-cases.js';
import { conformanceCases } from './cases.js';

let gpu: WebGpuBackend | null = null;

await runInPage(async () => {
  gpu = await WebGpuBackend.create();
  const i = gpu.info;
  return `${i.vendor} ${i.architecture} ${i.description}`.trim();
}, () => {
  const b = gpu! as unknown as Backend;
  const shared = sharedCases().filter((c) => applies(c, b)).map((c) => ({
    name: `shared: ${c.name}`,
    run: async () => { const msg = await checkCase(c, b); if (msg !== null) throw new Error(msg); },
  }));
  return [...shared, ...conformanceCases('all').map((c) => ({ name: c.name, run: () => c.run(gpu!) }))];
});
