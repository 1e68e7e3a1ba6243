import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { credentialsFrom } from '../../../src/upstream/auth/credentials.js';
import { classifyError, classifyStatus } from '../../../src/upstream/failure.js';
import { parseRetryAfter } from '../../../src/upstream/retry-after.js';
import { finalError, type AttemptRecord } from '../../../src/pull/attempts.js';
import { StreamVerifier, digestedBytes, manifestDigest } from '../../../src/pull/verify.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentials (auth.json / config.json)', () => {
  const lookup = credentialsFrom(
    JSON.stringify({
      auths: {
        'quay.io': { auth: b64('host:pw') },
        'quay.io/team': { auth: b64('team:pw') },
        'quay.io/team/app': { username: 'app', password: 'pw' },
        'https://index.docker.io/v1/': { auth: b64('hub:pw') },
        'reg.local:5000': { identitytoken: 'refresh' },
      },
    }),
    'auth.json',
  );
  it.each([
    ['quay.io', 'team/app', 'app'],
    ['quay.io', 'team/other', 'team'],
    ['quay.io', 'someone/else', 'host'],
    ['docker.io', 'library/busybox', 'hub'],
    ['registry-1.docker.io', 'library/busybox', 'hub'],
    ['reg.local:5000', 'x', '<token>'],
    ['ghcr.io', 'x', undefined],
  ])('%s/%s -> %s', (domain, path, user) => {
    expect(lookup({ domain, path })?.username).toBe(user);
  });

  it('names the file when it is not JSON', () => {
    expect(() => credentialsFrom('{', '/etc/auth.json')).toThrow('/etc/auth.json: invalid JSON');
  });
});

describe('failure classification', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'refused'],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'timeout'],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'timeout'],
    [{ code: 'UND_ERR_BODY_TIMEOUT' }, 'timeout'],
    [{ code: 'UND_ERR_SOCKET' }, 'refused'],
    [{ code: 'ENOTFOUND' }, 'dns'],
    [{ code: 'EAI_AGAIN' }, 'dns'],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'tls'],
    [{ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, 'tls'],
    [{ code: 'UND_ERR_ABORTED' }, 'aborted'],
    [{ cause: { code: 'ECONNRESET' } }, 'refused'],
  ])('%o -> %s', (err, kind) => {
    expect(classifyError(Object.assign(new Error('x'), err)).kind).toBe(kind);
  });

  it.each([
    [404, 'not_found'],
    [401, 'auth'],
    [403, 'auth'],
    [429, 'status_429'],
    [500, 'status_5xx'],
    [503, 'status_5xx'],
    [400, 'rejected'],
    [418, 'rejected'],
    [408, 'timeout'],
    [302, 'invalid'],
  ])('status %i -> %s', (status, kind) => {
    expect(classifyStatus(status).kind).toBe(kind);
  });

  it('reads Retry-After as seconds or a date against the wall clock, capped', () => {
    expect(parseRetryAfter('30', 0, 300_000)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4_000, 300_000)).toBe(6_000);
    expect(parseRetryAfter('Thursday, 01-Jan-70 00:00:10 GMT', 4_000, 300_000)).toBe(6_000);
    expect(parseRetryAfter('Thu Jan  1 00:00:10 1970', 4_000, 300_000)).toBe(6_000);
    expect(parseRetryAfter('100000000', 0, 300_000)).toBe(300_000);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', Date.UTC(2026, 0, 1), 300_000)).toBe(300_000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', Date.UTC(2026, 0, 1), 300_000)).toBe(0);
    expect(parseRetryAfter('soon', 0, 300_000)).toBeUndefined();
    expect(parseRetryAfter('2026-01-01', 0, 300_000)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0, 300_000)).toBeUndefined();
  });
});

describe('the final error of a walk', () => {
  const a = (outcome: AttemptRecord['outcome'], retryAfterMs?: number): AttemptRecord => ({ endpoint: 'e', host: 'h', role: 'mirror', outcome, ms: 1, ...(retryAfterMs ? { retryAfterMs } : {}) });
  it.each([
    [[a('not_found'), a('not_found')], 'MANIFEST_UNKNOWN', 404],
    [[a('refused'), a('not_found')], 'MANIFEST_UNKNOWN', 404],
    [[a('status_429', 3000), a('not_found')], 'TOOMANYREQUESTS', 429],
    [[a('busy', 1500)], 'TOOMANYREQUESTS', 429],
    [[a('auth'), a('auth')], 'DENIED', 403],
    [[a('timeout'), a('timeout')], 'GATEWAY_TIMEOUT', 504],
    [[a('refused'), a('tls'), a('timeout')], 'UNAVAILABLE', 503],
    [[a('dns'), a('refused')], 'UNAVAILABLE', 503],
    [[a('redirect'), a('not_found')], 'BAD_GATEWAY', 502],
    [[a('status_5xx'), a('not_found')], 'BAD_GATEWAY', 502],
    [[a('digest_mismatch')], 'BAD_GATEWAY', 502],
    [[], 'UNAVAILABLE', 503],
  ] as const)('%o -> %s', (attempts, code, status) => {
    const err = finalError(attempts, 'MANIFEST_UNKNOWN', 'x');
    expect([err.code, err.status]).toEqual([code, status]);
  });

  it('gives the client the public message of an attempt, never its log message', () => {
    const said: AttemptRecord = { ...a('status_5xx'), status: 500, message: 'upstream answered 500: INTERNAL: /srv/secret/path', publicMessage: undefined } as AttemptRecord;
    const redirected: AttemptRecord = { ...a('redirect'), message: 'redirect target http://10.0.0.1:6379: refused', publicMessage: 'a redirect failed' };
    expect(finalError([said, redirected], 'BLOB_UNKNOWN', 'x').detail).toEqual([
      { endpoint: 'e', outcome: 'status_5xx', status: 500 },
      { endpoint: 'e', outcome: 'redirect', message: 'a redirect failed' },
    ]);
  });

  it('asks the client to wait as long as the shortest Retry-After', () => {
    expect(finalError([a('status_429', 3000), a('busy', 9000)], 'BLOB_UNKNOWN', 'x').headers).toEqual({ 'retry-after': '3' });
  });
});

describe('digest verification', () => {
  it('hashes schema-1 signed manifests without their signatures (libtrust formatLength/formatTail)', () => {
    const payload = '{\n   "schemaVersion": 1,\n   "name": "ns/app",\n   "tag": "v1"\n}';
    const formatLength = payload.length - 2;
    const protectedHeader = Buffer.from(JSON.stringify({ formatLength, formatTail: Buffer.from('\n}').toString('base64url') })).toString('base64url');
    const signed = `${payload.slice(0, formatLength)},\n   "signatures": [{"header": {}, "signature": "x", "protected": "${protectedHeader}"}]\n}`;
    const type = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    expect(digestedBytes(Buffer.from(signed), type).toString()).toBe(payload);
    expect(manifestDigest(Buffer.from(signed), type)).toBe(`sha256:${createHash('sha256').update(payload).digest('hex')}`);
  });

  it('uses the algorithm of the requested digest', () => {
    const body = Buffer.from('{}');
    expect(manifestDigest(body, 'application/json', `sha512:${'0'.repeat(128)}`)).toBe(`sha512:${createHash('sha512').update(body).digest('hex')}`);
  });

  it('holds the last chunk back until the whole blob matched', async () => {
    const blob = Buffer.from('hello world');
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const v = new StreamVerifier(digest, blob.length);
    expect(v.push(blob.subarray(0, 5))).toBeUndefined();
    expect(v.push(blob.subarray(5))?.toString()).toBe('hello');
    expect((await v.finish())?.toString()).toBe(' world');
  });

  it.each([
    ['wrong bytes', Buffer.from('hello_world'), 11, 'does not match'],
    ['too short', Buffer.from('hello'), 11, 'ended after 5 of 11 bytes'],
    ['too long', Buffer.from('hello world!'), 11, 'longer than its 11 bytes'],
  ])('refuses %s', async (_name, bytes, size, message) => {
    const digest = `sha256:${createHash('sha256').update('hello world').digest('hex')}`;
    const v = new StreamVerifier(digest, size);
    await expect(async () => {
      v.push(bytes);
      await v.finish();
    }).rejects.toThrow(message);
  });
});
