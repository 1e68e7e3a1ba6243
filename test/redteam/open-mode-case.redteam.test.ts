// Policy in open mode (upstream.open = true): registry names are compared
// case-sensitively by the rules (blockedRegistries, IDMS/ITMS sources,
// NeverContactSource), but DNS is case-insensitive. `?ns=LOCALHOST:P` (or a
// path component like QUAY.IO) is a registry no rule names, so it is
// contacted directly although the rules block `localhost:P` or send it only
// to mirrors. Loopback needs upstream.allow to pass the address filter here;
// with a public registry (quay.io vs QUAY.IO) nothing else is needed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(811);
let source: FakeRegistry;
let mirror: FakeRegistry;
let proxy: TestProxy | undefined;
let name: string; // localhost:PORT of the source

beforeEach(async () => {
  [source, mirror] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(source, 'ns/app', image, 'v1');
  pushImage(mirror, 'ns/app', image, 'v1');
  name = source.host.replace('127.0.0.1', 'localhost');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([source.stop(), mirror.stop()]);
});

const image_ = (extra: string) =>
  `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${name}", "${name.toUpperCase()}", "${mirror.host}"]\n${extra}`;

describe('open mode: registry names differing only in case', () => {
  it('a blocked registry is reached by writing its name in upper case', async () => {
    proxy = await startTestProxy({ 'rules.yaml': image_(`    blockedRegistries: ["${name}"]\n`) }, { open: true, allow: [name] });
    const lower = await proxy.get(`/v2/ns/app/manifests/v1?ns=${name}`);
    expect(lower.status).toBe(403);
    const before = source.requests.length;
    const upper = await proxy.get(`/v2/ns/app/manifests/v1?ns=${name.toUpperCase()}`);
    expect({ status: upper.status, sourceContacted: source.requests.length > before }).toEqual({ status: 403, sourceContacted: false });
  });

  it('NeverContactSource is bypassed the same way', async () => {
    const idms = `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${name}/ns"\n    mirrors: ["${mirror.host}/ns"]\n    mirrorSourcePolicy: NeverContactSource\n`;
    proxy = await startTestProxy({ 'rules.yaml': image_('') + idms }, { open: true, allow: [name] });
    const before = source.requests.length;
    const res = await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${name.toUpperCase()}`);
    expect({ status: res.status, sourceContacted: source.requests.length > before, by: res.headers['x-mirrorgate-served-by'] }).toEqual({
      status: 200,
      sourceContacted: false,
      by: expect.stringContaining(mirror.host),
    });
  });
});
