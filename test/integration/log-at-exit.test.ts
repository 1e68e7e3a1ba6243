// The access log is written asynchronously (pino's default destination):
// a SIGTERM right after a burst of requests must still leave one access
// line per request on stdout when the process exits.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Client } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { serveProcess } from '../helpers/cli.js';
import { mirrorRules } from '../helpers/proxy.js';

const REQUESTS = 500;
let upstream: FakeRegistry | undefined;
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
  }
  await upstream?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('every request answered before SIGTERM has its access line on stdout at exit', async () => {
  upstream = await fakeRegistry();
  pushImage(upstream, 'ns/app', makeImage(65), 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-log-exit-'));
  mkdirSync(join(dir, 'rules'));
  for (const [name, text] of Object.entries(mirrorRules(`${upstream.host}/ns`, [], [], { insecure: [upstream.host] }))) writeFileSync(join(dir, 'rules', name), text);
  writeFileSync(join(dir, 'mirrorgate.toml'), `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[upstream.aliases]\nsrc = "${upstream.host}"\n[log]\nlevel = "info"\n`);
  const started = await serveProcess(join(dir, 'mirrorgate.toml'));
  child = started.proc;
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const client = new Client(started.url, { pipelining: 8 });
  const paths = Array.from({ length: REQUESTS }, (_, i) => (i % 2 === 0 ? '/v2/src/ns/app/manifests/v1' : '/v2/'));
  const codes = await Promise.all(
    paths.map(async (path) => {
      const res = await client.request({ path, method: 'GET' });
      await res.body.dump();
      return res.statusCode;
    }),
  );
  expect(codes.filter((c) => c === 200)).toHaveLength(REQUESTS);
  child.kill('SIGTERM');
  expect(await started.exited).toBe(0);
  await client.close();
  const lines = out.split('\n').filter((l) => l.includes('"msg":"request"'));
  expect(lines).toHaveLength(REQUESTS);
});
