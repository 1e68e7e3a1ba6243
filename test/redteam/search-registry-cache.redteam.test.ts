// Manifest cache keys vs unqualified names: an unqualified request is cached
// under `<default registry>/<name>` (server/handlers/manifests.ts
// repositoryKey uses route.registry, which for an unqualified name is the
// default registry), but its plan walks the search registries and may be
// served by another registry. A later FULLY QUALIFIED pull of
// <default registry>/<name>:tag is then answered from the cache with the
// other registry's manifest: the classic short-name squatting, now applied
// to clients that did qualify their names.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const squat = makeImage(851);
const genuine = makeImage(852);
let squatter: FakeRegistry; // first search registry
let home: FakeRegistry; // the default registry
let proxy: TestProxy | undefined;

beforeEach(async () => {
  [squatter, home] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(squatter, 'library/tool', squat, 'v1');
  pushImage(home, 'library/tool', genuine, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([squatter.stop(), home.stop()]);
});

describe('unqualified names and the manifest cache', () => {
  it('a qualified pull of the default registry is not answered with a search registry\'s manifest', async () => {
    const rules = `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${squatter.host}", "${home.host}"]\n`;
    const conf = `unqualified-search-registries = ["${squatter.host}", "${home.host}"]\n`;
    proxy = await startTestProxy({ 'image.yaml': rules, 'search.toml': conf }, { default_registry: home.host, aliases: { home: home.host } }, { cache: { max_bytes: 16 * 1024 * 1024 } });
    const short = await proxy.get('/v2/library/tool/manifests/v1');
    expect(short.headers['docker-content-digest']).toBe(squat.manifestDigest); // as CRI-O would resolve it
    const qualified = await proxy.get('/v2/home/library/tool/manifests/v1');
    expect({ digest: qualified.headers['docker-content-digest'], by: qualified.headers['x-mirrorgate-served-by'] }).toEqual({ digest: genuine.manifestDigest, by: expect.stringContaining(home.host) });
  });
});
