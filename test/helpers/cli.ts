import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

export interface ServeProcess {
  readonly proc: ChildProcess;
  /** The first pull listener and the first admin listener (when one is configured). */
  readonly url: string;
  readonly admin: string | undefined;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `mirrorgate serve` of the built CLI on `config`; resolves once it logs
 * "mirrorgate listening" (an info line: keep log.level at info or set it in
 * `env`), rejects with its output if it exits first. The caller kills `proc`.
 */
export function serveProcess(config: string, options: { cwd?: string; env?: NodeJS.ProcessEnv; under?: readonly string[] } = {}): Promise<ServeProcess> {
  // `under`: a command that runs node (e.g. prlimit with its options).
  const [command = process.execPath, ...args] = [...(options.under ?? []), process.execPath, join(process.cwd(), 'dist/cli/main.js'), 'serve', '--config', config];
  const proc = spawn(command, args, { cwd: options.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let out = '';
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"mirrorgate listening"'));
      if (line) {
        const parsed = JSON.parse(line) as { urls: string[]; adminUrls: string[] };
        resolve({ proc, url: parsed.urls[0] as string, admin: parsed.adminUrls[0], exited });
      }
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

/** Writes `rules` (file name to text) under `<dir>/rules/` and `toml` as `<dir>/mirrorgate.toml`; returns the config's path. */
export function writeServeConfig(dir: string, toml: string, rules: Record<string, string>): string {
  mkdirSync(join(dir, 'rules'));
  for (const [name, text] of Object.entries(rules)) writeFileSync(join(dir, 'rules', name), text);
  const config = join(dir, 'mirrorgate.toml');
  writeFileSync(config, toml);
  return config;
}

/** Kills a served process still running and waits for its exit. */
export async function killServed(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}
