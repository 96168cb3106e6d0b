import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/io/index.js';
import { tempDir } from './tmp.js';

test('writes and replaces a file, leaving no temporary files', () => {
  const dir = tempDir();
  const path = join(dir, 'out.bin');
  writeFileAtomic(path, Uint8Array.of(1, 2, 3));
  assert.deepEqual(Array.from(readFileSync(path)), [1, 2, 3]);
  writeFileAtomic(path, new Uint8Array(100000).fill(7));
  assert.equal(readFileSync(path).length, 100000);
  assert.deepEqual(readdirSync(dir), ['out.bin']);
});

test('a failed rename leaves the target as it was and removes the temporary file', () => {
  const dir = tempDir();
  const target = join(dir, 'ckpt');
  mkdirSync(target);
  writeFileSync(join(target, 'keep'), 'x'); // a non-empty directory cannot be renamed over
  assert.throws(() => writeFileAtomic(target, Uint8Array.of(9, 9)));
  assert.ok(statSync(target).isDirectory());
  assert.deepEqual(readdirSync(dir), ['ckpt']);
  assert.deepEqual(readdirSync(target), ['keep']);
});

test('a failing write in a missing directory leaves nothing behind', () => {
  const dir = tempDir();
  assert.throws(() => writeFileAtomic(join(dir, 'nope', 'f.bin'), Uint8Array.of(1)), /ENOENT/);
  assert.deepEqual(readdirSync(dir), []);
});
