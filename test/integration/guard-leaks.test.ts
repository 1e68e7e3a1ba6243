// The last-resort path leaves nothing held: when the request wrapper throws
// before its own try (here: the clock fails), the guard answers 500, and the
// in-flight gauge and the pull deadline timer are back where they were.
// Before, each such request left the gauge one higher for ever and a deadline
// timer (30 min by default, holding the request) pending. The child logger
// and the deadline timer are now made on first use, inside the try
// (server/request-lifetime.ts): a request that needs neither makes neither.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../src/server/app.js';
import type { AppDeps } from '../../src/server/request-context.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';

let server: Server | undefined;
afterEach(async () => {
  const open = server;
  server = undefined;
  if (open) await new Promise((r) => open.close(r));
});

/** Deps that count what the wrapper holds: the gauge's level, timers armed and cancelled. */
function countingDeps(fail: { child?: boolean; timer?: boolean; clock?: boolean }) {
  const held = { inFlight: 0, armed: 0, cancelled: 0, lines: [] as string[] };
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (held.lines.push(chunk.toString()), done()) });
  const root = createLogger('info', sink);
  const log = Object.create(root, {
    child: {
      // The access logger is a child made once with the handler; only a request's own child may break.
      value: (bindings: Record<string, unknown>) => {
        if (fail.child && bindings.reqId !== undefined) throw new Error('child logger broke');
        return root;
      },
    },
  }) as Logger;
  const timers = {
    now: () => 0,
    after: () => {
      if (fail.timer) throw new Error('timer broke');
      held.armed++;
      return () => void held.cancelled++;
    },
    afterPoll: () => () => {},
  };
  const deps = {
    settings: { defaultRegistry: 'docker.io', aliases: {}, dataPath: { pullDeadlineMs: 60_000 } },
    log,
    pull: {
      clock: {
        now: () => {
          if (fail.clock) throw new Error('clock broke');
          return 0;
        },
      },
      timers,
    },
    access: {},
    metrics: {
      inFlight: { inc: () => void held.inFlight++, dec: () => void held.inFlight-- },
      http: () => ({ requests: { inc: () => undefined }, duration: { observe: () => undefined }, responseSize: { observe: () => undefined } }),
    },
  } as unknown as AppDeps;
  return { deps, held };
}

async function start(deps: AppDeps): Promise<string> {
  server = createServer(createHandler(deps));
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a throw before the request wrapper’s try', () => {
  it.each([['the clock', { clock: true }, 'clock broke']])('in %s: 500, and the in-flight gauge and deadline timers are released', async (_name, fail, message) => {
    const { deps, held } = countingDeps(fail);
    const url = await start(deps);
    for (let i = 0; i < 3; i++) {
      const res = await request(`${url}/v2/`);
      expect(res.statusCode).toBe(500);
      await res.body.dump();
    }
    expect(held.inFlight).toBe(0);
    expect(held.cancelled).toBe(held.armed);
    expect(held.lines.filter((l) => l.includes('request handler failed') && l.includes(message))).toHaveLength(3);
  });
});

describe('the child logger and the deadline timer', () => {
  it.each([
    ['the child logger', { child: true }],
    ['the deadline timer', { timer: true }],
  ])('are not made for a request that needs neither: a ping is answered even when %s would throw', async (_name, fail) => {
    const { deps, held } = countingDeps(fail);
    const url = await start(deps);
    for (let i = 0; i < 3; i++) {
      const res = await request(`${url}/v2/`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    expect(held.inFlight).toBe(0);
    expect(held.armed).toBe(0);
    expect(held.lines.filter((l) => l.includes('"msg":"request"'))).toHaveLength(3);
  });
});
