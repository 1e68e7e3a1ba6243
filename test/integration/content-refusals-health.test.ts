// One client's choice of content must not take a healthy registry out of
// everyone's plans (red-team finding: content opens the circuit). Content
// mirrorgate refuses by its own settings and bounds (schema 1, over
// max_manifest_bytes, nested past the JSON bound) is `declined` and leaves the
// endpoint's circuit alone; protocol breakage (bytes that are not the digest
// asked for) still opens it. Effects are counted, never timed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage, OCI_MANIFEST } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { SCHEMA1_SIGNED, signedSchema1 } from '../helpers/schema1.js';

const image = makeImage(841);
let mirror: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  [mirror, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(mirror, 'ns/app', image, 'v1');
  pushImage(source, 'ns/app', image, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([mirror.stop(), source.stop()]);
});

/** The mirror serves digest and tag pulls of the source; three failures would open a circuit. */
async function start(upstream: Record<string, unknown> = {}): Promise<TestProxy> {
  proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], [`${mirror.host}/ns`]),
    { aliases: { src: source.host }, ...upstream },
    { health: { failure_threshold: 3, cool_down_ms: 600_000 } },
  );
  return proxy;
}

describe('content mirrorgate declines does not count against the endpoint', () => {
  const deep = (schemaVersion: number) => Buffer.from(`{"schemaVersion":${schemaVersion},"mediaType":"${OCI_MANIFEST}","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
  const big = Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","annotations":{"x":"${'a'.repeat(100_000)}"}}`);
  const cases: [string, Buffer, string, Record<string, unknown>, string | undefined][] = [
    ['a schema-1 image', signedSchema1({ name: 'ns/bad', tag: 'v1' }).body, SCHEMA1_SIGNED, {}, 'schema-1 manifest refused'],
    ['a manifest over max_manifest_bytes', big, OCI_MANIFEST, { max_manifest_bytes: 65_536 }, 'larger than the 65536-byte limit'],
    ['a schema-1 manifest nested past the JSON bound', deep(1), SCHEMA1_SIGNED, { allow_schema1: true }, 'nests deeper than 64 levels'],
    ['an OCI manifest nested deeply (served: mirrorgate does not parse it)', deep(2), OCI_MANIFEST, {}, undefined],
  ];
  it.each(cases)('pulling %s three times leaves the mirror serving other images', async (_name, body, mediaType, upstream, refusal) => {
    mirror.putManifest('ns/bad', body, mediaType, 'v1');
    const p = await start(upstream);
    for (let i = 0; i < 3; i++) await p.get('/v2/src/ns/bad/manifests/v1');
    const first = p.attemptsFor('/v2/src/ns/bad/manifests/v1').map((walk) => walk[0]);
    if (refusal) expect(first).toEqual(Array(3).fill(expect.objectContaining({ outcome: 'declined', message: expect.stringContaining(refusal) })));
    else expect(first).toEqual(Array(3).fill(expect.objectContaining({ outcome: 'ok' })));
    const sourceBefore = source.count('/manifests/');
    const res = await p.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`);
    expect({ status: res.status, by: res.headers['x-mirrorgate-served-by'], sourceAsked: source.count('/manifests/') - sourceBefore }).toEqual({
      status: 200,
      by: expect.stringContaining(mirror.host),
      sourceAsked: 0,
    });
  });
});

describe('protocol breakage still counts', () => {
  it('a mirror serving bytes that are not the digest asked for is skipped after three of them', async () => {
    // Four images, each pulled once by digest: a digest that was served is asked of its server first (affinity).
    const images = [842, 843, 844, 845].map((seed) => makeImage(seed));
    for (const [i, img] of images.entries()) for (const r of [mirror, source]) pushImage(r, 'ns/app', img, `c${i}`);
    const p = await start();
    mirror.faults = { corrupt: true };
    const pull = (img: (typeof images)[number]) => p.get(`/v2/src/ns/app/manifests/${img.manifestDigest}`);
    for (const img of images.slice(0, 3)) expect((await pull(img)).headers['x-mirrorgate-served-by']).toContain(source.host);
    const mirrorBefore = mirror.count('/manifests/');
    const last = images[3] as (typeof images)[number];
    expect((await pull(last)).headers['x-mirrorgate-served-by']).toContain(source.host);
    const walks = images.map((img) => p.attemptsFor(`/v2/src/ns/app/manifests/${img.manifestDigest}`)[0]?.[0]?.outcome);
    expect({ walks, mirrorAsked: mirror.count('/manifests/') - mirrorBefore }).toEqual({ walks: ['digest_mismatch', 'digest_mismatch', 'digest_mismatch', 'circuit_open'], mirrorAsked: 0 });
  });
});
