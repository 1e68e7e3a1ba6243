// What an upstream failure tells whom: the log keeps the upstream's own words
// (its OCI error body, read under a cap); the client gets mirrorgate's words
// only, and ones that say what to do (plain HTTP, DNS).
import { describe, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { hostileServer } from '../fakes/hostile.js';
import { errorOf, useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();
const RATE_LIMIT = '{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit. You may increase the limit by authenticating and upgrading"}]}';

async function proxyFor(rules: Record<string, string>, upstream: Record<string, unknown>): Promise<TestProxy> {
  const p = await startTestProxy(rules, upstream);
  later(() => p.close());
  return p;
}

describe('upstream error bodies', () => {
  it('reach the attempt record and the log, never the client', async () => {
    const source = await serve(hostileServer((_req, res) => void res.writeHead(429, { 'content-type': 'application/json' }).end(RATE_LIMIT)));
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const res = await p.get('/v2/src/ns/app/manifests/v1');
    expect(res.status).toBe(429);
    expect(res.body.toString()).not.toContain('pull rate limit');
    expect(errorOf(res.body).detail).toEqual([{ endpoint: `${source.host}/ns/app:v1`, outcome: 'status_429', status: 429 }]);
    expect(p.attemptsFor('/v2/src/ns/app/manifests/v1')[0]?.[0]?.message).toBe(`too many requests: ${JSON.parse(RATE_LIMIT).errors[0].code}: ${JSON.parse(RATE_LIMIT).errors[0].message}`);
  });

  it('are read under a cap and reduced to one line', async () => {
    const huge = `{"errors":[{"code":"UNKNOWN","message":"${'line\\n'.repeat(200_000)}"}]}`;
    const source = await serve(hostileServer((_req, res) => void res.writeHead(500).end(huge)));
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(502);
    const message = p.attemptsFor('/v2/src/ns/app/manifests/v1')[0]?.[0]?.message ?? '';
    expect(message.startsWith('upstream answered 500: {"errors"')).toBe(true);
    expect(message.length).toBeLessThan(600);
    expect(message).not.toContain('\n');
  });
});

describe('failures that say what to do', () => {
  it('a plain-HTTP registry not marked insecure: says so and names the setting', async () => {
    const source = await fakeRegistry();
    later(() => source.stop());
    const p = await proxyFor({ 'image.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n' }, { aliases: { src: source.host }, allow: [source.host] });
    const res = await p.get('/v2/src/ns/app/manifests/v1');
    expect(res.status).toBe(503);
    const [attempt] = errorOf(res.body).detail;
    expect(attempt?.outcome).toBe('tls');
    expect(attempt?.message).toContain('speaks plain HTTP');
    expect(attempt?.message).toContain('insecureRegistries');
    expect(res.body.toString()).not.toMatch(/SSL routines|wrong version/);
  });

  it('a host name that does not resolve is a DNS failure, not a refused connection', async () => {
    const source = await fakeRegistry();
    later(() => source.stop());
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, ['no-such-mirror.invalid/ns'], ['no-such-mirror.invalid/ns'], { never: true }), { aliases: { src: source.host } });
    const res = await p.get('/v2/src/ns/app/manifests/v1');
    expect(res.status).toBe(403);
    expect(errorOf(res.body).detail).toEqual([{ endpoint: 'no-such-mirror.invalid/ns/app:v1', outcome: 'dns', message: 'the host name did not resolve' }]);
  });
});
