// The proxies under test, each in its own process so that its CPU and memory
// can be measured: mirrorgate (built CLI) and, when installed, nginx.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

export async function startMirrorgate(cliPath: string, settingsToml: string, rules: Record<string, string>): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-bench-'));
  mkdirSync(join(dir, 'rules'));
  for (const [name, text] of Object.entries(rules)) writeFileSync(join(dir, 'rules', name), text);
  writeFileSync(join(dir, 'mirrorgate.toml'), settingsToml);
  const child = spawn(process.execPath, [cliPath, 'serve', '--config', join(dir, 'mirrorgate.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
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
          const entry = JSON.parse(line) as { attempts?: { outcome: string }[]; route?: string };
          if (entry.route === 'admin') continue;
          requests++;
          attempts += (entry.attempts ?? []).filter((a) => a.outcome !== 'busy' && a.outcome !== 'circuit_open').length;
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
const stopAndRemove = (child: ChildProcess, dir: string): Promise<void> => stopChild(child).then(() => rmSync(dir, { recursive: true, force: true }));

export const nginxAvailable = (): boolean => spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim() !== '';

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** nginx as a plain streaming reverse proxy in front of `upstream` (host:port), one worker. */
export async function startNginx(upstream: string): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-bench-nginx-'));
  const port = await freePort();
  const root = process.getuid?.() === 0 ? 'user root root;\n' : '';
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${root}worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  access_log off;\n` +
      ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n') +
      `\n  upstream registry { server ${upstream}; keepalive 32; }\n  server {\n    listen 127.0.0.1:${port};\n    location / {\n      proxy_pass http://registry;\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n      proxy_buffering off;\n    }\n  }\n}\n`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/v2/`).catch(() => undefined))?.ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // With `daemon off` the spawned process is the master; the worker does the proxying.
  const master = child.pid as number;
  const worker = Number(readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(' ')[0]) || master;
  return { url, pid: worker, takeAttempts: async () => ({ requests: 0, attempts: 0 }), stop: () => stopAndRemove(child, dir) };
}
