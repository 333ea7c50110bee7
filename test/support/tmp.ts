// Temporary directories for tests: created now, removed after the suite (or the describe block)
// that asked for them, and at exit in any case, so that a skipped or failed suite leaves none.
import { afterAll } from 'bun:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made = new Set<string>();
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory `$TMPDIR/maga-NAME-XXXXXX`, removed by `removeTempDir` or at exit. */
export function makeTempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `maga-${name}-`));
  made.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

/** `makeTempDir`, removed after the enclosing suite or describe block (call it at that level, not in a hook). */
export function tempDir(name: string): string {
  const dir = makeTempDir(name);
  afterAll(() => removeTempDir(dir));
  return dir;
}
