import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsContent, type SafetensorsWriteOptions } from './safetensors.js';

/**
 * Saves tensors to a .safetensors file (written atomically). `{dtype: 'float16' | 'bfloat16'}`
 * stores the floating tensors in half precision, correctly rounded; int32 tensors stay I32.
 * @example
 * saveSafetensors('model.safetensors', model.stateDict(), { arch: 'mlp-784-128-10' });
 * saveSafetensors('model-f16.safetensors', model.stateDict(), {}, { dtype: 'float16' });
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}, options: SafetensorsWriteOptions = {}): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata, options));
}

/**
 * Loads a .safetensors file, e.g. a PyTorch state dict; a damaged file is a FormatError naming
 * it. Half-precision tensors load as float32, integer and bool tensors as int32 (see parseSafetensors).
 * @example
 * const { tensors } = loadSafetensors('model.safetensors');
 * model.loadStateDict(tensors);
 */
export function loadSafetensors(path: string): SafetensorsContent {
  const buf = readFileSync(path);
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/**
 * The `__metadata__` of a .safetensors file, read from its header alone (the tensors are not
 * loaded), or null where the file has no readable header or no metadata: a caller that goes on
 * to load the file gets loadSafetensors' error for a damaged one.
 * @example readSafetensorsMetadata('gpt.safetensors')?.['backprop.model'] // 'gpt:layers=4,...'
 */
export function readSafetensorsMetadata(path: string): Record<string, string> | null {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) return null;
    const view = new DataView(head.buffer);
    const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    // the format caps headers at 100 MB; a larger length is damage, not a header
    if (headerLen > 100_000_000) return null;
    const header = new Uint8Array(headerLen);
    if (readSync(fd, header, 0, headerLen, 8) !== headerLen) return null;
    const parsed: unknown = JSON.parse(new TextDecoder().decode(header));
    const md = (parsed as { __metadata__?: unknown } | null)?.__metadata__;
    if (md === null || typeof md !== 'object' || Array.isArray(md)) return null;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(md)) if (typeof v === 'string') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
