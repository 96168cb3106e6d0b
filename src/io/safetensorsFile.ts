import { readFileSync } from 'node:fs';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsContent } from './safetensors.js';

/**
 * Saves tensors to a .safetensors file (written atomically).
 * @example saveSafetensors('model.safetensors', model.stateDict(), {arch: 'mlp-784-128-10'});
 */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/**
 * Loads a .safetensors file; a damaged file is a FormatError naming it.
 * @example const {tensors} = loadSafetensors('model.safetensors'); model.loadStateDict(tensors);
 */
export function loadSafetensors(path: string): SafetensorsContent {
  const buf = readFileSync(path);
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
