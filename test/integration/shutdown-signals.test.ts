// Signals that arrive while `mirrorgate serve` is stopping (a pull still in
// flight): their default action would end the process without its 'exit'
// handlers, so the log lines still batched in the sink (log.flush_ms far
// longer than the test: only the exit flush writes them) would be lost. A
// SIGHUP is ignored; a second SIGTERM or SIGINT ends the process at once,
// through the exit flush (red team, issue 11 log sink, noticed item), with
// the status of a death by that signal (128 + its number), not 0: the pulls
// still in flight were cut, the stop was not clean.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { mirrorRules } from '../helpers/proxy.js';

const image = makeImage(52, [16 * 1024 * 1024]);
const layer = image.layers[0] as { digest: string };

let upstream: FakeRegistry | undefined;
let child: ChildProcess | undefined;
let dir: string | undefined;
let pulling: { destroy: () => void } | undefined;

afterEach(async () => {
  pulling?.destroy();
  await killServed(child);
  await upstream?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const readyz = async (admin: string) => {
  const res = await request(`${admin}/readyz`);
  await res.body.dump();
  return res.statusCode;
};

it.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)('a SIGHUP during shutdown is ignored, and a second signal (%s) ends the process through the exit flush, with status %i', async (second, status) => {
  upstream = await fakeRegistry();
  pushImage(upstream, 'ns/app', image, 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-shutdown-signals-'));
  const rules = mirrorRules(`${upstream.host}/ns`, [], [], { insecure: [upstream.host] });
  const config = writeServeConfig(dir, `[server]\nlisten = ["127.0.0.1:0"]\nshutdown_grace_ms = 60000\n[admin]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[upstream.aliases]\nsrc = "${upstream.host}"\n[log]\nlevel = "info"\nflush_ms = 10000\n`, rules);
  const started = await serveProcess(config);
  child = started.proc;
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const ping = await request(`${started.url}/v2/`, { headers: { 'x-request-id': 'before-stop' } });
  await ping.body.dump();

  // A pull in flight whose client stops reading: the graceful stop waits for it.
  const pull = await request(`${started.url}/v2/src/ns/app/blobs/${layer.digest}`);
  expect(pull.statusCode).toBe(200);
  pulling = pull.body;
  const body = pull.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  await body.next();

  child.kill('SIGTERM');
  await vi.waitFor(async () => expect(await readyz(started.admin as string)).toBe(503), { timeout: 5_000, interval: 20 });
  child.kill('SIGHUP');
  // Still stopping, not ended: the admin listener answers after the SIGHUP.
  expect(await readyz(started.admin as string)).toBe(503);
  child.kill(second);
  expect(await started.exited).toBe(status);
  expect(out).toContain('"reqId":"before-stop"');
});
