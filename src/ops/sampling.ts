import type { Device, TypedArray } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { DeviceError, DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

// Sampling draws random numbers on the host, one row at a time, so it reads its input there: CPU
// tensors synchronously; tensors on another device through the async variants, which wait for
// the readback and put the int32 result back on the input's device.

/** Options of multinomial. @example multinomial(w, 3, {replacement: true, generator: new Generator(1)}) */
export interface MultinomialOptions {
  /** draw with replacement (default false: each category at most once per row) */
  replacement?: boolean;
  /** the random stream (default: the global generator, see manualSeed) */
  generator?: Generator;
}

/** Options of sampleCategorical. @example sampleCategorical(logits, {temperature: 0.8, topK: 40}) */
export interface SampleCategoricalOptions {
  /** divides the logits; 0 picks the arg-max (greedy), default 1 */
  temperature?: number;
  /** sample among the k largest logits only (ties with the k-th are kept, as nanoGPT does) */
  topK?: number;
  /** the random stream (default: the global generator, see manualSeed) */
  generator?: Generator;
}

function hostData(op: string, x: Tensor): TypedArray {
  if (x.device !== 'cpu') {
    throw new DeviceError(`${op}: sampling runs on the host and this tensor lives on '${x.device}'; use await ${op}Async(...), which reads it back first`);
  }
  return x.data;
}

function onDevice(values: Int32Array, shape: readonly number[], device: Device): Tensor {
  return Tensor.fromRaw(device === 'cpu' ? values : backendFor(device).upload(values), shape);
}

/** One category index from non-negative weights w[0..n) with total `total`, by inverting the CDF. */
function drawOne(w: Float64Array, total: number, g: Generator): number {
  const u = g.random() * total;
  let acc = 0, last = -1;
  for (let i = 0; i < w.length; i++) {
    const p = w[i]!;
    if (p <= 0) continue;
    acc += p;
    last = i;
    if (u < acc) return i;
  }
  return last; // u landed on the rounding gap at the top of the CDF
}

function multinomialHost(data: TypedArray, shape: readonly number[], numSamples: number, opts: MultinomialOptions): Int32Array {
  if (shape.length !== 1 && shape.length !== 2) throw new ShapeError(`multinomial: expected a 1-D or 2-D tensor of weights, got shape ${fmtShape(shape)}`);
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new ValueError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  const n = shape[shape.length - 1]!, rows = shape.length === 2 ? shape[0]! : 1;
  const replacement = opts.replacement ?? false;
  if (!replacement && numSamples > n) throw new ValueError(`multinomial: cannot draw ${numSamples} samples without replacement from ${n} categories`);
  const g = opts.generator ?? defaultGenerator;
  const out = new Int32Array(rows * numSamples);
  const w = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    let total = 0, nonZero = 0;
    for (let i = 0; i < n; i++) {
      const p = data[r * n + i]!;
      if (!(p >= 0) || p === Infinity) throw new ValueError(`multinomial: weights must be finite and non-negative, got ${p} at row ${r}, category ${i}`);
      w[i] = p;
      total += p;
      if (p > 0) nonZero++;
    }
    if (!(total > 0)) throw new ValueError(`multinomial: the weights of row ${r} sum to 0; at least one must be positive`);
    if (!replacement && numSamples > nonZero) {
      throw new ValueError(`multinomial: row ${r} has ${nonZero} categories with positive weight, too few for ${numSamples} samples without replacement`);
    }
    for (let s = 0; s < numSamples; s++) {
      const k = drawOne(w, total, g);
      out[r * numSamples + s] = k;
      if (!replacement) {
        w[k] = 0;
        // summed afresh rather than decremented, which rounding could leave slightly off
        total = 0;
        for (let i = 0; i < n; i++) total += w[i]!;
      }
    }
  }
  return out;
}

/**
 * Draws category indices from rows of non-negative weights (they need not sum to 1), as
 * torch.multinomial: a 1-D input gives [numSamples], a 2-D one [rows, numSamples], as int32.
 * Without replacement each row's samples are distinct. CPU tensors only (see multinomialAsync).
 * @example multinomial(tensor([0.1, 0.9]), 5, {replacement: true, generator: new Generator(0)})
 */
export function multinomial(input: Tensor, numSamples: number, opts: MultinomialOptions = {}): Tensor {
  const values = multinomialHost(hostData('multinomial', input), input.shape, numSamples, opts);
  return onDevice(values, [...input.shape.slice(0, -1), numSamples], input.device);
}

/**
 * multinomial for a tensor on any device: reads the weights back, samples on the host, and
 * returns the indices on the input's device.
 * @example const idx = await multinomialAsync(probs, 1, {generator})
 */
export async function multinomialAsync(input: Tensor, numSamples: number, opts: MultinomialOptions = {}): Promise<Tensor> {
  const values = multinomialHost(await input.dataAsync(), input.shape, numSamples, opts);
  return onDevice(values, [...input.shape.slice(0, -1), numSamples], input.device);
}

function sampleCategoricalHost(data: TypedArray, shape: readonly number[], opts: SampleCategoricalOptions): Int32Array {
  if (shape.length === 0) throw new ShapeError('sampleCategorical: expected logits with a last dim of categories, got a 0-d tensor');
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0) || temperature === Infinity) throw new ValueError(`sampleCategorical: temperature must be a finite number >= 0, got ${temperature}`);
  const n = shape[shape.length - 1]!;
  if (n === 0) throw new ShapeError(`sampleCategorical: logits of shape ${fmtShape(shape)} have no categories`);
  const topK = opts.topK === undefined ? n : Math.min(opts.topK, n);
  if (!Number.isInteger(topK) || topK < 1) throw new ValueError(`sampleCategorical: topK must be a positive integer, got ${opts.topK}`);
  const g = opts.generator ?? defaultGenerator;
  const rows = data.length / n;
  const out = new Int32Array(rows);
  const w = new Float64Array(n);
  const sorted = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * n, (r + 1) * n);
    let best = 0;
    for (let i = 0; i < n; i++) {
      const v = row[i]!;
      if (v !== v) throw new ValueError(`sampleCategorical: logit ${i} of row ${r} is NaN`);
      if (v > row[best]!) best = i;
    }
    if (temperature === 0 || topK === 1) { out[r] = best; continue; }
    // the k-th largest logit; everything below it gets probability 0
    let cut = -Infinity;
    if (topK < n) {
      sorted.set(row);
      sorted.sort();
      cut = sorted[n - topK]!;
    }
    const top = row[best]!;
    if (top === -Infinity) throw new ValueError(`sampleCategorical: every logit of row ${r} is -Infinity`);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = row[i]!;
      // softmax(v / T), shifted by the max so exp never overflows
      w[i] = v < cut ? 0 : top === Infinity ? (v === Infinity ? 1 : 0) : Math.exp((v - top) / temperature);
      total += w[i]!;
    }
    out[r] = drawOne(w, total, g);
  }
  return out;
}

/**
 * Samples one category per row of logits [..., categories] from softmax(logits / temperature),
 * optionally among the topK largest only; temperature 0 is greedy (arg-max). Returns int32 indices
 * of the logits' shape without the last dim. What a language model's generate step calls. CPU
 * tensors only (see sampleCategoricalAsync).
 * @example const next = sampleCategorical(logits.sliceDim(1, -1).squeeze(1), {temperature: 0.8, topK: 40, generator})
 */
export function sampleCategorical(logits: Tensor, opts: SampleCategoricalOptions = {}): Tensor {
  if (logits.dtype === 'int32') throw new DTypeError('sampleCategorical: expected floating logits, got int32');
  const values = sampleCategoricalHost(hostData('sampleCategorical', logits), logits.shape, opts);
  return onDevice(values, logits.shape.slice(0, -1), logits.device);
}

/**
 * sampleCategorical for logits on any device: reads them back, samples on the host, and returns
 * the indices on the logits' device.
 * @example const next = await sampleCategoricalAsync(logits, {temperature: 0.8, topK: 40})
 */
export async function sampleCategoricalAsync(logits: Tensor, opts: SampleCategoricalOptions = {}): Promise<Tensor> {
  if (logits.dtype === 'int32') throw new DTypeError('sampleCategorical: expected floating logits, got int32');
  const values = sampleCategoricalHost(await logits.dataAsync(), logits.shape, opts);
  return onDevice(values, logits.shape.slice(0, -1), logits.device);
}
