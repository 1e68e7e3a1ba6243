// Graceful shutdown of `mirrorgate serve` as a real process: on SIGTERM (and
// SIGINT) /readyz answers 503 at once, no new connections are accepted, idle
// keep-alive connections are closed, a 64 MiB pull in flight completes and
// verifies, and the process exits 0.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client, request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { mirrorRules } from '../helpers/proxy.js';

const image = makeImage(51, [64 * 1024 * 1024]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let upstream: FakeRegistry;
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await killServed(child);
  await upstream?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = undefined;
  dir = undefined;
});

/** Starts the built CLI on a temp config; resolves with its main and admin URLs once it logs "listening". */
async function serve(): Promise<{ url: string; admin: string; exited: Promise<number | null> }> {
  upstream = await fakeRegistry();
  pushImage(upstream, 'ns/app', image, 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-shutdown-'));
  const config = writeServeConfig(
    dir,
    `[server]\nlisten = ["127.0.0.1:0"]\nshutdown_grace_ms = 60000\n[admin]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[upstream.aliases]\nsrc = "${upstream.host}"\n[log]\nlevel = "warn"\n`,
    mirrorRules(`${upstream.host}/ns`, [], [], { insecure: [upstream.host] }),
  );
  // The "listening" line is logged at info: raise the level through the environment for it.
  const started = await serveProcess(config, { env: { ...process.env, MIRRORGATE_LOG_LEVEL: 'info' } });
  child = started.proc;
  return { url: started.url, admin: started.admin as string, exited: started.exited };
}

describe.each(['SIGTERM', 'SIGINT'] as const)('graceful shutdown on %s', (signal) => {
  it('a 64 MiB pull in flight completes and verifies; readyz 503, no new connections, idle sockets closed, exit 0', async () => {
    const { url, admin, exited } = await serve();
    // An idle keep-alive connection, as a runtime leaves between pulls.
    const idle = new Client(url);
    await (await idle.request({ path: '/v2/', method: 'GET' })).body.dump();
    const idleClosed = new Promise<void>((resolve) => idle.once('disconnect', () => resolve()));

    const res = await request(`${url}/v2/src/ns/app/blobs/${layer.digest}`);
    expect(res.statusCode).toBe(200);
    const chunks: Buffer[] = [];
    const iterator = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    // Some bytes are in; the client then stops reading while the process is told to stop.
    const first = await iterator.next();
    chunks.push(first.value as Buffer);
    child?.kill(signal);

    await vi.waitFor(async () => expect((await request(`${admin}/readyz`).then(async (r) => (await r.body.dump(), r.statusCode)))).toBe(503), { timeout: 5_000, interval: 20 });
    await expect(request(`${url}/v2/`)).rejects.toThrow(/ECONNREFUSED|other side closed|SocketError/);
    await idleClosed;

    for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value);
    const body = Buffer.concat(chunks);
    expect(body.length).toBe(layer.content.length);
    expect(sha(body)).toBe(layer.digest);
    expect(await exited).toBe(0);
    await idle.close();
  });
});
