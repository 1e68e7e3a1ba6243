// Two pulls of one repository share a token fetch (upstream/auth/tokens.ts,
// upstream/single-flight.ts) while the realm has not answered. The one whose
// client leaves ends then (its coalesced manifest fetch waits for its walk,
// which waited on the shared fetch); the other still gets its token, whoever
// started the fetch (before, the starter's leaving broke it for the joiner: 502).
import { expect, it, vi } from 'vitest';
import { request } from 'undici';
import { challengingRegistry, hostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();

it('a request that joined another\'s token fetch ends when its client leaves, while the fetch goes on', async () => {
  const realm = await serve(hostileServer(() => {}));
  const registry = await serve(challengingRegistry(() => `http://${realm.host}/token`));
  const p = await startTestProxy(mirrorRules(`${registry.host}/ns`, [], []), { aliases: { src: registry.host }, allow: [realm.host], pull_deadline_ms: 30_000, headers_timeout_ms: 60_000 });
  later(() => p.close());
  const first = new AbortController();
  void request(`${p.url}/v2/src/ns/app/manifests/v1`, { signal: first.signal }).catch(() => undefined);
  later(() => first.abort());
  await vi.waitFor(() => expect(realm.requests).toHaveLength(1), { timeout: 5_000, interval: 20 });
  const second = new AbortController();
  void request(`${p.url}/v2/src/ns/app/manifests/v2`, { signal: second.signal }).catch(() => undefined);
  // The second has met the challenge and joined the fetch: the realm still saw one request.
  await vi.waitFor(() => expect(registry.requests.filter((r) => r.url.endsWith('/v2'))).toHaveLength(1), { timeout: 5_000, interval: 20 });
  await new Promise((r) => setTimeout(r, 100));
  second.abort();
  const line = () => p.logs.find((l) => l.msg === 'request' && l.path === '/v2/src/ns/app/manifests/v2');
  await vi.waitFor(() => expect(line()).toMatchObject({ clientLeft: true }), { timeout: 5_000, interval: 20 });
  expect(realm.requests).toHaveLength(1);
  expect(p.logs.find((l) => l.msg === 'request' && l.path === '/v2/src/ns/app/manifests/v1')).toBeUndefined();
}, 30_000);

it('a request that joined another\'s token fetch still gets its token when the first one\'s client leaves', async () => {
  // The realm answers after a while: long enough for the first client to leave while both wait.
  const realm = await serve(hostileServer((_req, res) => void setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"slow-token","expires_in":300}'), 600)));
  const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:' + '0'.repeat(64) + '","size":2},"layers":[]}');
  const registry = await serve(
    hostileServer((req, res) => {
      if (req.headers.authorization !== 'Bearer slow-token') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${realm.host}/token",service="slow"` }).end();
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': manifest.length }).end(manifest);
    }),
  );
  const p = await startTestProxy(mirrorRules(`${registry.host}/ns`, [], []), { aliases: { src: registry.host }, allow: [realm.host] });
  later(() => p.close());
  const first = new AbortController();
  void request(`${p.url}/v2/src/ns/app/manifests/v1`, { signal: first.signal }).catch(() => undefined);
  await vi.waitFor(() => expect(realm.requests).toHaveLength(1), { timeout: 5_000, interval: 10 });
  const second = p.get('/v2/src/ns/app/manifests/v2');
  await vi.waitFor(() => expect(registry.requests.filter((r) => r.url.endsWith('/v2'))).toHaveLength(1), { timeout: 5_000, interval: 10 });
  first.abort();
  const res = await second;
  expect(res.status).toBe(200);
  expect(res.body.equals(manifest)).toBe(true);
  // One token fetch served both.
  expect(realm.requests).toHaveLength(1);
}, 30_000);
