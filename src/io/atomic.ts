import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/**
 * Writes a file so that readers see either the old content or the new, never a mix: the bytes
 * go to a temporary file in the same directory, which is flushed to disk and renamed over the
 * target; the directory is then flushed so the rename survives a crash. On failure the
 * temporary file is removed and the target is left as it was.
 * @example writeFileAtomic('run/model.safetensors', bytes)
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${counter++}.tmp`);
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
    throw e;
  }
  syncDir(dir);
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
