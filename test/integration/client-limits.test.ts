// Clients that hold sockets (slowloris): a connection that does not send its
// request headers within server.headers_timeout_ms gets 408 and is closed,
// on the pull and the admin listener; past server.max_connections a new
// connection is closed at once while the ones held are still served.
// Idle keep-alive connections between requests are not cut by it, but at
// server.max_connections the one idle longest gives way to a new connection
// (red-team round 2, finding 6: idle sockets must not lock everyone out).
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-http.js';
import { makePki } from '../helpers/tls.js';

let proxy: TestProxy | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy?.close();
  proxy = undefined;
});

interface Held {
  readonly socket: Socket;
  /** Resolves with what the server sent once it closes the connection. */
  readonly closed: Promise<string>;
}

/** Connects and sends `text` (maybe part of a request, maybe nothing), then never sends more. */
function hold(url: string, text: string): Promise<Held> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const closed = new Promise<string>((done) => socket.on('close', () => done(got)));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      if (text) socket.write(text);
      resolve({ socket, closed });
    });
  });
}

const statusLine = (text: string) => text.split('\r\n')[0];

describe('server.headers_timeout_ms', () => {
  it('slow clients that never finish their headers are answered 408 and closed, on both listeners; others are served', async () => {
    proxy = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { server: { listen: ['127.0.0.1:0'], headers_timeout_ms: 200 }, admin: { listen: ['127.0.0.1:0'] } });
    const admin = proxy.proxy.adminUrls[0] as string;
    const partial = ['', 'GET /v2/ HTTP/1.1\r\nHost: a\r\n', 'GET /v2/src/ns/app/blobs/sha256:', 'G'];
    const held = await Promise.all([proxy.url, admin].flatMap((url) => partial.map((text) => hold(url, text))));
    const answers = await Promise.all(held.map((h) => h.closed));
    expect(answers.map(statusLine)).toEqual(held.map(() => 'HTTP/1.1 408 Request Timeout'));
    expect((await rawRequest(proxy.url, 'GET /v2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).status).toBe(200);
    expect((await rawRequest(admin, 'GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).status).toBe(200);
  });

  it('does not cut an idle keep-alive connection between requests', async () => {
    proxy = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { server: { listen: ['127.0.0.1:0'], headers_timeout_ms: 200 } });
    const idle = await hold(proxy.url, 'GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((answered) => idle.socket.once('data', answered));
    // Opened after the idle one's answer: when it is cut, the idle one has waited longer than the timeout.
    const slow = await hold(proxy.url, '');
    expect(statusLine(await slow.closed)).toBe('HTTP/1.1 408 Request Timeout');
    idle.socket.write('GET /v2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const both = await idle.closed;
    expect(both.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
  });
});

describe('server.max_connections', () => {
  it('a connection past the limit is closed at once, unanswered; the connections held are still served', async () => {
    proxy = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { server: { listen: ['127.0.0.1:0'], max_connections: 3 } });
    const held: Held[] = [];
    for (let i = 0; i < 3; i++) held.push(await hold(proxy.url, ''));
    const extra = await hold(proxy.url, 'GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await extra.closed).toBe('');
    const first = held[0] as Held;
    first.socket.write('GET /v2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(statusLine(await first.closed)).toBe('HTTP/1.1 200 OK');
  });

  it('at the limit, the idle keep-alive connection idle longest gives way to a new client', async () => {
    proxy = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { server: { listen: ['127.0.0.1:0'], max_connections: 3 } });
    const idle: Held[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await hold(proxy.url, 'GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n');
      await new Promise((answered) => h.socket.once('data', answered));
      idle.push(h);
    }
    const fresh = await rawRequest(proxy.url, 'GET /v2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 5_000);
    expect(fresh.status).toBe(200);
    // The first one idle was closed for it; the others are still open and served.
    expect(statusLine(await (idle[0] as Held).closed)).toBe('HTTP/1.1 200 OK');
    const last = idle[2] as Held;
    last.socket.write('GET /v2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect((await last.closed).match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
  });

  it('over HTTPS too, an idle keep-alive connection gives way to a new one', async () => {
    const pki = makePki();
    proxy = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { server: { listen: ['127.0.0.1:0'], max_connections: 2, tls_cert: pki.certFile, tls_key: pki.keyFile } });
    const { port } = new URL(proxy.url);
    const exchange = (text: string) =>
      new Promise<{ socket: Socket; closed: Promise<void> }>((resolve, reject) => {
        const socket = connectTls({ port: Number(port), host: '127.0.0.1', ca: pki.caPem }, () => socket.write(text));
        sockets.push(socket);
        const closed = new Promise<void>((done) => socket.once('close', () => done()));
        socket.once('error', reject);
        socket.once('data', () => resolve({ socket, closed }));
      });
    const first = await exchange('GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n');
    await exchange('GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n');
    const fresh = await exchange('GET /v2/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await fresh.closed;
    await first.closed;
    expect(first.socket.destroyed).toBe(true);
  });
});
