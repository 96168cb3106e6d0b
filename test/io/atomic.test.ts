import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { checkWritable, writeFileAtomic } from '../../src/io/index.js';
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
  const target = join(dir, 'nope', 'f.bin');
  // the message names the file asked for, not the temporary file
  assert.throws(() => writeFileAtomic(target, Uint8Array.of(1)),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.message === `cannot write ${target}: the directory ${join(dir, 'nope')} does not exist` && !/\.tmp/.test(e.message));
  assert.deepEqual(readdirSync(dir), []);
});

test('the next write to a path removes the temporary files of killed writes, but not a live writer\'s', () => {
  const dir = tempDir();
  const path = join(dir, 'out.bin');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a process that has exited
  const stale = [`.out.bin.${dead}.1700000000000.0.tmp`, `.out.bin.${process.pid}.1700000000000.3.tmp`];
  const live = `.out.bin.${process.ppid}.1700000000000.0.tmp`;
  const other = `.other.bin.${dead}.1700000000000.0.tmp`;
  for (const n of [...stale, live, other]) writeFileSync(join(dir, n), 'partial');
  writeFileAtomic(path, Uint8Array.of(1));
  assert.deepEqual(readdirSync(dir).sort(), [live, other, 'out.bin'].sort());
});

test('checkWritable fails early, naming the path, where writeFileAtomic would fail later', () => {
  const dir = tempDir();
  const missing = join(dir, 'nope', 'm.safetensors');
  assert.throws(() => checkWritable(missing), (e: Error) => e.message === `cannot write ${missing}: the directory ${join(dir, 'nope')} does not exist`);
  mkdirSync(join(dir, 'adir'));
  assert.throws(() => checkWritable(join(dir, 'adir')), /cannot write .*adir: it is a directory/);
  writeFileSync(join(dir, 'afile'), 'x');
  assert.throws(() => checkWritable(join(dir, 'afile', 'm.safetensors')), /a component of its directory is not a directory/);
  checkWritable(join(dir, 'ok.bin'));
  assert.deepEqual(readdirSync(dir).sort(), ['adir', 'afile']);
});
