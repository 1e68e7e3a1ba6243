// Red team: watched-file.ts remembers a failed load by the file's identity
// (inode, size, mtime, ctime) and does not read that identity again, which is
// right for a parse error (same bytes, same error) but not for an I/O error
// that says nothing about the file: EMFILE, ENFILE, EIO, ENOMEM. A client
// that holds the process's file descriptors (plain TCP connections, here)
// while the htpasswd file changes (a password rotation, a Secret update)
// makes the re-read fail with EMFILE; when the connections are gone, the
// file is never read again until someone changes it: every user is refused
// (401) and /readyz stays 503, so the client flipped readiness and locked
// everyone out for good with a burst that lasted a moment.
// Runs the built CLI (`npm run build` first) under `prlimit --nofile` so the
// descriptor limit is reachable with ~1,000 loopback connections.
// Required: once descriptors are free again, the changed file loads: the new
// password is accepted and /readyz answers 200.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const LIMIT = 1024;
let child: ChildProcess | undefined;
const flood: Socket[] = [];
afterEach(async () => {
  for (const s of flood.splice(0)) s.destroy();
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
  }
  child = undefined;
});

/** `mirrorgate serve` of the built CLI with at most LIMIT descriptors; resolves to its pull URL. */
function serveLimited(config: string, cwd: string): Promise<string> {
  const proc = spawn('prlimit', [`--nofile=${LIMIT}:${LIMIT}`, process.execPath, join(process.cwd(), 'dist/cli/main.js'), 'serve', '--config', config], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let out = '';
  return new Promise((resolve, reject) => {
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"mirrorgate listening"'));
      if (line) resolve((JSON.parse(line) as { urls: string[] }).urls[0] as string);
    });
    proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('an htpasswd re-read that fails for want of descriptors', () => {
  it('is retried once descriptors are free: the new password works and the replica is ready again', { timeout: 60_000 }, async () => {
    const dir = tempDir('redteam-auth-transient');
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'image.yaml'), 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n');
    writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync('old-password', 4)}\n`);
    writeFileSync(join(dir, 'mirrorgate.toml'), '[server]\nlisten = ["127.0.0.1:0"]\n[auth]\nhtpasswd = "htpasswd"\n[rules]\npaths = ["rules"]\n[log]\nlevel = "info"\n');
    const url = await serveLimited(join(dir, 'mirrorgate.toml'), dir);
    const { hostname, port } = new URL(url);
    const status = async (path: string, authorization?: string) => {
      const res = await request(`${url}${path}`, { headers: authorization ? { authorization } : {}, reset: true });
      await res.body.dump();
      return res.statusCode;
    };
    // One connection made before the burst, kept open, to ask during it.
    const held = connect(Number(port), hostname);
    await new Promise((r) => held.once('connect', r));
    flood.push(held);
    let answer = '';
    held.on('data', (c: Buffer) => (answer += c.toString()));
    const askHeld = async (authorization: string) => {
      answer = '';
      held.write(`GET /v2/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\n\r\n`);
      for (let i = 0; i < 500 && !answer.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
      return Number(answer.split(' ')[1]);
    };
    expect(await askHeld(basic('alice', 'old-password'))).toBe(200);

    // The password changes; a burst of connections takes every descriptor just then.
    writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync('new-password', 4)}\n`);
    let opened = 0;
    for (let i = 0; i < LIMIT + 100; i++) {
      const s = connect(Number(port), hostname);
      s.on('error', () => {});
      s.once('connect', () => opened++);
      flood.push(s);
    }
    for (let i = 0; i < 500 && opened < LIMIT - 64; i++) await new Promise((r) => setTimeout(r, 10));
    const during = await askHeld(basic('alice', 'new-password'));

    // The burst ends.
    for (const s of flood.splice(0)) s.destroy();
    const after: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after.push(await status('/v2/', basic('alice', 'new-password')));
    }
    expect({ during, after, readyz: await status('/readyz') }).toEqual({ during: expect.any(Number), after: [200, 200, 200, 200, 200], readyz: 200 });
  });
});
