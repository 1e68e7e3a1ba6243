// Nothing is contacted that the rules don't name: a registry the rules name
// (127.0.0.1:PORT, loopback like every fake here) redirects or points its
// token realm at internal addresses; those get nothing, and the client learns
// nothing about them. Named means the rules' host:port: another port of the
// same loopback address is as internal as any other.
import { describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { challengingRegistry, hostileServer, internalService, INTERNAL_SECRET, redirectingRegistry, type HostileServer } from '../fakes/hostile.js';
import { credentialsFile, errorOf, useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();
const DIGEST = `sha256:${'ab'.repeat(32)}`;


async function proxyFor(source: HostileServer, upstream: Record<string, unknown> = {}): Promise<TestProxy> {
  const p = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, ...upstream });
  later(() => p.close());
  return p;
}

const attemptMessages = (p: TestProxy, path: string) => p.attemptsFor(path).flat().map((a) => a.message ?? '');

describe('redirects to internal addresses', () => {
  it.each([
    ['127.0.0.1 on a port the rules do not name', '127.0.0.1', (host: string) => host],
    ['[::1]', '::1', (host: string) => host],
    ['a name that resolves to loopback', '127.0.0.1', (host: string) => host.replace('127.0.0.1', 'localhost')],
    // IPv6 forms carrying 127.0.0.1: the mapped one reaches the IPv4 listener through the kernel.
    ['[::ffff:127.0.0.1] (IPv4-mapped)', '127.0.0.1', (host: string) => host.replace('127.0.0.1', '[::ffff:127.0.0.1]')],
    ['[::ffff:0:127.0.0.1] (IPv4-translated)', '127.0.0.1', (host: string) => host.replace('127.0.0.1', '[::ffff:0:127.0.0.1]')],
    ['[64:ff9b::7f00:1] (NAT64)', '127.0.0.1', (host: string) => host.replace('127.0.0.1', '[64:ff9b::7f00:1]')],
    ['[2002:7f00:1::] (6to4)', '127.0.0.1', (host: string) => host.replace('127.0.0.1', '[2002:7f00:1::]')],
  ] as const)('a 307 to %s is refused before connecting, and Range gets nothing of it', async (_name, address, named) => {
    const internal = await serve(internalService({ address }));
    const source = await serve(redirectingRegistry((path) => `http://${named(internal.host)}${path}`));
    const p = await proxyFor(source);
    const path = `/v2/src/ns/app/blobs/${DIGEST}`;
    const res = await p.get(path, { range: 'bytes=0-' });
    expect(res.status).toBe(502);
    expect(internal.requests).toHaveLength(0);
    const text = res.body.toString();
    expect(text).not.toContain(INTERNAL_SECRET);
    expect(text).not.toContain(internal.host);
    expect(errorOf(res.body).detail).toEqual([{ endpoint: `${source.host}/ns/app@${DIGEST}`, outcome: 'redirect', message: expect.stringContaining('another origin') }]);
    expect(attemptMessages(p, path).join()).toContain('loopback');
  });

  it('a 307 to the cloud metadata address (link-local) is refused by class, without a connection attempt', async () => {
    const source = await serve(redirectingRegistry(() => 'http://169.254.169.254/latest/meta-data/iam/'));
    const p = await proxyFor(source);
    const path = `/v2/src/ns/app/manifests/${DIGEST}`;
    const res = await p.get(path);
    expect(res.status).toBe(502);
    expect(res.body.toString()).not.toContain('169.254');
    expect(attemptMessages(p, path).join()).toContain('169.254.169.254 (link-local)');
  });

  it.each([
    [false, 'Teredo (set upstream.allow_teredo to allow)'],
    [true, 'loopback: 127.0.0.1 embedded as Teredo'],
  ])('a 307 to a Teredo address with upstream.allow_teredo = %s is refused: %s', async (allowTeredo, reason) => {
    // Server 127.0.0.1, client 8.8.8.8 (inverted): allowed Teredo is still judged by what it embeds.
    const source = await serve(redirectingRegistry(() => 'http://[2001:0:7f00:1::f7f7:f7f7]/x'));
    const p = await proxyFor(source, { allow_teredo: allowTeredo });
    const path = `/v2/src/ns/app/manifests/${DIGEST}`;
    expect((await p.get(path)).status).toBe(502);
    expect(attemptMessages(p, path).join()).toContain(reason);
  });

  it('a registry the rules block is named only to be refused: a redirect to it is filtered like any other', async () => {
    const internal = await serve(internalService());
    const source = await serve(redirectingRegistry((path) => `http://${internal.host}${path}`));
    const image = `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${source.host}"]\n    blockedRegistries: ["${internal.host}"]\n`;
    const p = await startTestProxy({ 'image.yaml': image }, { aliases: { src: source.host }, allow: [source.host] });
    later(() => p.close());
    expect((await p.get(`/v2/src/ns/app/manifests/${DIGEST}`)).status).toBe(502);
    expect(internal.requests).toHaveLength(0);
  });

  it('upstream.allow names an internal host:port, which may then be reached', async () => {
    const internal = await serve(internalService());
    const source = await serve(redirectingRegistry((path) => `http://${internal.host}${path}`));
    const p = await proxyFor(source, { allow: [internal.host] });
    // Reached, and refused for its bytes (they do not hash to the digest).
    expect((await p.get(`/v2/src/ns/app/manifests/${DIGEST}`)).status).toBe(502);
    expect(internal.requests).toHaveLength(1);
  });
});

describe('token realms at internal addresses', () => {
  it('a realm on an internal server receives nothing, not even the source credentials', async () => {
    const internal = await serve(internalService());
    const source = await serve(challengingRegistry(() => `http://${internal.host}/token`));
    const auth = credentialsFile(later, { [source.host]: { username: 'alice', password: 'source-secret' } });
    const p = await proxyFor(source, { credentials: auth });
    const res = await p.get('/v2/src/ns/app/manifests/v1');
    expect(res.status).toBe(403);
    expect(internal.requests).toHaveLength(0);
    expect(res.body.toString()).not.toContain(internal.host);
    expect(errorOf(res.body).detail[0]).toMatchObject({ outcome: 'auth', message: expect.stringContaining('token realm') });
  });
});

describe('error details are no port scanner', () => {
  it('a refused port and a hung server outside the plan give the client the same answer', async () => {
    const hung = await serve(hostileServer(() => {}));
    const targets: Record<string, string> = { [`sha256:${'1'.repeat(64)}`]: 'http://127.0.0.1:1/x', [`sha256:${'2'.repeat(64)}`]: `http://${hung.host}/x` };
    const source = await serve(redirectingRegistry((path) => targets[path.split('/').at(-1) as string] as string));
    // Both allowed past the address filter: what is compared is the failure's report, not the filter's.
    const p = await proxyFor(source, { allow: ['127.0.0.1:1', hung.host] });
    const [refused, timedOut] = await Promise.all(Object.keys(targets).map((d) => p.get(`/v2/src/ns/app/blobs/${d}`)));
    const shape = (body: Buffer) => {
      const e = errorOf(body);
      return { status: 0, code: e.code, detail: e.detail.map(({ outcome, status, message }) => ({ outcome, status, message })) };
    };
    expect({ ...shape((refused as { body: Buffer }).body), status: refused?.status }).toEqual({ ...shape((timedOut as { body: Buffer }).body), status: timedOut?.status });
    expect(hung.requests).toHaveLength(1);
    const logged = [...attemptMessages(p, `/v2/src/ns/app/blobs/sha256:${'1'.repeat(64)}`), ...attemptMessages(p, `/v2/src/ns/app/blobs/sha256:${'2'.repeat(64)}`)].join();
    expect(logged).toContain('ECONNREFUSED');
    expect(logged).toContain('TIMEOUT');
  });
});
