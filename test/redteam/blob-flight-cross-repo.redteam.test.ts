// Coalescing: with the disk cache on, concurrent requests for one blob digest
// share one fill keyed by the digest alone (store/blobs.ts fromFill:
// flights.run(req.digest, …)), walking the FIRST requester's candidates. A
// client that asks for digest D through a registry that does not have it (or
// hangs) makes every concurrent request for D through other registries,
// which have it, fail with that registry's answer: one client can deny any
// blob whose digest it knows, to everyone, for as long as it keeps asking.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(821);
let empty: FakeRegistry; // named by the rules, does not hold the blob, answers slowly
let holder: FakeRegistry; // named by the rules, holds the blob
let proxy: TestProxy | undefined;
let dir: string;

beforeEach(async () => {
  [empty, holder] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(holder, 'ns/app', image, 'v1');
  empty.faults = { delayMs: 1500 };
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt-flight-'));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([empty.stop(), holder.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('blob single flight across registries', () => {
  it("a request through a registry without the blob does not fail another registry's pull of it", async () => {
    proxy = await startTestProxy(mirrorRules(`${holder.host}/ns`, [], [], { insecure: [empty.host] }), { aliases: { good: holder.host, other: empty.host } }, {
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir } },
    });
    const digest = image.layers[1]?.digest as string;
    const attacker = proxy.get(`/v2/other/ns/nothing/blobs/${digest}`);
    await new Promise((r) => setTimeout(r, 200)); // the attacker's fill is under way
    const victim = await proxy.get(`/v2/good/ns/app/blobs/${digest}`);
    const a = await attacker;
    expect(a.status).toBe(404);
    // Required: the victim's own plan (holder) serves it.
    expect({ status: victim.status, body: victim.body.equals(image.layers[1]?.content as Buffer) }).toEqual({ status: 200, body: true });
  });
});
