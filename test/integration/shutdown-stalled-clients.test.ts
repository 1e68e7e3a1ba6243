// Graceful shutdown: SIGTERM to the built CLI while hostile work
// is in flight on the data path: clients that stopped reading a Range fed by
// a one-byte-chunk upstream (the flowing reader paused with a full batch), a
// blob held before serving, a cold fill from a trickling mirror whose client
// stopped reading, a cached blob whose client stopped reading.
// Held: the process exits 0 within server.shutdown_grace_ms plus a
// margin (here 500 ms grace, 10 s allowed), never hangs on upstream or file
// work its cut clients left behind.
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { request } from 'undici';
import { confettiRegistry, type ConfettiRegistry } from '../fakes/confetti-registry.js';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { mirrorRules } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const GRACE_MS = 500;
const blob = randomBytes(8 * MiB);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const small = randomBytes(2 * MiB);
const smallDigest = `sha256:${createHash('sha256').update(small).digest('hex')}`;

let child: ChildProcess | undefined;
let dir: string | undefined;
const stops: (() => Promise<void>)[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await killServed(child);
  for (const stop of stops.splice(0)) await stop();
  child = dir = undefined;
});

async function serve(host: string, cache: boolean): Promise<{ url: string; exited: Promise<number | null> }> {
  dir = tempDir('shutdown-stalled');
  const toml = `[server]\nlisten = ["127.0.0.1:0"]\nshutdown_grace_ms = ${GRACE_MS}\n[rules]\npaths = ["rules"]\n[upstream]\nmin_bytes_per_s = 1\n[upstream.aliases]\nsrc = "${host}"\n${cache ? '[cache.blobs]\ndir = "cache"\n' : ''}[log]\nlevel = "info"\n`;
  const started = await serveProcess(writeServeConfig(dir, toml, mirrorRules(`${host}/ns`, [], [], { insecure: [host] })));
  child = started.proc;
  return { url: started.url, exited: started.exited };
}

/** A client that sends `request` and stops reading once the answer began; resolves then. */
function stalled(url: string, path: string, extra = ''): Promise<void> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`);
  return new Promise((resolve) => socket.once('data', () => resolve(void socket.pause())));
}

/** SIGTERM; the exit code, or 'hung' when it is still running 10 s later. */
async function terminate(exited: Promise<number | null>): Promise<number | null | 'hung'> {
  const t0 = Date.now();
  (child as ChildProcess).kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 10_000)));
  const result = await Promise.race([exited, hung]);
  clearTimeout(timer);
  console.log(`exit ${String(result)} after ${Date.now() - t0} ms`);
  return result;
}

it('without the disk cache: stalled clients of one-byte-chunk bodies (a Range, a blob held before serving) do not hold the exit', async () => {
  const mirror: ConfettiRegistry = await confettiRegistry(blob);
  stops.push(mirror.stop);
  const { url, exited } = await serve(mirror.host, false);
  await stalled(url, `/v2/src/ns/app/blobs/${digest}`, `range: bytes=0-${7 * MiB}\r\n`);
  // A blob held until verified: a client that asked and went quiet before any answer byte.
  const held = connect(Number(new URL(url).port), '127.0.0.1');
  sockets.push(held);
  held.on('error', () => {});
  held.write(`GET /v2/src/ns/app/blobs/${digest} HTTP/1.1\r\nhost: x\r\n\r\n`);
  held.pause();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await terminate(exited)).toBe(0);
});

it('with the disk cache: a stalled reader of a trickling fill and a stalled reader of a cached blob do not hold the exit', async () => {
  const drip: DripRegistry = await dripRegistry(blob, { bytes: 64 * 1024, everyMs: 20 });
  stops.push(drip.stop);
  dir = tempDir('shutdown-stalled');
  // Cached before start: the small blob, found on disk (hashed before its first use).
  const blobs = join(dir, 'cache', 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true, mode: 0o700 });
  for (const d of [join(dir, 'cache'), join(dir, 'cache', 'blobs'), blobs]) chmodSync(d, 0o700);
  writeFileSync(join(blobs, smallDigest.slice('sha256:'.length)), small, { mode: 0o600 });
  const toml = `[server]\nlisten = ["127.0.0.1:0"]\nshutdown_grace_ms = ${GRACE_MS}\n[rules]\npaths = ["rules"]\n[upstream]\nmin_bytes_per_s = 1\n[upstream.aliases]\nsrc = "${drip.host}"\n[cache.blobs]\ndir = "cache"\n[log]\nlevel = "info"\n`;
  const started = await serveProcess(writeServeConfig(dir, toml, mirrorRules(`${drip.host}/ns`, [], [], { insecure: [drip.host] })));
  child = started.proc;
  const url = started.url;
  const warm = await request(`${url}/v2/src/ns/app/blobs/${smallDigest}`);
  expect(Buffer.from(await warm.body.arrayBuffer()).equals(small)).toBe(true);
  expect(drip.requests()).toBe(0);
  await stalled(url, `/v2/src/ns/app/blobs/${smallDigest}`);
  await stalled(url, `/v2/src/ns/app/blobs/${digest}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await terminate(started.exited)).toBe(0);
});
