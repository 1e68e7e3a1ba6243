// Two pulls of one repository share a token fetch (upstream/auth/tokens.ts);
// the second's client leaves while the realm has not answered. Its request
// must end then: its coalesced manifest fetch waits for its walk to end
// before logging (store/single-flight.ts), and the walk waited on the shared
// token fetch, which ends only with the first request (its pull deadline).
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
