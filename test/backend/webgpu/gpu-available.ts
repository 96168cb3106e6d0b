/**
 * The one place Node tests get a WebGPU backend: Dawn on SwiftShader (or the configured Vulkan
 * driver). Without an adapter the tests skip, saying why, except under CI=true, where the
 * missing adapter is itself a failure.
 */
import { WebGpuBackend } from '../../../src/backend/webgpu/index.js';
import { useSwiftShader } from './swiftshader.js';

export interface NodeGpu {
  gpu: WebGpuBackend | null;
  /** why there is no gpu (a skip message), or '' */
  skip: string;
  /** what the tests run on, for their names */
  driver: string;
}

let cached: Promise<NodeGpu> | null = null;

export function nodeGpu(): Promise<NodeGpu> {
  cached ??= (async () => {
    const driver = useSwiftShader();
    try {
      const gpu = await WebGpuBackend.create();
      return { gpu, skip: '', driver: `${gpu.info.vendor} ${gpu.info.architecture} via ${driver}` };
    } catch (e) {
      const why = `no WebGPU adapter in Node (${driver}): ${(e as Error).message}`;
      if (process.env['CI'] === 'true') throw new Error(`CI requires WebGPU: ${why}`);
      return { gpu: null, skip: why, driver };
    }
  })();
  return cached;
}
