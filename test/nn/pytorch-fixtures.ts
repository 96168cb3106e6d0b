import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/tensor/tensor.js';

/**
 * Fixtures computed by PyTorch (test/fixtures/make_pytorch_fixtures.py): each case holds the
 * inputs, the state dict, the outputs, the seeds g_i and the gradients of Σ_i sum(out_i · g_i).
 */

interface EncodedTensor {
  dtype: 'float64' | 'int32';
  shape: number[];
  base64?: string;
  data?: number[];
}

export interface FixtureCase {
  kind: string;
  config: Record<string, unknown> & { name: string };
  inputs: Record<string, EncodedTensor>;
  outputs: EncodedTensor[];
  seeds?: EncodedTensor[];
  inputGrads?: Record<string, EncodedTensor>;
  stateDict?: Record<string, EncodedTensor>;
  paramGrads?: Record<string, EncodedTensor>;
  training?: boolean;
  /** float inputs that PyTorch did not differentiate (their gradient is knowingly not compared) */
  constants?: string[];
}

// build/test/nn/*.js → repo root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

export function loadFixtures(file: string): FixtureCase[] {
  const parsed = JSON.parse(readFileSync(join(root, 'test', 'fixtures', file), 'utf8')) as { cases: FixtureCase[] };
  return parsed.cases;
}

export function decode(e: EncodedTensor): Tensor {
  if (e.dtype === 'int32') return Tensor.fromRaw(Int32Array.from(e.data!), e.shape);
  const bytes = Uint8Array.from(Buffer.from(e.base64!, 'base64'));
  return Tensor.fromRaw(new Float64Array(bytes.buffer), e.shape);
}

export function decodeAll(m: Record<string, EncodedTensor> | undefined): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = decode(v);
  return out;
}

/** The largest |a − e| / max(1, |e|) over two same-shape tensors (Infinity on a shape mismatch or a NaN). */
export function maxScaledDiff(actual: Tensor, expected: Tensor): number {
  if (actual.shape.join() !== expected.shape.join()) return Infinity;
  let worst = 0;
  const a = actual.data, e = expected.data;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - e[i]!) / Math.max(1, Math.abs(e[i]!));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}
