// Each test run gets its own temporary root: every worker and child process
// inherits TMPDIR, so os.tmpdir() and mktemp land here. At the end the run
// fails when anything is left in it (a test that does not clean up after
// itself), naming what was left; the root is removed either way so a failed
// run does not litter the machine.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function setup(): () => void {
  const outer = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'mirrorgate-test-run-'));
  process.env.TMPDIR = root;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    const left = readdirSync(root);
    rmSync(root, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest reports an error thrown here but still exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(`tests left ${left.length} entries in their temporary root ${root} (removed now): ${left.slice(0, 20).join(', ')}${left.length > 20 ? ', …' : ''}`);
    }
  };
}
