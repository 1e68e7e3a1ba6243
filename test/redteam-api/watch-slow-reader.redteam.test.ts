// A watch client that stops reading: every event is written to the response with no regard
// for backpressure (watch.ts line()), so the server buffers without bound for it. The API
// server bounds each watcher's buffer and closes a watcher that falls behind (cacher's
// cacheWatcher: a full input channel terminates it). Also: annotations over 256 KiB, which
// the API server refuses (ValidateAnnotationsSize, TotalAnnotationSizeLimitB = 256 KiB),
// are accepted and copied into every watcher's buffer.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDMS, RW, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';
import { pause, until } from '../fakes/hostile-kube-api.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi({});
});
afterAll(async () => {
  await h.close();
});

const big = (i: number) => ({ big: String(i).padEnd(300 * 1024, 'x') });

describe('watch and object size', () => {
  it('annotations larger than 256 KiB are refused (422)', async () => {
    const res = await h.call('POST', IDMS, idms('huge-annotations', 'quay.io/huge', ['m.example/huge'], { annotations: big(0) }));
    expect(res.status).toBe(422);
  });

  it('a watcher that never reads is closed once it is far behind, not buffered without bound', async () => {
    const { hostname, port } = new URL(h.adminUrl);
    const socket: Socket = connect({ host: hostname, port: Number(port) });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`GET /${IDMS}?watch=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${RW}\r\n\r\n`);
    let received = 0;
    let ended = false;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('close', () => (ended = true));
    await until(() => received > 0, 2000);
    socket.pause(); // the client stops reading
    const writes = 40; // 40 x 300 KiB = 12 MiB of events for this one watcher
    for (let i = 0; i < writes; i++) {
      const res = await h.call('POST', IDMS, idms(`w${i}`, `quay.io/w${i}`, [`m.example/w${i}`], { annotations: big(i) }));
      expect(res.status).toBe(201);
    }
    await pause(200);
    socket.resume();
    // Read whatever the server kept for us, bounded in time.
    await until(() => ended || received >= writes * 300 * 1024, 5000);
    socket.destroy();
    // Required: the server gave up on the slow watcher (the stream ended short of all 12 MiB).
    expect(received).toBeLessThan(writes * 300 * 1024);
  });
});
