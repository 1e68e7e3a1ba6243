// The peers mirrorgate is measured against, each in its own process so its
// CPU and memory can be sampled: nginx as a tuned streaming reverse proxy
// (and with proxy_cache, warm), and docker-registry (CNCF distribution) in
// proxy mode, the peer that also verifies and keeps blobs (cold and warm).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopAndRemove, type ProxyProcess } from './processes.js';

const available = (binary: string): boolean => spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).stdout.trim() !== '';
export const nginxAvailable = (): boolean => available('nginx');
export const registryAvailable = (): boolean => available('docker-registry');
export const wrkAvailable = (): boolean => available('wrk');

async function waitUntilServing(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${url}/v2/`).catch(() => undefined))?.ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not start serving within 10 s`);
}

const noAttempts = async () => ({ requests: 0, attempts: 0 });

/**
 * nginx, one worker, as a well-tuned reverse proxy in front of `upstream`:
 * buffering on with 16 × 64 KiB buffers and keep-alive upstream connections
 * (the defaults' 4 KiB unbuffered copy would make a weak baseline). With
 * `cache`, blobs are kept by proxy_cache, the nginx-based pull-through proxies' way.
 */
export async function startNginx(upstream: string, options: { cache?: boolean } = {}): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-bench-nginx-'));
  const port = await freePort();
  const root = process.getuid?.() === 0 ? 'user root root;\n' : '';
  const cache = options.cache
    ? { http: `  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=blobs:10m max_size=8g inactive=1h use_temp_path=off;\n`, location: '      proxy_cache blobs;\n      proxy_cache_key $uri;\n      proxy_cache_valid 200 1h;\n      proxy_max_temp_file_size 0;\n' }
    : { http: '', location: '' };
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${root}worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  access_log off;\n  sendfile on;\n` +
      ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n') +
      `\n${cache.http}  upstream registry { server ${upstream}; keepalive 32; }\n  server {\n    listen 127.0.0.1:${port};\n    location / {\n      proxy_pass http://registry;\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n` +
      `      proxy_buffering on;\n      proxy_buffer_size 64k;\n      proxy_buffers 16 64k;\n      proxy_busy_buffers_size 128k;\n${cache.location}    }\n  }\n}\n`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(url);
  // With `daemon off` the spawned process is the master; the worker does the proxying.
  const master = child.pid as number;
  const worker = Number(readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(' ')[0]) || master;
  return { url, pid: worker, takeAttempts: noAttempts, stop: () => stopAndRemove(child, dir) };
}

/** docker-registry in proxy mode (pull-through cache) for `upstream`, with fresh storage: cold until it has stored a blob. */
export async function startRegistryProxy(upstream: string): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-bench-registry-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: false\nhttp:\n  addr: 127.0.0.1:${port}\nproxy:\n  remoteurl: http://${upstream}\n`,
  );
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(url);
  return { url, pid: child.pid as number, takeAttempts: noAttempts, stop: () => stopAndRemove(child, dir) };
}

/** wrk with `connections` connections for `seconds` against one URL: requests completed. */
export function runWrk(url: string, connections: number, seconds: number, headers: Record<string, string>): Promise<{ requests: number; seconds: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', () => {
      const m = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(out);
      if (!m) return reject(new Error(`wrk printed no summary:\n${out}`));
      const unit = { ms: 0.001, s: 1, m: 60 }[m[3] as 'ms' | 's' | 'm'];
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((n, x) => n + Number(x), 0) : 0);
      resolve({ requests: Number(m[1]), seconds: Number(m[2]) * unit, errors });
    });
  });
}
