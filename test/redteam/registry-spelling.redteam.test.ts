// Red team: one registry, many spellings. The route lower-cases the registry
// host so that every decision sees one form (src/core/oci/route.ts
// canonicalHost, host-case.test.ts), but the connection is made through
// WHATWG URL, which also canonicalises IPv4 spellings (127.1, 0x7f.0.0.1,
// 0177.0.0.1, 2130706433 -> 127.0.0.1) and ports (0P -> P). The rules match
// the spelling the client sent, the address filter (connect-guard.ts
// namedAs) matches URL.host: so in open mode `?ns=127.1:P` is a registry no
// rule names (NeverContactSource for 127.0.0.1:P/ns does not match it), and
// yet it connects to 127.0.0.1:P, which the rules name for another
// namespace, so the filter lets the connection through.
// Required: every spelling that reaches 127.0.0.1:P gets the rules of
// 127.0.0.1:P (or is refused): the source sees no connection at all.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(913);
let mirror: FakeRegistry;
let source: Server;
let connections: number;
let sourceHost: string;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  mirror = await fakeRegistry();
  pushImage(mirror, 'ns/app', image, 'v1');
  // The source: an HTTPS registry in real life; here a listener that only counts connections.
  connections = 0;
  source = createServer((s) => {
    connections++;
    s.on('error', () => {});
    s.destroy();
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  sourceHost = `127.0.0.1:${(source.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await new Promise<void>((resolve) => source.close(() => resolve()));
  await mirror.stop();
});

const rules = () =>
  `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${mirror.host}"]\n` +
  `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${sourceHost}/ns"\n    mirrors: ["${mirror.host}/ns"]\n    mirrorSourcePolicy: NeverContactSource\n` +
  // The same host named for another namespace (a mirror of a public source): a scoped
  // refusal leaves the host named (README, Upstream trust), so the filter lets it through.
  `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: other}\nspec:\n  imageDigestMirrors:\n  - source: "quay.io/other"\n    mirrors: ["${sourceHost}/other"]\n`;

const port = () => sourceHost.split(':')[1] as string;
const SPELLINGS: readonly [string, () => string][] = [
  ['port with a leading zero', () => `127.0.0.1:0${port()}`],
  ['short IPv4 127.1', () => `127.1:${port()}`],
  ['hex IPv4', () => `0x7f.0.0.1:${port()}`],
  ['octal IPv4', () => `0177.0.0.1:${port()}`],
  ['integer IPv4', () => `2130706433:${port()}`],
];

describe('open mode: NeverContactSource on 127.0.0.1:P/ns holds for every spelling of 127.0.0.1:P', () => {
  it('control: the canonical spelling goes to the mirror only', async () => {
    proxy = await startTestProxy({ 'rules.yaml': rules() }, { open: true });
    const res = await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${sourceHost}`);
    expect({ status: res.status, sourceConnections: connections }).toEqual({ status: 200, sourceConnections: 0 });
  });

  it.each(SPELLINGS)('%s: the source sees no connection', async (_name, spelling) => {
    proxy = await startTestProxy({ 'rules.yaml': rules() }, { open: true });
    const res = await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${spelling()}`);
    expect({ spelling: spelling(), sourceConnections: connections, servedBy: res.status === 200 ? res.headers['x-mirrorgate-served-by'] : 'not served' }).toEqual({
      spelling: spelling(),
      sourceConnections: 0,
      servedBy: res.status === 200 ? expect.stringContaining(mirror.host) : 'not served',
    });
  });
});

describe('closed mode: an odd spelling is not a registry the rules name', () => {
  it.each(SPELLINGS)('%s: the source sees no connection', async (_name, spelling) => {
    proxy = await startTestProxy({ 'rules.yaml': rules() });
    await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${spelling()}`);
    expect(connections).toBe(0);
  });
});

describe('open mode: a blocked registry (blockedRegistries, host also in upstream.allow as in host-case.test.ts) stays blocked in every spelling', () => {
  const blocked = () => `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["${sourceHost}"]\n`;

  it('control: the canonical spelling is refused, the source sees nothing', async () => {
    proxy = await startTestProxy({ 'rules.yaml': blocked() }, { open: true, allow: [sourceHost] });
    const res = await proxy.get(`/v2/ns/app/manifests/v1?ns=${sourceHost}`);
    expect({ status: res.status, sourceConnections: connections }).toEqual({ status: 403, sourceConnections: 0 });
  });

  it.each(SPELLINGS)('%s: refused, the source sees no connection', async (_name, spelling) => {
    proxy = await startTestProxy({ 'rules.yaml': blocked() }, { open: true, allow: [sourceHost] });
    const res = await proxy.get(`/v2/ns/app/manifests/v1?ns=${spelling()}`);
    expect({ spelling: spelling(), status: res.status, sourceConnections: connections }).toEqual({ spelling: spelling(), status: 403, sourceConnections: 0 });
  });
});
