/// <reference types="@webgpu/types" />
/**
 * Finding a WebGPU implementation, an adapter and a device: `navigator.gpu` in browsers (and in
 * any runtime that has it), else the optional `webgpu` npm package (Dawn) in Node, imported only
 * here, when the webgpu device is asked for. Every failure is a DeviceError that says what to do.
 */
import { DeviceError } from '../../errors.js';

/**
 * What the webgpu backend found: the adapter's identity and the limits it runs with.
 * @example (await WebGpuBackend.create()).info.maxStorageBufferBindingSize
 */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** where the implementation came from: the page's navigator.gpu, or Dawn through the webgpu package */
  source: 'navigator.gpu' | 'webgpu package';
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  features: string[];
}

/** @internal the device and where it came from */
export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: WebGpuAdapterInfo;
  /** the GPU object (Dawn's instance in Node), kept so it outlives the device */
  gpu: GPU;
}

/** The webgpu package's exports that we use. */
interface DawnModule {
  create(flags: string[]): GPU;
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Linux without a Vulkan loader or driver: what makes Dawn find no adapter, and the fix. */
const NODE_DRIVER_HINT =
  'Dawn needs a Vulkan driver. On Linux without a GPU install Chromium and point Vulkan at its software ' +
  'driver (SwiftShader): LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json ' +
  '(or install libvulkan1 and a driver such as mesa-vulkan-drivers); with an NVIDIA GPU install its Vulkan ICD';

async function findGpu(): Promise<{ gpu: GPU; source: WebGpuAdapterInfo['source'] }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator.gpu' };
  if (!isNode()) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    throw new DeviceError(
      'initDevice(\'webgpu\'): this browser has no navigator.gpu' +
      (secure === false ? ' because the page is not a secure context: serve it over https:// or from http://localhost' :
        ': use a browser with WebGPU (Chrome/Edge 113+, Safari 26+, Firefox 141+) or the cpu device'));
  }
  let dawn: DawnModule;
  try {
    // a variable specifier keeps bundlers and tsc from resolving the optional package
    const name = 'webgpu';
    dawn = await import(name) as DawnModule;
  } catch (e) {
    throw new DeviceError(
      `initDevice('webgpu'): the optional 'webgpu' package (Dawn for Node) could not be loaded (${(e as Error).message}); ` +
      'install it with `npm install webgpu`, or use the cpu device');
  }
  return { gpu: dawn.create([]), source: 'webgpu package' };
}

/**
 * @internal
 * An adapter and a device with the adapter's largest buffer and workgroup limits.
 * @example const { device, info } = await acquireDevice(); info.vendor // 'google'
 */
export async function acquireDevice(powerPreference: GPUPowerPreference = 'high-performance'): Promise<AcquiredDevice> {
  const { gpu, source } = await findGpu();
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) {
    throw new DeviceError(
      `initDevice('webgpu'): ${source === 'webgpu package' ? 'Dawn (the webgpu package)' : source} found no GPU adapter. ` +
      (source === 'webgpu package' ? NODE_DRIVER_HINT : 'WebGPU may be disabled or blocklisted for this GPU (see chrome://gpu), or use the cpu device'));
  }
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (e) {
    throw new DeviceError(`initDevice('webgpu'): the adapter refused a device: ${(e as Error).message}`);
  }
  const ai = adapter.info ?? ({} as GPUAdapterInfo);
  const info: WebGpuAdapterInfo = {
    vendor: ai.vendor ?? '', architecture: ai.architecture ?? '', device: ai.device ?? '', description: ai.description ?? '',
    source,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
    maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    features: [...adapter.features].map(String).sort(),
  };
  return { device, adapter, info, gpu };
}
