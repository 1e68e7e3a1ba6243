// Temporary directories that a test file removes when it ends. The run's own
// temporary root must be empty at the end (test/setup/temp-root.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered when a test file first imports this module (collection time), so it is that file's
// first after-hook and runs last: after the file's own hooks have stopped what wrote into the dirs.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory `mirrorgate-<prefix>-XXXXXX` under the temporary root, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mirrorgate-${prefix}-`));
  made.push(dir);
  return dir;
}
