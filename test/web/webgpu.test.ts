/**
 * WebGPU in headless Chromium (SwiftShader without a GPU): the kernel conformance cases, each
 * reported as its own subtest. Skips, saying why, without Chromium or an adapter, except under
 * CI=true, where that fails.
 */
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromiumSuite } from './harness/chromium.js';

const entry = fileURLToPath(new URL('../backend/webgpu/browser-conformance.js', import.meta.url));

test('webgpu kernel conformance in Chromium', { timeout: 900_000 }, chromiumSuite(entry, 'the WebGPU conformance cases'));

const opsEntry = fileURLToPath(new URL('./webgpu-ops-entry.js', import.meta.url));
test('op suite on webgpu against the CPU in Chromium', { timeout: 900_000 }, chromiumSuite(opsEntry, 'the op suite on webgpu'));
