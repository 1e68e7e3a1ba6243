// The disk refuses the fill's bytes part-way (RLIMIT_FSIZE on the
// built CLI: a writev is cut short at the limit, the next one fails EFBIG;
// Node ignores SIGXFSZ), at an offset that is no batch boundary. No file under blobs/ holds other bytes than its name says, no
// temporary file is left, a failed fill gives back all it counted against
// cache.blobs.max_fill_memory_bytes (red-team F3: a chunk counted before a
// push that threw stayed counted, 196,608 bytes after 3 fills), a client never gets a clean end of wrong bytes,
// the process stays up, and once the disk takes bytes again the blob is
// cached whole.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { request } from 'undici';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { mirrorRules } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const blob = randomBytes(6 * MiB + 99);
const hex = createHash('sha256').update(blob).digest('hex');
const path = `/v2/src/ns/app/blobs/sha256:${hex}`;
const LIMIT = 3 * MiB + 4321;

let source: DripRegistry | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  await killServed(child);
  await source?.stop();
  child = source = undefined;
});

/** Starts the built CLI with files limited to `LIMIT` bytes; resolves with its URL once listening. */
async function serveLimited(config: string): Promise<string> {
  const served = await serveProcess(config, { under: ['prlimit', `--fsize=${LIMIT}:unlimited`] });
  child = served.proc;
  return served.url;
}

/** The blob files in the cache, each checked against its name. */
function cachedFiles(cache: string): { name: string; ok: boolean }[] {
  const root = join(cache, 'blobs', 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root).map((name) => ({ name, ok: createHash('sha256').update(readFileSync(join(root, name))).digest('hex') === name }));
}

/** mirrorgate_blob_fill_memory_bytes, from /metrics. */
async function fillMemory(url: string): Promise<number | undefined> {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  const m = /^mirrorgate_blob_fill_memory_bytes (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function pull(url: string): Promise<{ clean: boolean; body: Buffer }> {
  try {
    const res = await request(`${url}${path}`);
    const body = Buffer.from(await res.body.arrayBuffer());
    return { clean: res.statusCode === 200 && body.length === blob.length, body };
  } catch {
    return { clean: false, body: Buffer.alloc(0) };
  }
}

it('a disk that takes only part of a fill: nothing wrong is named or served, and the blob is cached once it takes bytes again', async () => {
  // Paced below the disk's speed: the failed write is met by the fill's next chunk, not by a wait for the disk.
  source = await dripRegistry(blob, { bytes: 128 * 1024, everyMs: 5 });
  const dir = tempDir('fsize');
  const config = writeServeConfig(dir, `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[upstream.aliases]\nsrc = "${source.host}"\n[cache.blobs]\ndir = "cache"\n[log]\nlevel = "info"\n`, mirrorRules(`${source.host}/ns`, [], [], { insecure: [source.host] }));
  const url = await serveLimited(config);
  const cache = join(dir, 'cache');

  for (let round = 0; round < 3; round++) {
    const got = await pull(url);
    if (got.clean) expect(got.body.equals(blob)).toBe(true);
    for (const f of cachedFiles(cache)) expect(f).toEqual({ name: f.name, ok: true });
  }
  expect((child as ChildProcess).exitCode).toBeNull();
  // The limit took effect (the blob is larger than any file may be): nothing named, no temporary file left.
  expect(cachedFiles(cache)).toEqual([]);
  for (let i = 0; i < 200 && readdirSync(join(cache, 'tmp')).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(readdirSync(join(cache, 'tmp'))).toEqual([]);
  // The failed fills gave back every byte they held under cache.blobs.max_fill_memory_bytes (bounded polls).
  let held = await fillMemory(url);
  for (let i = 0; i < 200 && held !== 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    held = await fillMemory(url);
  }
  expect(held).toBe(0);

  // The disk takes bytes again.
  expect(spawnSync('prlimit', ['--pid', String((child as ChildProcess).pid), '--fsize=unlimited']).status).toBe(0);
  const got = await pull(url);
  expect(got.clean && got.body.equals(blob)).toBe(true);
  // The fill's file is named after its clients got the tail: poll for it, bounded.
  for (let i = 0; i < 200 && cachedFiles(cache).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(cachedFiles(cache)).toEqual([{ name: hex, ok: true }]);
  expect(readdirSync(join(cache, 'tmp'))).toEqual([]);
});
