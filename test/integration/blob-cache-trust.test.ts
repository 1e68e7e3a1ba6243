// What the disk blob cache trusts of what it finds on disk (red-team finding
// "files planted in the disk cache are served as genuine"): a cache tree that
// others could write into is refused at start, naming the path; a symbolic
// link is never followed; a file others may change, or that is not a regular
// file, is removed; and a file found at start is hashed before its first use,
// so one that does not hash to its name is removed and fetched again.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { runCli } from '../helpers/cli.js';
import { mirrorRules, startTestProxy, writeRules, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const real = Buffer.from('the genuine blob content '.repeat(40));
const digest = `sha256:${createHash('sha256').update(real).digest('hex')}`;
const hex = digest.slice('sha256:'.length);
const forged = Buffer.from('FORGED-'.repeat(100));
const path = `/v2/src/ns/app/blobs/${digest}`;
let source: FakeRegistry;
let dir: string;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  source = await fakeRegistry();
  source.putBlob(real);
  dir = join(tempDir('blob-trust'), 'cache');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await source.stop();
});

async function start(): Promise<TestProxy> {
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir } } });
  return proxy;
}

const cached = (name = hex) => join(dir, 'blobs', 'sha256', name);
const discarded = (p: TestProxy) => p.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('a cached blob found at start did not verify'));

describe('a cache tree others could write into is refused at start, naming the path', () => {
  for (const sub of ['blobs', 'blobs/sha256']) {
    it(`${sub} writable by others, with a forged file planted under a digest's name`, async () => {
      writeFileSync(cached(), forged);
      chmodSync(join(dir, sub), 0o777);
      await expect(start()).rejects.toThrow(`cache.blobs.dir: ${join(dir, sub)} has mode 0777: chmod go-w it`);
      chmodSync(join(dir, sub), 0o775);
      await expect(start()).rejects.toThrow(`${join(dir, sub)} has mode 0775`);
    });
  }

  it('serve exits 2 with that one line, no stack', () => {
    chmodSync(join(dir, 'blobs', 'sha256'), 0o777);
    const config = join(tempDir('blob-trust-config'), 'mirrorgate.toml');
    writeFileSync(config, `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["${writeRules(mirrorRules(`${source.host}/ns`, [], []))}"]\n[cache.blobs]\ndir = "${dir}"\n`);
    const result = runCli(['serve', '--config', config]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 2,
      stderr: `mirrorgate: cache.blobs.dir: ${join(dir, 'blobs', 'sha256')} has mode 0777: chmod go-w it; every directory of the cache must belong to mirrorgate's user and not be writable by group or others (who can write there decides what is served under a digest)\n`,
    });
  });

  it('a subdirectory that is a symbolic link to a directory elsewhere', async () => {
    const elsewhere = join(tempDir('blob-trust-elsewhere'), 'sha256');
    mkdirSync(elsewhere, { mode: 0o700 });
    writeFileSync(join(elsewhere, hex), forged);
    rmSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    symlinkSync(elsewhere, join(dir, 'blobs', 'sha256'));
    await expect(start()).rejects.toThrow(`${join(dir, 'blobs', 'sha256')} is a symbolic link, not a directory`);
  });

  // Giving a directory to another user needs root; CI and this machine run the tests as root.
  it.runIf(process.getuid?.() === 0)('a subdirectory that belongs to another user', async () => {
    mkdirSync(join(dir, 'blobs', 'sha384'), { mode: 0o700 });
    chownSync(join(dir, 'blobs', 'sha384'), 65534, 65534);
    await expect(start()).rejects.toThrow(`${join(dir, 'blobs', 'sha384')} belongs to uid 65534`);
  });
});

describe('entries under a digest name', () => {
  it('a symbolic link is removed at start, never followed, even to genuine bytes: the blob comes from upstream', async () => {
    const outside = join(tempDir('blob-trust-outside'), 'copy');
    writeFileSync(outside, real, { mode: 0o600 });
    symlinkSync(outside, cached());
    const p = await start();
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
    const res = await p.get(path);
    expect(res.status).toBe(200);
    expect(res.body.equals(real)).toBe(true);
    expect(source.count(digest, 'GET')).toBe(1);
    await untilFillsEnded(p, 1);
    expect(lstatSync(cached()).isFile()).toBe(true);
    expect(readFileSync(outside).equals(real)).toBe(true);
  });

  it('files others may change, directories and FIFOs are removed at start, even with genuine content', async () => {
    writeFileSync(cached(), real, { mode: 0o600 });
    chmodSync(cached(), 0o664);
    const other = createHash('sha256').update('other').digest('hex');
    const fifo = createHash('sha256').update('fifo').digest('hex');
    mkdirSync(cached(other));
    execFileSync('mkfifo', [cached(fifo)]);
    const p = await start();
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
    expect((await p.get(path)).body.equals(real)).toBe(true);
    expect(source.count(digest, 'GET')).toBe(1);
    await untilFillsEnded(p, 1);
    expect(lstatSync(cached()).mode & 0o777).toBe(0o600);
  });
});

describe('a file found at start is hashed before its first use', () => {
  it('one that does not hash to its name (written while mirrorgate was down) is removed once and fetched from upstream', async () => {
    writeFileSync(cached(), forged, { mode: 0o600 });
    const p = await start();
    const bodies = await Promise.all([p.get(path), p.get(path, { range: 'bytes=0-9' }), p.get(path), p.get(path, {}, 'HEAD')]);
    expect(bodies.map((b) => b.status)).toEqual([200, 206, 200, 200]);
    expect(bodies[0]?.body.equals(real)).toBe(true);
    expect(bodies[1]?.body.equals(real.subarray(0, 10))).toBe(true);
    expect(bodies[3]?.headers['content-length']).toBe(String(real.length));
    expect(discarded(p)).toHaveLength(1);
    await untilFillsEnded(p, 1);
    expect(readFileSync(cached()).equals(real)).toBe(true);
    expect((await p.get(path)).headers['x-mirrorgate-served-by']).toBe('cache');
  });

  it('a genuine one is served from the file without upstream contact', async () => {
    writeFileSync(cached(), real, { mode: 0o600 });
    const p = await start();
    const [full, part] = await Promise.all([p.get(path), p.get(path, { range: 'bytes=5-14' })]);
    expect(full.body.equals(real)).toBe(true);
    expect(full.headers['x-mirrorgate-served-by']).toBe('cache');
    expect(part.body.equals(real.subarray(5, 15))).toBe(true);
    expect(source.count(digest, 'GET') + source.count(digest, 'HEAD')).toBe(0);
    expect(discarded(p)).toEqual([]);
    expect(existsSync(cached())).toBe(true);
  });
});

describe('what mirrorgate writes itself', () => {
  it('under a umask that lets the group write, the cache tree and its files are still private, so its blobs are served from the file', async () => {
    dir = join(tempDir('blob-trust-umask'), 'fresh');
    const before = process.umask(0o002);
    try {
      const p = await start();
      expect((await p.get(path)).body.equals(real)).toBe(true);
      await untilFillsEnded(p, 1);
    } finally {
      process.umask(before);
    }
    expect((await proxy!.get(path)).headers['x-mirrorgate-served-by']).toBe('cache');
    expect(source.count(digest, 'GET')).toBe(1);
    for (const d of [dir, join(dir, 'blobs'), join(dir, 'blobs', 'sha256'), join(dir, 'tmp')]) expect(lstatSync(d).mode & 0o777).toBe(0o700);
    expect(lstatSync(cached()).mode & 0o777).toBe(0o600);
  });
});
