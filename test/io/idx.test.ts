import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdx, unpackIdx } from '../../src/io/index.js';
import { FormatError } from '../../src/errors.js';
import { tempDir } from './tmp.js';

const dir = tempDir();
const labels = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9);
const images = Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 10, 20);

test('parses uint8 labels (int32) and images (float32) with big-endian dims', () => {
  const y = parseIdx(labels, 'labels');
  assert.equal(y.dtype, 'int32');
  assert.deepEqual(y.toArray(), [7, 2, 9]);
  const x = parseIdx(images, 'images');
  assert.equal(x.dtype, 'float32');
  assert.deepEqual(x.toArray(), [[[0, 255]], [[10, 20]]]);
  assert.deepEqual(parseIdx(images, 'images', { limit: 1 }).shape, [1, 1, 2]);
});

test('parses int16 and float32 big-endian elements', () => {
  const i16 = Uint8Array.of(0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00);
  assert.deepEqual(parseIdx(i16).toArray(), [-2, 256]);
  const f32 = Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0);
  assert.deepEqual(parseIdx(f32).toArray(), [1.5]);
});

test('bad magic, truncated and oversized data are FormatErrors naming the file', () => {
  assert.throws(() => parseIdx(Uint8Array.of(1, 2, 8, 1, 0, 0, 0, 0), 'x.idx'), (e: Error) => e instanceof FormatError && /x\.idx: bad magic number 0x01020801/.test(e.message));
  assert.throws(() => parseIdx(Uint8Array.of(0, 0, 0x42, 1, 0, 0, 0, 0), 'x.idx'), /bad magic/);
  assert.throws(() => parseIdx(images.subarray(0, images.length - 1), 'imgs'), (e: Error) => e instanceof FormatError && /imgs: truncated: .*need 4 bytes of data, got 3/.test(e.message));
  assert.throws(() => parseIdx(images.subarray(0, 10), 'imgs'), /truncated/);
  assert.throws(() => parseIdx(Uint8Array.of(...labels, 1), 'lbl'), /1 bytes more/);
});

test('readIdx reads raw and gzipped files, and reports corrupt gzip', () => {
  const raw = join(dir, 'l-idx1-ubyte');
  const gz = join(dir, 'l-idx1-ubyte.gz');
  writeFileSync(raw, labels);
  const zipped = gzipSync(labels);
  writeFileSync(gz, zipped);
  assert.deepEqual(readIdx(raw).toArray(), [7, 2, 9]);
  assert.deepEqual(readIdx(gz).toArray(), [7, 2, 9]);
  const bad = join(dir, 'bad.gz');
  writeFileSync(bad, zipped.subarray(0, zipped.length - 6));
  assert.throws(() => readIdx(bad), (e: Error) => e instanceof FormatError && e.message.startsWith(`${bad}: corrupt gzip`));
  const garbled = Uint8Array.from(zipped);
  garbled[12] ^= 0xff;
  garbled[13] ^= 0xff;
  writeFileSync(bad, garbled);
  assert.throws(() => readIdx(bad), FormatError);
});

test('a gzip bomb: the header is read from a prefix and the rest inflates only up to the declared size', () => {
  // 10 labels, then 1 GiB of zeros in 1,024 further gzip members: 1 MB on disk
  const head = gzipSync(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 10, ...new Array<number>(10).fill(1)));
  const zerosMember = gzipSync(new Uint8Array(2 ** 20), { level: 9 });
  const bomb = new Uint8Array(head.length + 1024 * zerosMember.length);
  bomb.set(head, 0);
  for (let i = 0; i < 1024; i++) bomb.set(zerosMember, head.length + i * zerosMember.length);
  assert.ok(bomb.length < 2 ** 21, `the bomb is ${bomb.length} bytes`);
  const path = join(dir, 'bomb-idx1-ubyte.gz');
  writeFileSync(path, bomb);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => readIdx(path), (e: Error) => e instanceof FormatError
    && e.message === `${path}: inflates to more than the 18 bytes its IDX header declares (dims [10] of uint8): a damaged file or a gzip bomb`);
  // nowhere near the 1 GiB the whole stream holds
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 26);
  // the same file within its declared size reads normally
  assert.deepEqual(Array.from(unpackIdx(head, 'ok.gz')), [0, 0, 8, 1, 0, 0, 0, 10, ...new Array<number>(10).fill(1)]);
});

test('a header declaring more than a reader will allocate fails before inflating anything else', () => {
  // 60000 x 28 x 28 x 100 uint8 images (18 GB as float32) declared by 20 bytes of header
  const header = Uint8Array.of(0, 0, 8, 4, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28, 0, 0, 0, 100);
  for (const bytes of [gzipSync(header), header]) {
    assert.throws(() => parseIdx(unpackIdx(bytes, 'huge.gz'), 'huge.gz'), (e: Error) => e instanceof FormatError
      && /^huge\.gz: its header declares dims \[60000,28,28,100\] of uint8, 4704000000 values: more than the 2 GiB a reader will allocate/.test(e.message));
  }
  // a gzip header with a long file name before the deflate data still finds the IDX header
  const named = Uint8Array.from(gzipSync(labels));
  const withName = new Uint8Array([...named.subarray(0, 3), named[3]! | 0x08, ...named.subarray(4, 10), ...new Array<number>(5000).fill(0x61), 0, ...named.subarray(10)]);
  assert.deepEqual(parseIdx(unpackIdx(withName, 'named.gz'), 'named.gz').toArray(), [7, 2, 9]);
});
