// Affinity obeys the rules in force (issue 8): it reorders only endpoints the
// current rules name, only for digests the served manifest references; a
// reload that removes a mirror or sets NeverContactSource takes effect on the
// next request, counted at the fakes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(61);
const other = makeImage(62);
const layer = image.layers[0] as { digest: string; content: Buffer };
const otherLayer = other.layers[0] as { digest: string; content: Buffer };
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;

beforeEach(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  // m1 has every blob but not the tag, so the tag comes from m2 (or the source).
  for (const b of [...image.layers, image.config, ...other.layers, other.config]) m1.putBlob(b.content);
  for (const r of [m2, source]) {
    pushImage(r, 'ns/app', image, 'v1');
    pushImage(r, 'ns/app', other, 'v2');
  }
});
afterEach(async () => {
  await proxy?.close();
  await Promise.all([m1, m2, source].map((r) => r.stop()));
});

const rules = (mirrors: FakeRegistry[], never = false) => mirrorRules(`${source.host}/ns`, mirrors.map((m) => `${m.host}/ns`), mirrors.map((m) => `${m.host}/ns`), { never, insecure: [m1.host, m2.host] })['rules.yaml'] as string;
const reload = async (text: string) => {
  writeFileSync(join(proxy.proxy.holder.paths[0] as string, 'rules.yaml'), text);
  expect((await proxy.proxy.holder.reload()).ok).toBe(true);
};
const blob = (digest: string) => proxy.get(`/v2/src/ns/app/blobs/${digest}`);

describe('affinity', () => {
  it('sends the digests a served manifest references to the endpoint that served it, and no others', async () => {
    proxy = await startTestProxy({ 'rules.yaml': rules([m1, m2]) }, { aliases: { src: source.host } });
    expect((await proxy.get('/v2/src/ns/app/manifests/v1')).headers['x-mirrorgate-served-by']).toContain(m2.host);
    expect((await blob(layer.digest)).headers['x-mirrorgate-served-by']).toContain(m2.host);
    expect(m1.count(layer.digest)).toBe(0);
    // Another image of the same repository keeps the plan's order.
    expect((await blob(otherLayer.digest)).headers['x-mirrorgate-served-by']).toContain(m1.host);
    expect(m2.count(otherLayer.digest)).toBe(0);
  });

  it('a reload that removes the mirror that served the manifest: nothing more goes to it', async () => {
    proxy = await startTestProxy({ 'rules.yaml': rules([m1, m2]) }, { aliases: { src: source.host } });
    await proxy.get('/v2/src/ns/app/manifests/v1');
    await reload(rules([m1]));
    const before = m2.requests.length;
    expect((await blob(layer.digest)).status).toBe(200);
    expect((await proxy.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`)).status).toBe(200);
    expect(m2.requests.length).toBe(before);
  });

  it('a reload that sets NeverContactSource after the source served: nothing more goes to the source', async () => {
    m2.manifests.clear();
    proxy = await startTestProxy({ 'rules.yaml': rules([m1, m2]) }, { aliases: { src: source.host } });
    expect((await proxy.get('/v2/src/ns/app/manifests/v1')).headers['x-mirrorgate-served-by']).toContain(source.host);
    await reload(rules([m1, m2], true));
    const before = source.requests.length;
    expect((await blob(layer.digest)).status).toBe(200);
    expect(source.requests.length).toBe(before);
  });
});
