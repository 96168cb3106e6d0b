import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** `.<name>.<pid>.<time>.<n>.tmp`: the temporary file of a write to `<name>` by process `<pid>`. */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${counter++}.tmp`);
}

function tempPattern(path: string): RegExp {
  const name = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${name}\\.(\\d+)\\.\\d+\\.\\d+\\.tmp$`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files that earlier writes to `path` left behind when they were killed
 * between creating and renaming them: those of this process, and of processes no longer alive.
 * A live process's temporary file is its write in progress, and is left alone.
 */
function removeStaleTemps(path: string): void {
  const pattern = tempPattern(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the write itself will report the directory
  }
  for (const n of names) {
    const m = pattern.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || !isAlive(pid)) {
      try { unlinkSync(join(dirname(path), n)); } catch { /* gone already, or not ours to remove */ }
    }
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EISDIR: 'it is a directory',
  ENOTEMPTY: 'it is a directory',
  EEXIST: 'it is a directory',
  ENOTDIR: 'a component of its directory is not a directory',
};

/**
 * The error of a failed write, re-worded to name the target the caller asked for rather than
 * the temporary file; `code` and `syscall` stay, so it is still recognisably a file error.
 */
function writeError(path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return e as Error;
  const dir = dirname(path);
  const reason = err.code === 'ENOENT' ? `the directory ${dir} does not exist` : REASONS[err.code] ?? `${err.code} in ${err.syscall ?? 'a file operation'}`;
  const out = new Error(`cannot write ${path}: ${reason}`) as NodeJS.ErrnoException;
  out.code = err.code;
  out.syscall = err.syscall;
  out.path = path;
  return out;
}

/**
 * Writes a file so that readers see either the old content or the new, never a mix: the bytes
 * go to a temporary file in the same directory, which is flushed to disk and renamed over the
 * target; the directory is then flushed so the rename survives a crash. On failure the
 * temporary file is removed, the target is left as it was, and the error names the target.
 * Temporary files of earlier writes to the same path that were killed midway are removed.
 * @example writeFileAtomic('run/model.safetensors', bytes)
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  removeStaleTemps(path);
  const dir = dirname(path);
  const tmp = tempName(path);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try { closeSync(fd); } catch { /* already failing; keep the first error */ }
    }
    try { unlinkSync(tmp); } catch { /* it may not exist */ }
    throw writeError(path, e);
  }
  syncDir(dir);
}

/**
 * Checks now, before long work, that writeFileAtomic(path) will be able to write: the target
 * is not a directory, and a temporary file can be created (and is removed again) beside it.
 * Throws the error writeFileAtomic would, naming `path`.
 * @example checkWritable('run/model.safetensors') // before training for an hour
 */
export function checkWritable(path: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch { /* does not exist yet: fine */ }
  if (isDir) throw writeError(path, Object.assign(new Error('EISDIR'), { code: 'EISDIR', syscall: 'rename' }));
  const tmp = tempName(path);
  try {
    closeSync(openSync(tmp, 'wx', 0o644));
  } catch (e) {
    throw writeError(path, e);
  }
  try { unlinkSync(tmp); } catch { /* removed by the next write's clean-up */ }
}

function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some platforms (Windows) cannot open or fsync a directory; the rename itself is done
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
