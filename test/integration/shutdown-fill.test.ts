// Graceful shutdown and disk-cache fills, with the built CLI as a real
// process. A fill has a client for its whole life: a Range answer's last
// byte waits for the whole blob's verdict, and a fill whose clients all left
// is aborted (single flight). So the shutdown's wait for requests in flight
// covers the fills: a pull in flight at SIGTERM completes, its fill is
// verified, fsynced and named before the process exits 0, and a restart
// serves the blob from disk with no upstream contact. A pull cut at the end
// of the grace aborts its fill, whose temporary file is removed.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { mirrorRules } from '../helpers/proxy.js';

const content = Buffer.alloc(8 * 1024 * 1024);
for (let i = 0; i < content.length; i += 4096) content.writeUInt32BE(i, i);
const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
const path = `/v2/src/ns/app/blobs/${digest}`;

let drip: DripRegistry | undefined;
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await killServed(child);
  await drip?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = drip = dir = undefined;
});

/** Starts the built CLI (a second call restarts it on the same config and cache). */
async function serve(graceMs: number): Promise<{ url: string; exited: Promise<number | null> }> {
  const host = (drip as DripRegistry).host;
  const config = dir ? join(dir, 'mirrorgate.toml') : writeConfig(host, graceMs);
  const started = await serveProcess(config, { env: { ...process.env, MIRRORGATE_LOG_LEVEL: 'info' } });
  child = started.proc;
  return { url: started.url, exited: started.exited };
}

function writeConfig(host: string, graceMs: number): string {
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-shutdown-fill-'));
  return writeServeConfig(
    dir,
    `[server]\nlisten = ["127.0.0.1:0"]\nshutdown_grace_ms = ${graceMs}\n[rules]\npaths = ["rules"]\n[upstream.aliases]\nsrc = "${host}"\n[cache.blobs]\ndir = "cache"\n[log]\nlevel = "warn"\n`,
    mirrorRules(`${host}/ns`, [], [], { insecure: [host] }),
  );
}

/** Starts a whole-blob pull and reads its first chunk; the caller reads the rest. */
async function started(url: string): Promise<{ first: Buffer; rest: AsyncIterator<Buffer> }> {
  const res = await request(`${url}${path}`);
  expect(res.statusCode).toBe(200);
  const rest = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return { first: (await rest.next()).value as Buffer, rest };
}

async function readRest(first: Buffer, rest: AsyncIterator<Buffer>): Promise<Buffer> {
  const chunks = [first];
  for (let next = await rest.next(); !next.done; next = await rest.next()) chunks.push(next.value);
  return Buffer.concat(chunks);
}

const tempFiles = () => readdirSync(join(dir as string, 'cache', 'tmp'));
const cachedFile = () => join(dir as string, 'cache', 'blobs', 'sha256', digest.slice('sha256:'.length));

describe('graceful shutdown and disk-cache fills', () => {
  it('a fill in flight at SIGTERM completes and is committed before exit 0: restarted, the blob is served from disk', async () => {
    // 8 MiB at 512 KiB per 20 ms: the fill runs for a few hundred ms after the signal.
    drip = await dripRegistry(content, { bytes: 512 * 1024, everyMs: 20 });
    const first = await serve(30_000);
    const pull = await started(first.url);
    child?.kill('SIGTERM');
    const body = await readRest(pull.first, pull.rest);
    expect(body.equals(content)).toBe(true);
    expect(await first.exited).toBe(0);
    expect(existsSync(cachedFile())).toBe(true);
    expect(tempFiles()).toEqual([]);

    const second = await serve(30_000);
    const res = await request(`${second.url}${path}`);
    expect(res.statusCode).toBe(200);
    expect(Buffer.from(await res.body.arrayBuffer()).equals(content)).toBe(true);
    expect(drip.requests()).toBe(1);
  });

  it('a fill that cannot finish within the grace is aborted with its pull: exit 0, its temporary file removed, nothing cached', async () => {
    // 8 MiB at 16 KiB per 20 ms: about 10 s, against a grace of 500 ms.
    drip = await dripRegistry(content, { bytes: 16 * 1024, everyMs: 20 });
    const first = await serve(500);
    const pull = await started(first.url);
    child?.kill('SIGTERM');
    await expect(readRest(pull.first, pull.rest)).rejects.toThrow();
    expect(await first.exited).toBe(0);
    expect(drip.abandoned()).toBe(1);
    expect(tempFiles()).toEqual([]);
    expect(existsSync(cachedFile())).toBe(false);
  });
});
