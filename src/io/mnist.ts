import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, ValueError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { parseIdxHeader, readIdxBytes } from './idx.js';

/**
 * Which MNIST split to load, and how much of it.
 * @example loadMnist('data/mnist', { split: 'test', limit: 1000 })
 */
export interface MnistOptions {
  /** the 60,000 training or 10,000 test examples (default 'train') */
  split?: 'train' | 'test';
  /** keep only the first `limit` examples */
  limit?: number;
}

function findFile(dir: string, prefix: string, kind: 'images' | 'labels', ndim: number): string {
  // the original names, with or without .gz, and the dotted variant some mirrors use
  const names = [`${prefix}-${kind}-idx${ndim}-ubyte`, `${prefix}-${kind}.idx${ndim}-ubyte`].flatMap((n) => [`${n}.gz`, n]);
  for (const n of names) {
    const p = join(dir, n);
    if (existsSync(p)) return p;
  }
  throw new ValueError(`loadMnist: no ${kind} file in ${dir}; looked for ${names.join(', ')}`);
}

/**
 * Loads an MNIST-format directory (MNIST, Fashion-MNIST): images as float32 [n,1,28,28] scaled
 * to [0,1], labels as int32 [n].
 * @example const {x, y} = loadMnist('data/mnist', {split: 'test', limit: 1000});
 */
export function loadMnist(dir: string, opts: MnistOptions = {}): { x: Tensor; y: Tensor } {
  const { split = 'train', limit } = opts;
  if (split !== 'train' && split !== 'test') throw new ValueError(`loadMnist: split must be 'train' or 'test', got '${String(split)}'`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new ValueError(`loadMnist: limit must be a non-negative integer, got ${limit}`);
  const prefix = split === 'train' ? 'train' : 't10k';
  const imgPath = findFile(dir, prefix, 'images', 3);
  const lblPath = findFile(dir, prefix, 'labels', 1);

  const lbl = readIdxBytes(lblPath);
  const lh = parseIdxHeader(lbl, lblPath);
  if (lh.typeCode !== 0x08 || lh.dims.length !== 1) {
    throw new FormatError(`${lblPath}: expected a 1-D uint8 label file (magic 0x00000801), got ${lh.dims.length} dims of type 0x${lh.typeCode.toString(16)}`);
  }
  const img = readIdxBytes(imgPath);
  const ih = parseIdxHeader(img, imgPath);
  if (ih.typeCode !== 0x08 || ih.dims.length !== 3) {
    throw new FormatError(`${imgPath}: expected 3-D uint8 images (magic 0x00000803), got dims ${fmtShape(ih.dims)} of type 0x${ih.typeCode.toString(16)}`);
  }
  const [count, rows, cols] = ih.dims as [number, number, number];
  if (lh.dims[0] !== count) throw new FormatError(`${lblPath}: has ${lh.dims[0]} labels but ${imgPath} has ${count} images`);

  const n = limit === undefined ? count : Math.min(count, limit);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = lbl[lh.offset + i]!;
    if (v > 9) throw new ValueError(`${lblPath}: label ${v} of example ${i} is outside 0..9`);
    y[i] = v;
  }
  const size = n * rows * cols;
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = img[ih.offset + i]! / 255;
  return { x: Tensor.fromRaw(x, [n, 1, rows, cols]), y: Tensor.fromRaw(y, [n]) };
}
