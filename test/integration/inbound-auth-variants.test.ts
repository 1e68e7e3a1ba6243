// Inbound auth against request variants a red team tried (all held): with
// htpasswd on, no unauthenticated method, path spelling or malformed
// Authorization reaches a pull route, and the upstream sees nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-http.js';
import { useCleanup } from '../helpers/trust.js';
import { tempDir } from '../helpers/temp.js';

const { later } = useCleanup();
const image = makeImage(831);

describe('inbound auth bypass attempts', () => {
  it('every variant without credentials is refused and the upstream sees nothing', async () => {
    const source = await fakeRegistry();
    later(() => source.stop());
    pushImage(source, 'ns/app', image, 'v1');
    const dir = tempDir('auth-variants');
    writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync('pw', 4)}\n`);
    const p = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { auth: { htpasswd: join(dir, 'htpasswd') } });
    later(() => p.close());
    const m = `src/ns/app/manifests/${image.manifestDigest}`;
    const paths = ['/v2', '/v2/', `/v2/${m}`, `//v2/${m}`, `/v2//${m}`, `/src/v2/ns/app/manifests/${image.manifestDigest}`, `/v2/ns/app/manifests/${image.manifestDigest}?ns=${source.host}`, `/v2/src/ns/app/blobs/${image.config.digest}`, '/v2/src/ns/app/tags/list', `/v2/src/ns/x/../app/manifests/${image.manifestDigest}`, `/v2/src%2Fns/app/manifests/v1`];
    const bad = ['Basic ', 'Basic Og==', 'Bearer ', 'basic YWxpY2U6', `Basic ${Buffer.from('alice:pw\n').toString('base64')}`, 'Basic YWxpY2U6cHc= extra'];
    for (const path of paths) {
      for (const method of ['GET', 'HEAD'] as const) {
        expect([path, method, (await p.get(path, {}, method)).status]).toEqual([path, method, 401]);
      }
      for (const authorization of bad) expect([path, authorization, (await p.get(path, { authorization })).status]).toEqual([path, authorization, 401]);
    }
    // Absolute-form request target.
    const abs = await rawRequest(p.url, `GET http://evil/v2/${m} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    expect(abs.status).toBe(401);
    expect(source.requests.filter((r) => r.url !== '/v2/')).toEqual([]);
  });
});
