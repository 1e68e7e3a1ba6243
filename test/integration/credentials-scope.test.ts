// Credentials stay with the registry they belong to: its origin (scheme, host,
// port) and its token realm. Redirect targets on other origins get no
// Authorization and cannot win it with a challenge of their own; Basic goes to
// a realm only over TLS, or in clear to the same insecure origin (host and port).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { makePki } from '../helpers/tls.js';
import { authorizations, challengingRegistry, hostileServer, type HostileServer } from '../fakes/hostile.js';
import { credentialsFile, useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();
const image = makeImage(81);
const layer = image.layers[0] as { digest: string; content: Buffer };
const basicOf = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;


async function proxyFor(rules: Record<string, string>, upstream: Record<string, unknown>): Promise<TestProxy> {
  const p = await startTestProxy(rules, upstream);
  later(() => p.close());
  return p;
}

describe('a redirect to another origin', () => {
  it.each([
    ['Basic', { basicAuth: { username: 'alice', password: 'source-secret' } }],
    ['Bearer token', { tokenAuth: { username: 'alice', password: 'source-secret' } }],
  ] as const)('carries no %s credentials, and its own 401 Bearer challenge wins nothing', async (_name, faults) => {
    // The other origin plays registry: it asks for a token from a realm of its own.
    const other: HostileServer = await serve(challengingRegistry((): string => `http://${other.host}/token`));
    const source = await serve(fakeRegistry());
    pushImage(source, 'ns/app', image, 'v1');
    source.faults = { ...faults, redirectBlobsTo: `http://${other.host}` };
    const auth = credentialsFile(later, { [source.host]: { username: 'alice', password: 'source-secret' } });
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, credentials: auth, allow: [other.host] });
    // A manifest first: the credentials (Basic memo or token) are then sent up front, and the blob's
    // redirect meets the other origin's 401 on the first try, where a challenge would be answered.
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    const res = await p.get(`/v2/src/ns/app/blobs/${layer.digest}`);
    expect(res.status).toBe(502);
    expect(other.requests.map((r) => r.url)).toEqual([`/v2/redirected/blobs/${layer.digest}`]);
    expect(authorizations(other)).toEqual([]);
    // The source saw only its own credentials or its own token, never one the other origin handed out.
    const atSource = source.requests.map((r) => r.headers.authorization).filter(Boolean);
    expect(atSource.every((a) => a === basicOf('alice', 'source-secret') || a === 'Bearer good-token')).toBe(true);
  });

  it('https -> http of the same host and port is another origin: no Authorization in clear', async () => {
    const pki = makePki();
    const creds = basicOf('alice', 'source-secret');
    const blob = (req: IncomingMessage, res: ServerResponse, self: HostileServer) => {
      if (req.socket.constructor.name !== 'TLSSocket') return void res.writeHead(404).end();
      if (req.headers.authorization !== creds) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="dual"' }).end();
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(307, { location: `http://${self.host}${req.url}` }).end();
    };
    const source = await serve(hostileServer(blob, { tls: { certFile: pki.certFile, keyFile: pki.keyFile }, dual: true }));
    const key = source.host.replace(':', '..');
    const rules = {
      'image.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  additionalTrustedCA: {name: cas}\n',
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas, namespace: openshift-config}\ndata:\n  ${key}: |\n${pki.caPem.replace(/^/gm, '    ')}`,
    };
    const auth = credentialsFile(later, { [source.host]: { username: 'alice', password: 'source-secret' } });
    const p = await proxyFor(rules, { aliases: { src: source.host }, allow: [source.host], credentials: auth });
    await p.get(`/v2/src/ns/app/blobs/${layer.digest}`);
    const plain = source.requests.filter((r) => r.scheme === 'http');
    expect(plain).toHaveLength(1);
    expect(plain[0]?.headers.authorization).toBeUndefined();
    expect(source.requests.some((r) => r.scheme === 'https' && r.headers.authorization === creds)).toBe(true);
  });
});

describe('Basic credentials to a token realm', () => {
  type Where = 'another host' | 'the same host name on another port' | 'the registry itself';
  const giveToken = (res: ServerResponse) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"realm-token","expires_in":300}');

  /** An insecure (plain HTTP) registry whose token realm is `where`; returns the Authorization headers the realm saw. */
  async function realmSaw(where: Where): Promise<string[]> {
    const other = await serve(hostileServer((_req, res) => giveToken(res)));
    const realmOf = (self: HostileServer) =>
      where === 'another host' ? `localhost:${other.host.split(':')[1]}` : where === 'the registry itself' ? self.host : other.host;
    const source = await serve(
      hostileServer((req, res, self) => {
        if (req.url?.startsWith('/token')) return giveToken(res);
        if (req.headers.authorization !== 'Bearer realm-token') {
          return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${realmOf(self)}/token",service="s"` }).end();
        }
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}');
      }),
    );
    const auth = credentialsFile(later, { [source.host]: { username: 'alice', password: 'source-secret' } });
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, credentials: auth, allow: [realmOf(source)] });
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(404);
    const asked = where === 'the registry itself' ? source.requests.filter((r) => r.url.startsWith('/token')) : other.requests;
    expect(asked).toHaveLength(1);
    return asked.flatMap((r) => (r.headers.authorization ? [r.headers.authorization] : []));
  }

  it.each(['another host', 'the same host name on another port'] as const)('go nowhere over plain HTTP when the realm is %s', async (where) => {
    expect(await realmSaw(where)).toEqual([]);
  });

  it('go over plain HTTP to the same insecure origin (host and port)', async () => {
    expect(await realmSaw('the registry itself')).toEqual([basicOf('alice', 'source-secret')]);
  });
});
