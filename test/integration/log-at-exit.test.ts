// Log lines go to stdout in batches (observability/line-sink.ts): a SIGTERM
// right after a burst of requests must still leave one access line per
// request on stdout when the process exits, and so must an uncaught error.
// The batches are flushed only at exit here (log.flush_ms far longer than
// the test), so the lines can arrive by no other way.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Client } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { mirrorRules } from '../helpers/proxy.js';

const REQUESTS = 500;
let upstream: FakeRegistry | undefined;
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await killServed(child);
  await upstream?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('every request answered before SIGTERM has its access line on stdout at exit', async () => {
  upstream = await fakeRegistry();
  pushImage(upstream, 'ns/app', makeImage(65), 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-log-exit-'));
  const rules = mirrorRules(`${upstream.host}/ns`, [], [], { insecure: [upstream.host] });
  const started = await serveProcess(writeServeConfig(dir, `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[upstream.aliases]\nsrc = "${upstream.host}"\n[log]\nlevel = "info"\nflush_ms = 10000\n`, rules));
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

it('an uncaught error still leaves every line logged before it on stdout', () => {
  const script = `
    import { createLogger } from './dist/observability/logger.js';
    const log = createLogger('info', undefined, 10000);
    for (let i = 0; i < 300; i++) log.info({ i }, 'line');
    setImmediate(() => { throw new Error('boom'); });
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('boom');
  const lines = result.stdout.split('\n').filter((l) => l.includes('"msg":"line"'));
  expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
});
