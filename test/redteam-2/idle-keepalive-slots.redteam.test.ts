// Finding: server.max_connections is filled by idle keep-alive connections.
// A client that sends one valid request on each of max_connections
// connections and then sits idle (renewing every < 75 s, the keep-alive
// timeout of src/server/listen.ts:77) is never cut by headers_timeout_ms
// (idle between requests, by design) and holds every slot: each new
// connection, every node's pulls, is closed unanswered (Node's `drop`).
// REQUIRED: at the limit an idle keep-alive connection gives way to a new
// one (nginx reuses idle keep-alive connections when it runs out,
// ngx_drain_connections), so a client holding idle sockets cannot lock
// everyone out.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-http.js';

let proxy: TestProxy | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy?.close();
  proxy = undefined;
});

/** A keep-alive connection that made one request, got its answer, and now sits idle. */
function idleAfterOneRequest(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    socket.once('error', reject);
    socket.once('data', () => resolve());
    socket.once('connect', () => socket.write('GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n'));
  });
}

describe('server.max_connections against idle keep-alive connections', () => {
  it('a new client is served while the slots are held by idle keep-alive connections', async () => {
    proxy = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { server: { listen: ['127.0.0.1:0'], max_connections: 3 } });
    for (let i = 0; i < 3; i++) await idleAfterOneRequest(proxy.url);
    const fresh = await rawRequest(proxy.url, 'GET /v2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 5_000);
    expect(fresh.status).toBe(200);
  });
});
