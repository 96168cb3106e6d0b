/**
 * Browser entry: the op suite (test/ops/webgpu-cases.ts) and the layer suite
 * (test/nn/webgpu-cases.ts) on webgpu against the CPU, in the page.
 */
import { initDevice } from '../../src/browser.js';
import { opDeviceCases } from '../ops/webgpu-cases.js';
import { layerDeviceCases } from '../nn/webgpu-cases.js';
import { runInPage } from './harness/page.js';

await runInPage(async () => (await initDevice('webgpu')).description, () => [...opDeviceCases(), ...layerDeviceCases()]);
