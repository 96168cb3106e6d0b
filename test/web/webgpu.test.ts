/**
 * WebGPU in headless Chromium (SwiftShader without a GPU), each browser-side case reported as
 * its own subtest: the kernel conformance suites, the op and layer suites against the CPU, and
 * training (including 5,000 steps without dispose). Skips, saying why, without Chromium or an
 * adapter, except under CI=true, where that fails.
 */
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromiumSuite } from './harness/chromium.js';

const entry = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const opts = { timeout: 900_000 };

test('webgpu kernel conformance in Chromium', opts, chromiumSuite(entry('../backend/webgpu/browser-conformance.js'), 'the WebGPU conformance cases'));
test('op and layer suites on webgpu against the CPU in Chromium', opts, chromiumSuite(entry('./webgpu-ops-entry.js'), 'the op and layer suites on webgpu'));
test('training on webgpu in Chromium', opts, chromiumSuite(entry('./webgpu-train-entry.js'), 'the webgpu training tests'));
