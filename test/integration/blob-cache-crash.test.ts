// A process killed at any instant leaves nothing in the blob cache that could
// be served wrong: the built CLI fills the cache from a slow upstream and is
// SIGKILLed at varying points, in a bounded loop; after each kill every file
// under blobs/ hashes to its name, and a restart empties tmp/.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { BlobDisk } from '../../src/store/disk.js';
import { LyingBlobs } from '../fakes/lying-blobs.js';
import { mirrorRules } from '../helpers/proxy.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobs = [20_000, 300_000, 900_000, 1_500_000].map((n, i) => Buffer.alloc(n, i + 1));
const byDigest = new Map(blobs.map((b) => [sha(b), b]));
const CHUNK = 32 * 1024;
let upstream: LyingBlobs;
let chunksSent = 0;
let work: string;

beforeAll(async () => {
  // Streams each blob in small chunks with a pause between: fills are under way for a while.
  upstream = await new LyingBlobs((req, res, digest) => {
    const body = byDigest.get(digest);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length, 'docker-content-digest': digest });
    if (req.method === 'HEAD') return void res.end();
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      if (at >= body.length) return void res.end();
      res.write(body.subarray(at, at + CHUNK));
      at += CHUNK;
      chunksSent++;
      setTimeout(next, 2);
    };
    next();
  }).start();
  work = mkdtempSync(join(tmpdir(), 'mirrorgate-crash-'));
});
afterAll(async () => {
  await upstream.stop();
  rmSync(work, { recursive: true, force: true });
});

function serve(config: string): Promise<{ url: string; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`no listening line within 10 s:\n${out}`))), 10_000);
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"mirrorgate listening"'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ url: (JSON.parse(line) as { urls: string[] }).urls[0] as string, kill: () => (child.kill('SIGKILL'), exited) });
    });
  });
}

function checkCache(dir: string): number {
  const folder = join(dir, 'blobs', 'sha256');
  const names = readdirSync(folder);
  for (const name of names) expect(sha(readFileSync(join(folder, name)))).toBe(`sha256:${name}`);
  return names.length;
}

describe('SIGKILL during fills', () => {
  it('leaves only files that hash to their names, in every one of 6 rounds', async () => {
    const dir = join(work, 'cache');
    const rules = join(work, 'rules');
    rmSync(rules, { recursive: true, force: true });
    mkdirSync(rules);
    writeFileSync(join(rules, 'rules.yaml'), mirrorRules(`${upstream.host}/ns`, [], [])['rules.yaml'] as string);
    const config = join(work, 'mirrorgate.toml');
    writeFileSync(config, `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["${rules}"]\n[upstream]\naliases = { src = "${upstream.host}" }\n[cache.blobs]\ndir = "${dir}"\nverify_before_serve_bytes = 1024\n`);
    let committed = 0;
    for (let round = 0; round < 6; round++) {
      const proxy = await serve(config);
      const start = chunksSent;
      const pulls = [...byDigest.keys()].map((d) => request(`${proxy.url}/v2/src/ns/app/blobs/${d}`).then((r) => r.body.dump(), () => undefined).catch(() => undefined));
      // Kill after a growing number of upstream chunks: early, mid-fill, after some fills committed.
      const target = start + 4 + round * 14;
      for (let i = 0; i < 200 && chunksSent < target; i++) await new Promise((r) => setTimeout(r, 5));
      await proxy.kill();
      await Promise.all(pulls);
      committed = Math.max(committed, checkCache(dir));
    }
    // A restart empties tmp/ and indexes only whole, named blobs.
    const disk = await BlobDisk.open(dir, 1 << 30, { evicted: () => {}, size: () => {}, discarded: (d) => expect.fail(`${d} discarded`) });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    for (const name of readdirSync(join(dir, 'blobs', 'sha256'))) {
      const file = await disk.read(`sha256:${name}`);
      expect(file?.size).toBeGreaterThan(0);
      await file?.handle.close();
    }
    expect(checkCache(dir)).toBeGreaterThan(0);
    expect(committed).toBeGreaterThan(0);
  }, 60_000);
});
