// Request targets Node's HTTP parser accepts but WHATWG URL rejects
// (`http://x:99999/`, `http://[/`, `http://%/`): once they made the request handler reject
// unseen and `mirrorgate serve` exit (red-team finding "crash-invalid-url").
// Each is answered 400 on the pull and the admin listener (whose rules API
// hook had the same flaw), without credentials, and the process keeps
// serving. Plus the last-resort guard: a handler that fails outside its own
// error handling is answered 500 and leaves no rejected promise behind.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../src/server/app.js';
import type { AppDeps } from '../../src/server/request-context.js';
import { createLogger } from '../../src/observability/logger.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { rawRequest } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/temp.js';

// Absolute-form: an origin-form `//x:99999/` is a path (test/integration/origin-form-target.test.ts).
const TARGETS = ['http://x:99999/', 'http://[/', 'http://%/', 'http://x:99999/v2/', 'http://[/healthz', 'http://%/apis'];

let child: ChildProcess | undefined;
afterAll(async () => {
  await killServed(child);
});

/** The built CLI with a separate admin listener serving the rules API too, and authentication on for all three. */
async function serve(): Promise<{ url: string; admin: string }> {
  const dir = tempDir('malformed-target');
  writeFileSync(join(dir, 'tokens'), 'a-token-of-enough-length-0123456789 read-only\n');
  const config = writeServeConfig(
    dir,
    '[server]\nlisten = ["127.0.0.1:0"]\n[admin]\nlisten = ["127.0.0.1:0"]\ntokens = "tokens"\n[auth]\ntokens = "tokens"\n[api]\nenabled = true\nstate_dir = "state"\ntokens = "tokens"\n[rules]\npaths = ["rules"]\n[log]\nlevel = "info"\n',
    { 'image.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n' },
  );
  const started = await serveProcess(config, { cwd: dir });
  child = started.proc;
  return { url: started.url, admin: started.admin as string };
}

const get = (url: string, target: string, method = 'GET') => rawRequest(url, `${method} ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);

describe('request targets that are not URLs (mirrorgate serve)', () => {
  it('are answered 400 on both listeners (the rules API hook included), before authentication, and the process keeps serving', async () => {
    const { url, admin } = await serve();
    const statuses: Record<string, number> = {};
    for (const target of TARGETS) {
      for (const [name, listener] of [['pull', url], ['admin', admin]] as const) {
        const res = await get(listener, target);
        statuses[`${name} GET ${target}`] = res.status;
        expect(res.body.toString()).toBe('malformed request target\n');
        statuses[`${name} HEAD ${target}`] = (await get(listener, target, 'HEAD')).status;
      }
    }
    expect(Object.values(statuses)).toEqual(Object.values(statuses).map(() => 400));
    // Still up: a fresh connection to each listener is answered (a crash would refuse it).
    expect((await get(url, '/v2/')).status).toBe(401);
    expect((await get(admin, '/healthz')).status).toBe(200);
    expect((await get(admin, '/apis')).status).toBe(401);
    expect(child?.exitCode).toBeNull();
  });
});

describe('the last-resort guard around every request', () => {
  let server: Server | undefined;
  const rejections: unknown[] = [];
  const count = (reason: unknown) => rejections.push(reason);
  afterEach(async () => {
    process.off('unhandledRejection', count);
    const open = server;
    if (open) await new Promise((r) => open.close(r));
  });

  it('answers 500 once when the wrapper itself throws, logs it, and leaves no rejected promise', async () => {
    process.on('unhandledRejection', count);
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    // Deps whose clock fails: the very first thing the wrapper does, before its own try.
    const deps = { settings: { defaultRegistry: 'docker.io', aliases: {} }, log: createLogger('info', sink), pull: { clock: { now: () => { throw new Error('clock broke'); } } } } as unknown as AppDeps;
    server = createServer(createHandler(deps));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const answers = [await get(url, '/v2/'), await get(url, '/v2/', 'HEAD')];
    expect(answers.map((a) => [a.status, a.body.toString()])).toEqual([
      [500, '{"errors":[{"code":"UNKNOWN","message":"internal error"}]}'],
      [500, ''],
    ]);
    expect(lines.filter((l) => l.includes('request handler failed') && l.includes('clock broke'))).toHaveLength(2);
    // A rejection would be reported on a later turn: one macrotask is enough for Node to emit it.
    await new Promise((r) => setImmediate(r));
    expect(rejections).toEqual([]);
  });
});
