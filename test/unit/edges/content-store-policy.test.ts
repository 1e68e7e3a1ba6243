// The content store's policy check on its own (src/store/content-store.ts
// admit). The server's planFor refuses a denied plan first, so over sockets
// each check hides the other (the reload test fails only with both removed);
// here the store is asked directly: a plan that allows no endpoint never
// reaches a cache, for manifests and blobs alike.
import { describe, expect, it } from 'vitest';
import { compileRules, resolve } from '../../../src/core/index.js';
import type { Plan } from '../../../src/core/resolve/plan.js';
import type { BlobStore } from '../../../src/store/blobs.js';
import { ContentStore } from '../../../src/store/content-store.js';
import type { ManifestStore } from '../../../src/store/manifests.js';

function storeWithSpies() {
  const asked: string[] = [];
  const manifests = { get: async () => (asked.push('manifest'), { found: true }) } as unknown as ManifestStore;
  const blobs = { serve: async () => (asked.push('blob'), { served: true }) } as unknown as BlobStore;
  return { store: new ContentStore(manifests, blobs), asked };
}

// A real plan (no rules: the source itself), then the same with what the rules in force would change.
const allowed = resolve('src.example/ns/app:v1', compileRules([]));
const plan = (over: Partial<Plan>): Plan => ({ ...allowed, ...over });
// Async wrappers: the check may throw at once or reject; either way nothing is served.
const ask = (store: ContentStore, p: Plan) => ({
  manifest: async () => store.manifest(p, {} as never),
  blob: async () => store.blob(p, [], {} as never, {} as never, [], new AbortController().signal),
});

describe('content store policy check', () => {
  it.each([
    ['denied by the rules', plan({ denied: 'blocked by the image policy', endpoints: [] })],
    ['no endpoint left under the rules in force', plan({ endpoints: [] })],
  ])('%s: DENIED before any cache is consulted, manifests and blobs alike', async (_, p) => {
    const { store, asked } = storeWithSpies();
    await expect(ask(store, p).manifest()).rejects.toMatchObject({ code: 'DENIED' });
    await expect(ask(store, p).blob()).rejects.toMatchObject({ code: 'DENIED' });
    expect(asked).toEqual([]);
  });

  it('a plan that allows an endpoint reaches the stores', async () => {
    const { store, asked } = storeWithSpies();
    await ask(store, plan({})).manifest();
    await ask(store, plan({})).blob();
    expect(asked).toEqual(['manifest', 'blob']);
  });
});
