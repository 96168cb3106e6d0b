/**
 * Browser entry: training on webgpu (losses against the CPU, run-to-run determinism) and the
 * 5,000-step no-dispose memory loop, in the page.
 */
import { initDevice } from '../../src/browser.js';
import { trainingDeviceCases } from '../train/webgpu-cases.js';
import { runInPage } from './harness/page.js';

await runInPage(async () => (await initDevice('webgpu')).description, () => trainingDeviceCases(5000));
