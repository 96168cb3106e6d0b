/**
 * The device suites in Node through Dawn, shortened: a sample of the op and layer cases against
 * the CPU, the MLP training case, and a 500-step memory loop. All of them run in full in
 * headless Chromium (test/web/webgpu.test.ts). BACKPROP_WEBGPU_NODE=all runs every case here too,
 * with the 5,000-step memory loop (for a real GPU, where Node's Dawn is the driver to test).
 */
import { describe, it } from 'node:test';
import { initDevice } from '../../../src/index.js';
import { opDeviceCases } from '../../ops/webgpu-cases.js';
import { layerDeviceCases } from '../../nn/webgpu-cases.js';
import { trainingDeviceCases } from '../../train/webgpu-cases.js';
import { nodeGpu } from './gpu-available.js';

const env = await nodeGpu();
if (env.skip) console.warn(`SKIPPED test/backend/webgpu/device-suites.test.ts: ${env.skip}`);
else await initDevice('webgpu');

const all = process.env['BACKPROP_WEBGPU_NODE'] === 'all';
const pick = <T extends { name: string }>(cases: T[], names: RegExp): T[] => cases.filter((c) => all || names.test(c.name));

describe(`device suites on webgpu in Node (${env.driver})`, { skip: env.skip || false }, () => {
  const sample = [
    ...pick(opDeviceCases(), /^op (matmul #1|biasAct #1|crossEntropy #1|sum #2|indexSelect|im2col)$/),
    ...pick(layerDeviceCases(), /^layer (Linear|Conv2d stride 2, padding 1|MaxPool2d|LayerNorm|Embedding)$/),
    ...pick(trainingDeviceCases(all ? 5000 : 500), /^(MLP|500 training steps)/),
  ];
  for (const c of sample) {
    it(c.name, async (t) => {
      try {
        await c.run();
      } catch (e) {
        if (e instanceof Error && e.name === 'SkipCase') t.skip(e.message);
        else throw e;
      }
    });
  }
});
