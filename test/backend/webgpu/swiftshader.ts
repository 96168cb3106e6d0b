/**
 * Node tests run Dawn on Chromium's SwiftShader (a software Vulkan driver) when no Vulkan driver
 * is configured, so they need no GPU. Dawn opens `libvulkan.so.1` by name and Debian's chromium
 * ships its own copy outside the library path; loading that copy first (kept resident with
 * RTLD_NODELETE; the "did not self-register" error is expected, it is no Node addon) lets
 * Dawn's open find it. Users set LD_LIBRARY_PATH=/usr/lib/chromium instead.
 */
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/lib/chromium';
const RTLD_NOW = 2, RTLD_GLOBAL = 0x100, RTLD_NODELETE = 0x1000;

function preload(path: string): boolean {
  try {
    process.dlopen({ exports: {} }, path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    return true;
  } catch (e) {
    return !/cannot open shared object file/.test((e as Error).message);
  }
}

/** Points Vulkan at SwiftShader unless VK_ICD_FILENAMES is set; returns what it did, for skip messages. */
export function useSwiftShader(): string {
  if (process.platform !== 'linux') return 'not linux: using the system driver';
  if (process.env['VK_ICD_FILENAMES']) return `VK_ICD_FILENAMES=${process.env['VK_ICD_FILENAMES']}`;
  const icd = `${CHROMIUM}/vk_swiftshader_icd.json`;
  if (!existsSync(icd)) return `${icd} not found (apt-get install chromium for SwiftShader)`;
  process.env['VK_ICD_FILENAMES'] = icd;
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  if (!preload('libvulkan.so.1')) preload(`${CHROMIUM}/libvulkan.so.1`);
  return `SwiftShader (${icd})`;
}
