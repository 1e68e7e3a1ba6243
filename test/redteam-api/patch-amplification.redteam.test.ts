// JSON Patch amplification: each "copy" of a container into itself doubles the document, so
// a body of a few hundred bytes asks for 2^n times the stored object. The patch is applied in
// full before anything looks at the size (patch.ts jsonPatch; builds.ts patchBuild): with ~30
// operations the process runs out of memory. The API server refuses a patch whose result is
// larger than its request-body limit with 413 (apiserver handlers/patch.go: "the patched
// object ... too large"), and caps JSON Patch at 10,000 operations.
// Only 17 doublings here (about 2^17 x the spec), enough to pass the 3 MiB limit, so the
// test machine is safe.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IDMS, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi({});
  expect((await h.call('POST', IDMS, idms('amp', 'quay.io/amp', ['m.example/amp']))).status).toBe(201);
});
afterAll(async () => {
  await h.close();
});

it('a JSON Patch whose result exceeds the body limit is 413, not materialised', async () => {
  const ops = Array.from({ length: 17 }, () => ({ op: 'copy', from: '/spec/imageDigestMirrors', path: '/spec/imageDigestMirrors/-' }));
  const body = JSON.stringify(ops);
  expect(body.length).toBeLessThan(2000);
  const res = await h.call('PATCH', `${IDMS}/amp`, ops, { contentType: 'application/json-patch+json' });
  expect(res.status).toBe(413);
});
