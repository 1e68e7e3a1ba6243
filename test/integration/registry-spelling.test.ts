// One registry, many spellings. The upstream URL reads 127.1, 0x7f.0.0.1,
// 0177.0.0.1 and 2130706433 as 127.0.0.1 and a port's leading zero away,
// while the rules match the host as written: `?ns=127.1:P` used to match no
// rule for 127.0.0.1:P (NeverContactSource, blockedRegistries) and connect
// there anyway, in open mode past the address filter, which knows the host
// by the URL's form (red-team finding). The route refuses such spellings,
// naming the form to write (src/core/reference/host-form.ts).
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
  // The source: a listener that only counts connections.
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

const neverContactSource = () =>
  `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${mirror.host}"]\n` +
  `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${sourceHost}/ns"\n    mirrors: ["${mirror.host}/ns"]\n    mirrorSourcePolicy: NeverContactSource\n` +
  // The same host named for another namespace: the address filter lets connections to it through.
  `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: other}\nspec:\n  imageDigestMirrors:\n  - source: "quay.io/other"\n    mirrors: ["${sourceHost}/other"]\n`;
const blocked = () => `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["${sourceHost}"]\n`;

const port = () => sourceHost.split(':')[1] as string;
const SPELLINGS: readonly [string, () => string][] = [
  ['port with a leading zero', () => `127.0.0.1:0${port()}`],
  ['short IPv4 127.1', () => `127.1:${port()}`],
  ['hex IPv4', () => `0x7f.0.0.1:${port()}`],
  ['octal IPv4', () => `0177.0.0.1:${port()}`],
  ['integer IPv4', () => `2130706433:${port()}`],
];

/** Status, OCI code and whether the message names the form to write; the source's connection count. */
async function pull(path: string) {
  const res = await (proxy as TestProxy).get(path);
  const error = res.status === 200 ? undefined : (JSON.parse(res.body.toString()) as { errors: { code: string; message: string }[] }).errors[0];
  return { status: res.status, code: error?.code, namesForm: error?.message.includes(`"${sourceHost}"`), sourceConnections: connections };
}
const refused = { status: 400, code: 'NAME_INVALID', namesForm: true, sourceConnections: 0 };

describe('a registry host spelled otherwise than the connection writes it', () => {
  it('control: the canonical spelling goes to the mirror only (NeverContactSource)', async () => {
    proxy = await startTestProxy({ 'rules.yaml': neverContactSource() }, { open: true });
    const res = await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${sourceHost}`);
    expect({ status: res.status, by: res.headers['x-mirrorgate-served-by'], sourceConnections: connections }).toEqual({ status: 200, by: expect.stringContaining(mirror.host), sourceConnections: 0 });
  });

  it.each(SPELLINGS)('open mode, NeverContactSource: %s is refused naming the form, the source sees no connection', async (_name, spelling) => {
    proxy = await startTestProxy({ 'rules.yaml': neverContactSource() }, { open: true });
    expect(await pull(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${spelling()}`)).toEqual(refused);
  });

  it.each(SPELLINGS)('closed mode: %s is refused, the source sees no connection', async (_name, spelling) => {
    proxy = await startTestProxy({ 'rules.yaml': neverContactSource() });
    expect(await pull(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${spelling()}`)).toEqual(refused);
  });

  it('control: a blocked registry (also in upstream.allow) is refused in its canonical spelling', async () => {
    proxy = await startTestProxy({ 'rules.yaml': blocked() }, { open: true, allow: [sourceHost] });
    expect(await pull(`/v2/ns/app/manifests/v1?ns=${sourceHost}`)).toMatchObject({ status: 403, sourceConnections: 0 });
  });

  it.each(SPELLINGS)('open mode, blockedRegistries: %s is refused, the source sees no connection', async (_name, spelling) => {
    proxy = await startTestProxy({ 'rules.yaml': blocked() }, { open: true, allow: [sourceHost] });
    expect(await pull(`/v2/ns/app/manifests/v1?ns=${spelling()}`)).toEqual(refused);
  });

  it('the path form is refused the same way', async () => {
    proxy = await startTestProxy({ 'rules.yaml': blocked() }, { open: true, allow: [sourceHost] });
    expect(await pull(`/v2/127.1:${port()}/ns/app/manifests/v1`)).toEqual(refused);
  });
});
