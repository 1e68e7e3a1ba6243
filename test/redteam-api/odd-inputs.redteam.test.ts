// Inputs a client controls that end in 500 InternalError (and an error log) instead of the
// API server's 4xx/2xx answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDMS, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi({});
});
afterAll(async () => {
  await h.close();
});

describe('names and bodies', () => {
  it('a valid 253-character name (RFC 1123 subdomain, accepted by kube) is created, not a 500', async () => {
    // 4 labels of 62 + 3 dots = 251, + ".ab" would exceed: build exactly 253.
    const label = 'a'.repeat(62);
    const name = `${label}.${label}.${label}.${label}.a`; // 62*4 + 4 + 1 = 253
    expect(name.length).toBe(253);
    const res = await h.call('POST', IDMS, idms(name, 'quay.io/long', ['m.example/long']));
    expect(res.status).not.toBe(500);
    expect([201, 422]).toContain(res.status);
  });

  it('a malformed percent-encoding in the name is 400/404, not a 500', async () => {
    const res = await h.call('GET', `${IDMS}/%E0%A4%A`);
    expect(res.status).not.toBe(500);
  });

  it('a YAML body with an alias is 400 BadRequest, not a 500', async () => {
    const body = 'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: alias}\nspec:\n  imageDigestMirrors:\n  - &m {source: quay.io/a, mirrors: [m.example/a]}\n  - *m\n';
    const res = await h.call('POST', IDMS, body, { contentType: 'application/yaml' });
    expect(res.status).toBe(400);
  });

  it('timeoutSeconds=abc is refused with 400, not a watch that ends at once', async () => {
    const res = await h.call('GET', `${IDMS}?watch=true&timeoutSeconds=abc`);
    expect(res.status).toBe(400);
  });
});
