// Registry names differing only in case are one registry (RFC 4343): DNS and
// the address filter say so, and so must the rules. `?ns=LOCALHOST:P` used to
// be a registry no rule named, contacted directly in open mode although the
// rules blocked `localhost:P` or sent it only to mirrors (red-team finding).
// The route lower-cases the host before anything decides on it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(811);
let source: FakeRegistry;
let mirror: FakeRegistry;
let proxy: TestProxy | undefined;
/** localhost:PORT of the source, and the same in upper case. */
let name: string;
let upper: string;

beforeEach(async () => {
  [source, mirror] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(source, 'ns/app', image, 'v1');
  pushImage(mirror, 'ns/app', image, 'v1');
  name = source.host.replace('127.0.0.1', 'localhost');
  upper = name.toUpperCase();
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([source.stop(), mirror.stop()]);
});

const imageConfig = (extra = '') =>
  `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${name}", "${mirror.host}"]\n${extra}`;
const neverContactSource = () =>
  `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${name}/ns"\n    mirrors: ["${mirror.host}/ns"]\n    mirrorSourcePolicy: NeverContactSource\n`;

describe('registry names differing only in case', () => {
  it('open mode: a blocked registry stays blocked, and uncontacted, in any case', async () => {
    proxy = await startTestProxy({ 'rules.yaml': imageConfig(`    blockedRegistries: ["${name}"]\n`) }, { open: true, allow: [name] });
    const before = source.requests.length;
    const statuses = [];
    for (const spelling of [name, upper, `Localhost:${name.split(':')[1]}`]) {
      statuses.push((await proxy.get(`/v2/ns/app/manifests/v1?ns=${spelling}`)).status);
    }
    expect({ statuses, sourceContacted: source.requests.length - before }).toEqual({ statuses: [403, 403, 403], sourceContacted: 0 });
  });

  it.each([
    ['open', { open: true, allow: [] as string[] }],
    ['closed', {}],
  ])('%s mode: NeverContactSource holds for an upper-case spelling; the mirror serves', async (_mode, upstream) => {
    proxy = await startTestProxy({ 'rules.yaml': imageConfig() + neverContactSource() }, { ...upstream, allow: [name] });
    const before = source.requests.length;
    const res = await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${upper}`);
    expect({ status: res.status, sourceContacted: source.requests.length - before, by: res.headers['x-mirrorgate-served-by'] }).toEqual({
      status: 200,
      sourceContacted: 0,
      by: expect.stringContaining(mirror.host),
    });
  });
});
