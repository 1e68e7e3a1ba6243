// An origin-form request target is an absolute path (RFC 9112 §3.2.1), never
// a network-path reference: `GET //evil/v2/src/ns/app/manifests/v1` was read
// against a base URL, so `evil` became the authority and the request was
// served, and logged, as `/v2/src/ns/app/manifests/v1` (red team). Now it
// routes as the path it is (none: 404), reaches no upstream, and its access
// line names it as sent; the same image by its real path is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-http.js';

let source: FakeRegistry;
let proxy: TestProxy;

beforeAll(async () => {
  source = await fakeRegistry();
  source.putManifest('ns/app', Buffer.from('{"schemaVersion":2}'), 'application/vnd.oci.image.manifest.v1+json', 'v1');
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
});

afterAll(async () => {
  await proxy.close();
  await source.stop();
});

const get = (target: string) => rawRequest(proxy.url, `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
const loggedPaths = () => proxy.logs.filter((l) => l.msg === 'request').map((l) => l.path);

describe('origin-form targets that begin with //', () => {
  it.each(['//evil/v2/src/ns/app/manifests/v1', '/\\evil/v2/src/ns/app/manifests/v1'])('%s is a path: 404, no upstream contacted, logged as sent', async (target) => {
    proxy.logs.length = 0;
    const before = source.requests.length;
    expect((await get(target)).status).toBe(404);
    expect(source.requests.length).toBe(before);
    expect(loggedPaths()).toEqual([target.replace('\\', '/')]);
  });

  it('the same image by its real path is served (the control)', async () => {
    proxy.logs.length = 0;
    expect((await get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    expect(loggedPaths()).toEqual(['/v2/src/ns/app/manifests/v1']);
  });
});
