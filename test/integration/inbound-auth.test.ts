// Who may pull: htpasswd users and static tokens on the pull API, answered
// as registries answer (401 + WWW-Authenticate + UNAUTHORIZED), and admin
// tokens on /metrics and /status, over real sockets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const PULL_TOKEN = 'pull-token-0123456789abcdef';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const image = makeImage(3);

let source: FakeRegistry;
let dir: string;

beforeAll(async () => {
  source = await fakeRegistry();
  pushImage(source, 'ns/app', image, 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-auth-'));
  writeFileSync(join(dir, 'htpasswd'), `# users\nalice:${hashSync('s3cret:with:colons', 4)}\n`);
  writeFileSync(join(dir, 'tokens'), `${PULL_TOKEN} read-only ci\n`);
  writeFileSync(join(dir, 'admin-tokens'), `${ADMIN_TOKEN} read-only prometheus\n`);
});
afterAll(async () => {
  await source.stop();
  rmSync(dir, { recursive: true, force: true });
});

const manifestPath = () => `/v2/ns/app/manifests/v1?ns=${source.host}`;

describe('pull API with auth on', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), {}, {
      auth: { htpasswd: join(dir, 'htpasswd'), tokens: join(dir, 'tokens') },
      admin: { tokens: join(dir, 'admin-tokens') },
    });
  });
  afterAll(() => proxy.close());

  it.each([
    ['no credentials', {}],
    ['a wrong password', { authorization: basic('alice', 's3cret') }],
    ['an unknown user', { authorization: basic('bob', 's3cret:with:colons') }],
    ['a wrong bearer token', { authorization: `Bearer ${PULL_TOKEN}x` }],
    ['the admin token', { authorization: `Bearer ${ADMIN_TOKEN}` }],
    ['a malformed header', { authorization: 'Basic !!!' }],
  ])('%s: /v2/, manifests, blobs, tags and HEAD answer 401 with a Basic challenge, upstream untouched', async (_name, headers) => {
    const before = source.requests.length;
    for (const [path, method] of [
      ['/v2/', 'GET'],
      [manifestPath(), 'GET'],
      [manifestPath(), 'HEAD'],
      [`/v2/ns/app/blobs/${image.config.digest}?ns=${source.host}`, 'GET'],
      [`/v2/ns/app/tags/list?ns=${source.host}`, 'GET'],
    ] as const) {
      const res = await proxy.get(path, headers, method);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="mirrorgate", charset="UTF-8"');
      if (method === 'GET') expect(JSON.parse(res.body.toString()).errors[0].code).toBe('UNAUTHORIZED');
    }
    expect(source.requests.length).toBe(before);
  });

  it.each([
    ['an htpasswd user (password with colons)', basic('alice', 's3cret:with:colons')],
    ['a static token as bearer', `Bearer ${PULL_TOKEN}`],
    ['a static token as the Basic password, any user', basic('anyone', PULL_TOKEN)],
  ])('%s pulls', async (_name, authorization) => {
    expect((await proxy.get('/v2/', { authorization })).status).toBe(200);
    const res = await proxy.get(manifestPath(), { authorization });
    expect(res.status).toBe(200);
    expect(res.body.equals(image.manifest)).toBe(true);
  });

  it('the upstream never sees the client credentials', () => {
    expect(source.requests.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
  });

  it('no password or token in any log line', () => {
    const text = JSON.stringify(proxy.logs);
    for (const secret of ['s3cret', PULL_TOKEN, ADMIN_TOKEN, Buffer.from('alice:s3cret').toString('base64').slice(0, 12)]) expect(text).not.toContain(secret);
  });

  it('admin: /metrics and /status need an admin token; /healthz is open; /readyz is open without its details', async () => {
    for (const path of ['/metrics', '/status']) {
      const denied = await proxy.get(path, { authorization: `Bearer ${PULL_TOKEN}` });
      expect(denied.status, path).toBe(401);
      expect(denied.headers['www-authenticate']).toBe('Bearer realm="mirrorgate-admin"');
      expect((await proxy.get(path, { authorization: `Bearer ${ADMIN_TOKEN}` })).status, path).toBe(200);
    }
    expect((await proxy.get('/healthz')).status).toBe(200);
    const brief = await proxy.get('/readyz');
    expect(brief.status).toBe(200);
    expect(JSON.parse(brief.body.toString())).toEqual({ ready: true });
    const full = JSON.parse((await proxy.get('/readyz', { authorization: `Bearer ${ADMIN_TOKEN}` })).body.toString());
    expect(full.rules.generation).toBeTypeOf('number');
  });
});

describe('auth off (the default)', () => {
  it('anyone who reaches the port pulls, and the admin paths are open', async () => {
    const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []));
    try {
      expect((await proxy.get(manifestPath())).status).toBe(200);
      expect((await proxy.get('/metrics')).status).toBe(200);
      expect(JSON.parse((await proxy.get('/readyz')).body.toString()).rules).toBeDefined();
    } finally {
      await proxy.close();
    }
  });

  it('a named auth file that is missing or invalid stops start-up, naming the line and not the secret', async () => {
    await expect(startTestProxy(mirrorRules(`${source.host}/ns`, [], []), {}, { auth: { htpasswd: join(dir, 'absent') } })).rejects.toThrow(/cannot read: ENOENT/);
    writeFileSync(join(dir, 'bad-htpasswd'), 'carol:plaintext-password\n');
    const failure = startTestProxy(mirrorRules(`${source.host}/ns`, [], []), {}, { auth: { htpasswd: join(dir, 'bad-htpasswd') } });
    await expect(failure).rejects.toThrow(/line 1: the hash of "carol" is not bcrypt/);
    await expect(failure).rejects.not.toThrow(/plaintext-password/);
  });
});

describe('separate admin listener', () => {
  it('asks for the admin token there too', async () => {
    const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), {}, { admin: { listen: ['127.0.0.1:0'], tokens: join(dir, 'admin-tokens') } });
    try {
      const admin = proxy.proxy.adminUrls[0] as string;
      const denied = await fetch(`${admin}/metrics`);
      expect(denied.status).toBe(401);
      expect((await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });
});
