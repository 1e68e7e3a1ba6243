// Watches a client cannot turn into unbounded server memory: a watcher that stops reading is
// closed once it falls 1 MiB behind (the watch cache's "too slow" termination; the client
// re-watches from its last resourceVersion), and open watches are capped (429 past the cap).
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDMS, RW, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

let h: ApiHarness;
const sockets: Socket[] = [];
beforeEach(async () => {
  h = await startApi({});
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h.close();
});

interface RawWatch {
  readonly socket: Socket;
  received: number;
  ended: boolean;
  /** Resolves with the first bytes of the answer. */
  readonly head: Promise<string>;
}

/** A watch over a raw socket, so the test decides when (and whether) the client reads. */
async function rawWatch(): Promise<RawWatch> {
  const { hostname, port } = new URL(h.adminUrl);
  const socket = connect({ host: hostname, port: Number(port) });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET /${IDMS}?watch=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${RW}\r\n\r\n`);
  const w: RawWatch = { socket, received: 0, ended: false, head: new Promise((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString('latin1')))) };
  socket.on('data', (chunk: Buffer) => (w.received += chunk.length));
  socket.on('close', () => (w.ended = true));
  socket.on('error', () => {});
  return w;
}

const EVENT_BYTES = 200 * 1024;
const annotated = (i: number) => idms(`w${i}`, `quay.io/w${i}`, [`m.example/w${i}`], { annotations: { big: String(i).padEnd(EVENT_BYTES, 'x') } });

describe('rules API: watch limits', () => {
  it('a watcher that stops reading is closed once far behind; a reading watcher gets every event', async () => {
    const slow = await rawWatch();
    const fast = await rawWatch();
    expect(await slow.head).toMatch(/^HTTP\/1.1 200/);
    expect(await fast.head).toMatch(/^HTTP\/1.1 200/);
    slow.socket.pause();
    const writes = 60; // 60 x 200 KiB = 12 MiB of events
    for (let i = 0; i < writes; i++) expect((await h.call('POST', IDMS, annotated(i))).status).toBe(201);
    // Read what the server kept for the slow watcher: the stream ends short of the 12 MiB (the
    // server dropped it), where without the bound all of it arrives.
    slow.socket.resume();
    await new Promise<void>((resolve) => {
      const check = () => (slow.ended || slow.received >= writes * EVENT_BYTES ? resolve() : undefined);
      slow.socket.on('data', check).on('close', check);
      check();
    });
    expect(slow.received).toBeLessThan(writes * EVENT_BYTES);
    expect(slow.ended).toBe(true);
    // The reading watcher is still open and has had every event.
    expect(fast.ended).toBe(false);
    expect(fast.received).toBeGreaterThan(writes * EVENT_BYTES);
  });

  it('at most 256 watches are open at once; one more is 429 TooManyRequests, and a slot frees when one closes', async () => {
    const open = [];
    for (let i = 0; i < 256; i++) open.push(await rawWatch());
    for (const w of open) expect(await w.head).toMatch(/^HTTP\/1.1 200/);
    const refused = await rawWatch();
    expect(await refused.head).toMatch(/^HTTP\/1.1 429/);
    const first = open[0] as RawWatch;
    first.socket.destroy();
    // The server counts the watch closed on the socket's close; retry (bounded) until the slot is free.
    let again: RawWatch | undefined;
    for (let attempt = 0; attempt < 50 && !again; attempt++) {
      const w = await rawWatch();
      if ((await w.head).startsWith('HTTP/1.1 200')) again = w;
      else w.socket.destroy();
    }
    expect(again).toBeDefined();
  });
});
