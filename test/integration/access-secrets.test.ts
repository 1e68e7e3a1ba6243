// The access line is written without pino's redaction (a cost on every
// request, issue 11), so it must be built only from fields that cannot carry
// a credential: a client's Authorization header, a token in the query, a
// cookie or a registry auth header never reach any log line, and the access
// line holds only the fields server/access-line.ts names.
import { describe, expect, it, vi } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { createLogger } from '../../src/observability/logger.js';
import { Writable } from 'node:stream';
import type { TestProxy } from '../helpers/proxy.js';
import { useOneSource } from '../helpers/one-source.js';
import { rawRequest } from '../helpers/raw-http.js';

const image = makeImage(63);
const SECRET = 's3cr3t-7f1d9a';
const FIELDS = ['level', 'time', 'pid', 'hostname', 'service', 'msg', 'reqId', 'method', 'path', 'code', 'durationMs', 'bytes', 'client', 'userAgent', 'route', 'image', 'pullBy', 'plan', 'attempts', 'coalesced', 'servedBy', 'cache', 'denial', 'clientLeft'];
let proxy: TestProxy;
useOneSource(image, (p) => (proxy = p));

describe('secrets a client sends never reach the log', () => {
  it.each([
    ['a bearer token', '/v2/src/ns/app/manifests/v1', { authorization: `Bearer ${SECRET}` }],
    ['basic credentials', '/v2/src/ns/app/manifests/v1', { authorization: `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}` }],
    ['a token in the query', `/v2/src/ns/app/manifests/v1?token=${SECRET}&password=${SECRET}`, {}],
    ['a cookie and a registry auth header', '/v2/src/ns/app/manifests/v1', { cookie: `session=${SECRET}`, 'x-registry-auth': SECRET }],
    ['an error answer', `/v2/src/ns/app/manifests/missing?access_token=${SECRET}`, { authorization: `Bearer ${SECRET}` }],
    ['a refused path', `/v2/not-allowed.example/x/manifests/v1?token=${SECRET}`, { authorization: `Bearer ${SECRET}` }],
  ])('%s', async (_what, path, headers) => {
    const before = proxy.logs.length;
    const id = `secret-${proxy.logs.length}`;
    await proxy.get(path, { ...headers, 'x-request-id': id });
    await proxy.get(path, { ...headers, 'x-request-id': `${id}-again` }); // the second one may be a cache hit
    const lines = proxy.logs.slice(before);
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(JSON.stringify(lines)).not.toContain(Buffer.from(`user:${SECRET}`).toString('base64'));
    for (const line of lines.filter((l) => l.msg === 'request')) expect(Object.keys(line).filter((k) => !FIELDS.includes(k))).toEqual([]);
  });
});

describe('a request target that is not a URL', () => {
  // Node's parser admits an absolute-form target the URL parser refuses (`http://[::1/…`): the access line
  // keeps of it only what comes before its query (red-team finding: a token in that query was logged raw).
  it.each([
    ['its query', `http://[::1/v2/src/ns/app/manifests/v1?access_token=${SECRET}`, '/v2/src/ns/app/manifests/v1'],
    ['its fragment', `http://[::1/v2/src/ns/app/manifests/v1#${SECRET}`, '/v2/src/ns/app/manifests/v1'],
  ])('never puts %s (a token) in the access line', async (_what, target, kept) => {
    const before = proxy.logs.length;
    const res = await rawRequest(proxy.url, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(400);
    await vi.waitFor(() => expect(proxy.logs.slice(before).filter((l) => l.msg === 'request')).toHaveLength(1), { timeout: 5_000, interval: 20 });
    const lines = proxy.logs.slice(before);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(lines.find((l) => l.msg === 'request')?.path).toBe(`http://[::1${kept}`);
  });
});

describe('the root logger', () => {
  it('still redacts credential fields on every other line', () => {
    const out: string[] = [];
    const log = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (out.push(c.toString()), done()) }));
    log.info({ authorization: SECRET, headers: { authorization: SECRET }, upstream: { token: SECRET, password: SECRET } }, 'x');
    log.child({ reqId: 'r' }).warn({ token: SECRET }, 'y');
    expect(out).toHaveLength(2);
    expect(out.join('')).not.toContain(SECRET);
  });
});
