// Every kind of answer carries the request's X-Request-Id, and its access
// line counts the bytes the answer declared. The id is no longer set with
// setHeader at arrival but added by the one writeHead every answer goes
// through (server/answer-head.ts), so a path that wrote its head another way
// would answer without an id: each kind is asked here.
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { rawRequest } from '../helpers/raw-http.js';
import type { TestProxy } from '../helpers/proxy.js';
import { useOneSource } from '../helpers/one-source.js';

const image = makeImage(71);
let proxy: TestProxy;
useOneSource(image, (p) => (proxy = p));

const lineOf = (reqId: string) => proxy.logs.filter((l) => l.reqId === reqId && l.msg === 'request');
const manifest = '/v2/src/ns/app/manifests/v1';

describe('X-Request-Id and the declared bytes, on every kind of answer', () => {
  it.each([
    ['the ping', '/v2/', 'GET', 200],
    ['a manifest', manifest, 'GET', 200],
    ['a cached manifest', manifest, 'GET', 200],
    ['a manifest HEAD', manifest, 'HEAD', 200],
    ['a blob', `/v2/src/ns/app/blobs/${image.config.digest}`, 'GET', 200],
    ['an OCI error', '/v2/src/ns/app/manifests/missing', 'GET', 404],
    ['an unsupported method', manifest, 'DELETE', 405],
    ['an admin path', '/healthz', 'GET', 200],
    ['an admin path with a method it refuses', '/healthz', 'POST', 405],
  ] as const)('%s', async (what, path, method, status) => {
    const id = `head-${what.replaceAll(' ', '-')}`;
    const res = await proxy.get(path, { 'x-request-id': id }, method);
    expect(res.status).toBe(status);
    // Exact: a field sent twice would read 'id, id' (undici keeps repeats, the helper joins them).
    expect(res.headers['x-request-id']).toBe(id);
    // Admin paths log their access line at debug level, below this proxy's 'info'.
    if (!path.startsWith('/v2/')) expect(lineOf(id)).toEqual([]);
    else expect(lineOf(id)[0]?.bytes).toBe(method === 'HEAD' ? 0 : res.body.length);
    if (method !== 'HEAD') expect(Number(res.headers['content-length'])).toBe(res.body.length);
  });

  it('a request target that is not a URL', async () => {
    // Absolute-form: an origin-form `//x:99999/` is a path (origin-form-target.test.ts).
    const res = await rawRequest(proxy.url, 'GET http://x:99999/ HTTP/1.1\r\nHost: a\r\nX-Request-Id: head-target\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.headers['x-request-id']).toBe('head-target');
    expect(lineOf('head-target')[0]?.bytes).toBe(res.body.length);
  });
});
