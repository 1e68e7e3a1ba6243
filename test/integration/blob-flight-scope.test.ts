// The disk cache's one fetch per blob is shared only by requests walking the
// same endpoints: a client asking for a digest through a registry that does
// not have it (or sits on the request) must not fail, or hold up, a pull of
// that digest through a registry that has it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { heldRegistry, type HeldRegistry } from '../fakes/held-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const image = makeImage(821);
const layer = image.layers[1] as { digest: string; content: Buffer };
let empty: FakeRegistry; // named by the rules, does not hold the blob
let holder: FakeRegistry; // named by the rules, holds the blob
let held: HeldRegistry; // `empty`, sitting on blob requests until released
let proxy: TestProxy | undefined;

beforeEach(async () => {
  [empty, holder] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(holder, 'ns/app', image, 'v1');
  held = await heldRegistry(empty.host, '/blobs/');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await held.close();
  await Promise.all([empty.stop(), holder.stop()]);
});

describe('blob single flight across registries', () => {
  it("a request through a registry without the blob neither fails nor holds up another registry's pull of it", async () => {
    proxy = await startTestProxy(mirrorRules(`${holder.host}/ns`, [], [], { insecure: [held.host] }), { aliases: { good: holder.host, other: held.host }, headers_timeout_ms: 10_000 }, {
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: tempDir('blob-flight') } },
    });
    const attacker = proxy.get(`/v2/other/ns/nothing/blobs/${layer.digest}`);
    await held.arrived; // the attacker's fill is under way, and stays so until released
    const victim = await proxy.get(`/v2/good/ns/app/blobs/${layer.digest}`);
    held.release();
    expect({ status: victim.status, whole: victim.body.equals(layer.content) }).toEqual({ status: 200, whole: true });
    expect(holder.count(`/blobs/${layer.digest}`, 'GET')).toBe(1);
    expect((await attacker).status).toBe(404);
  });
});
