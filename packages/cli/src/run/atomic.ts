// Durable, atomic file writes: a file is written whole to a temporary name in the same directory,
// flushed to disk, then renamed over its final name, so a reader (or a crash) only ever sees the
// old bytes or the new ones, never a truncated mix.
//
// Tests simulate a crash at a named point by setting MAGA_TEST_CRASH to that point's name: the
// process then kills itself with SIGKILL there, which leaves the files exactly as a power cut or
// `kill -9` would (no finally blocks, no exit handlers).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The temporary name a file is written under before it is renamed into place. */
export function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
}

/** Dies here, like `kill -9`, when MAGA_TEST_CRASH names this point. */
export function crashPoint(name: string): void {
  const wanted = process.env.MAGA_TEST_CRASH;
  if (wanted && wanted.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}

/** Writes `data` to `file` and flushes it to disk (no rename: see writeFileAtomic). */
export function writeDurable(file: string, data: Uint8Array | string, crashName?: string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const fd = fs.openSync(file, 'w', 0o644);
  try {
    if (crashName && process.env.MAGA_TEST_CRASH) {
      // Half the bytes reach the file before the simulated crash: a truncated temporary file.
      fs.writeSync(fd, bytes, 0, bytes.length >> 1);
      fs.fsyncSync(fd);
      crashPoint(crashName);
      fs.writeSync(fd, bytes, bytes.length >> 1, bytes.length - (bytes.length >> 1), bytes.length >> 1);
    } else {
      let written = 0;
      while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a directory's entries (the renames in it) to disk, where the platform allows it. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the renames are still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Replaces `file` with `data` atomically: temporary file, fsync, rename, fsync of the directory. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const temp = tempPath(file);
  writeDurable(temp, data);
  fs.renameSync(temp, file);
  fsyncDirectory(path.dirname(file));
}
