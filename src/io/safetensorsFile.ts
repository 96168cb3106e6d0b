import { readFileSync } from 'node:fs';
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
