// Availability: a property of ONE piece of content that mirrorgate refuses
// ('invalid': a schema-1 manifest while upstream.allow_schema1 = false, a
// manifest over max_manifest_bytes or nested deeper than the JSON bound)
// counts as a failure of the whole ENDPOINT (pull/walk.ts:130
// ctx.health.failure(domain, 'invalid'); pull/health.ts:29 HEALTH_FAILURES
// includes 'invalid'). Anyone who can publish such an artifact on a shared
// registry (their own repo on docker.io/quay.io) and pull it through
// mirrorgate failure_threshold (3) times opens that registry's circuit: every
// other client's pulls from it fail with circuit_open for cool_down_ms,
// renewable at will. The registry answered promptly and correctly; it is not
// down. (With a single endpoint the walk tries open circuits anyway, so the
// effect is on plans with several endpoints: the healthy mirror is skipped and
// every client's traffic is steered to the next mirror or the source, e.g.
// into docker.io's rate limits.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage, OCI_MANIFEST } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { SCHEMA1_SIGNED, signedSchema1 } from '../helpers/schema1.js';

const image = makeImage(841);
let registry: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  [registry, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(registry, 'ns/app', image, 'v1');
  pushImage(source, 'ns/app', image, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([registry.stop(), source.stop()]);
});

describe("one client's content choice vs everyone's registry", () => {
  it('pulling a schema-1 image three times does not make the mirror skipped for other images', async () => {
    registry.putManifest('ns/old', signedSchema1({ name: 'ns/old', tag: 'v1' }).body, SCHEMA1_SIGNED, 'v1');
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${registry.host}/ns`], [`${registry.host}/ns`]), { aliases: { src: source.host } });
    for (let i = 0; i < 3; i++) expect((await proxy.get('/v2/src/ns/old/manifests/v1')).status).toBeGreaterThanOrEqual(400);
    const other = await proxy.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`);
    expect({ status: other.status, by: other.headers['x-mirrorgate-served-by'] }).toEqual({ status: 200, by: expect.stringContaining(registry.host) });
  });

  it('pulling an over-nested manifest three times does not make the mirror skipped for other images', async () => {
    const deep = Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    registry.putManifest('ns/deep', deep, OCI_MANIFEST, 'v1');
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${registry.host}/ns`], [`${registry.host}/ns`]), { aliases: { src: source.host } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await proxy.get('/v2/src/ns/deep/manifests/v1')).status);
    const other = await proxy.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`);
    expect({ status: other.status, by: other.headers['x-mirrorgate-served-by'], statuses }).toEqual({ status: 200, by: expect.stringContaining(registry.host), statuses });
  });

  it('pulling an oversized manifest three times does not make the mirror skipped for other images', async () => {
    const big = Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","annotations":{"x":"${'a'.repeat(100_000)}"}}`);
    registry.putManifest('ns/big', big, OCI_MANIFEST, 'v1');
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${registry.host}/ns`], [`${registry.host}/ns`]), { aliases: { src: source.host }, max_manifest_bytes: 65_536 });
    for (let i = 0; i < 3; i++) expect((await proxy.get('/v2/src/ns/big/manifests/v1')).status).toBeGreaterThanOrEqual(400);
    const other = await proxy.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`);
    expect({ status: other.status, by: other.headers['x-mirrorgate-served-by'] }).toEqual({ status: 200, by: expect.stringContaining(registry.host) });
  });
});
