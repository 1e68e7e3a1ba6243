// mirrorgate under test in its own process (the built CLI), so that its CPU
// and memory can be measured; the baselines are in baselines.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProxyProcess {
  readonly url: string;
  readonly pid: number;
  /**
   * Upstream attempts mirrorgate logged since the last call (skips excluded).
   * Log lines arrive through a pipe, so this waits (bounded) until it has seen
   * `expected` requests.
   */
  takeAttempts(expected?: number): Promise<{ requests: number; attempts: number }>;
  stop(): Promise<void>;
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. */
export const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });

/** `nodeArgs` go before the script (V8 flags such as `--initial-old-space-size=128`). */
export async function startMirrorgate(cliPath: string, settingsToml: string, rules: Record<string, string>, nodeArgs: readonly string[] = []): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-bench-'));
  mkdirSync(join(dir, 'rules'));
  for (const [name, text] of Object.entries(rules)) writeFileSync(join(dir, 'rules', name), text);
  writeFileSync(join(dir, 'mirrorgate.toml'), settingsToml);
  const child = spawn(process.execPath, [...nodeArgs, cliPath, 'serve', '--config', join(dir, 'mirrorgate.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let requests = 0;
  let attempts = 0;
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`mirrorgate exited ${code}: ${err}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"mirrorgate listening"')) resolve((JSON.parse(line) as { urls: string[] }).urls[0] as string);
        else if (line.includes('"msg":"request"')) {
          const entry = JSON.parse(line) as { attempts?: { outcome: string }[]; route?: string; coalesced?: boolean };
          if (entry.route === 'admin') continue;
          requests++;
          // A coalesced request logs the attempts of the fetch it joined: counted once, by that fetch's own line.
          if (!entry.coalesced) attempts += (entry.attempts ?? []).filter((a) => a.outcome !== 'busy' && a.outcome !== 'circuit_open').length;
        }
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    pid: child.pid as number,
    takeAttempts: async (expected = 0) => {
      for (let waited = 0; requests < expected && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      const taken = { requests, attempts };
      requests = 0;
      attempts = 0;
      return taken;
    },
    stop: () => stopAndRemove(child, dir),
  };
}

/** Stops the process, then removes the directory it ran in: a run leaves nothing in the temp root. */
export const stopAndRemove = (child: ChildProcess, dir: string): Promise<void> => stopChild(child).then(() => rmSync(dir, { recursive: true, force: true }));

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
