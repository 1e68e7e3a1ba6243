// Pull auth with only one of its two files configured (auth.htpasswd alone,
// auth.tokens alone): either one alone turns auth on, also for a manifest
// already in the cache (server/auth/access.ts answers at once only when
// neither file is configured).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';

const PULL_TOKEN = 'pull-token-only-0123456789abcdef';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const image = makeImage(2);

let source: FakeRegistry;
let dir: string;

beforeAll(async () => {
  source = await fakeRegistry();
  pushImage(source, 'ns/app', image, 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-auth-one-'));
  writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync('s3cret', 4)}\n`);
  writeFileSync(join(dir, 'tokens'), `${PULL_TOKEN} read-only ci\n`);
});
afterAll(async () => {
  await source.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['auth.tokens alone', () => ({ tokens: join(dir, 'tokens') }), `Bearer ${PULL_TOKEN}`],
  ['auth.htpasswd alone', () => ({ htpasswd: join(dir, 'htpasswd') }), basic('alice', 's3cret')],
])('%s', (_name, auth, authorization) => {
  it('refuses a request without credentials, for a cached manifest too, and serves one with them', async () => {
    const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), {}, { auth: auth() });
    try {
      const path = `/v2/ns/app/manifests/v1?ns=${source.host}`;
      const served = await proxy.get(path, { authorization });
      expect(served.status).toBe(200);
      expect(served.body.equals(image.manifest)).toBe(true);
      const before = source.requests.length;
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await proxy.get(path, {}, method);
        expect(res.status, method).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Basic realm="mirrorgate", charset="UTF-8"');
        expect(res.body.includes(image.manifest)).toBe(false);
      }
      expect((await proxy.get('/v2/', {})).status).toBe(401);
      expect(source.requests.length).toBe(before);
    } finally {
      await proxy.close();
    }
  });
});
