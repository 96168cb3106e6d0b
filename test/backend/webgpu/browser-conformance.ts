/**
 * Browser entry: the WebGPU conformance cases on the page's navigator.gpu (test/web/webgpu.test.ts
 * bundles this and runs it in headless Chromium).
 */
import { WebGpuBackend } from '../../../src/backend/webgpu/index.js';
import { runInPage } from '../../web/harness/page.js';
import { conformanceCases } from './cases.js';

let gpu: WebGpuBackend | null = null;

await runInPage(async () => {
  gpu = await WebGpuBackend.create();
  const i = gpu.info;
  return `${i.vendor} ${i.architecture} ${i.description}`.trim();
}, () => conformanceCases('all').map((c) => ({ name: c.name, run: () => c.run(gpu!) })));
