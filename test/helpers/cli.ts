import { spawnSync } from 'node:child_process';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command line of the built CLI (`npm test` builds before testing), bounded in time. */
function runNode(args: readonly string[], cwd = process.cwd()): CliResult {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export const runCli = (args: readonly string[]): CliResult => runNode(['dist/cli/main.js', ...args]);
