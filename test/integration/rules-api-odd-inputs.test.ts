// Client input that once ended in 500 InternalError: each is the client's error (4xx) or a
// valid request (2xx), as the API server answers it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDMS, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi({});
});
afterAll(async () => {
  await h.close();
});

const label = 'a'.repeat(62);

describe('rules API: names, bodies and parameters', () => {
  it('a valid 253-character name is created, read, persisted and deleted', async () => {
    const name = `${label}.${label}.${label}.${label}.a`;
    expect(name.length).toBe(253);
    const created = await h.call('POST', IDMS, idms(name, 'quay.io/long', ['m.example/long']));
    expect(created.status).toBe(201);
    expect((await h.call('GET', `${IDMS}/${name}`)).json.metadata.name).toBe(name);
    const dir = join(h.stateDir, 'imagedigestmirrorsets');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(Buffer.byteLength(files[0] as string)).toBeLessThanOrEqual(255);
    expect((await h.call('DELETE', `${IDMS}/${name}`)).status).toBe(200);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a name whose file name just fits (250 characters) keeps its plain file name', async () => {
    const name = `${label}.${label}.${label}.${label.slice(0, 59)}.a`;
    expect(name.length).toBe(250);
    expect((await h.call('POST', IDMS, idms(name, 'quay.io/fits', ['m.example/fits']))).status).toBe(201);
    expect(readdirSync(join(h.stateDir, 'imagedigestmirrorsets'))).toContain(`${name}.yaml`);
  });

  it('a malformed percent-encoding in the name is 400', async () => {
    const res = await h.call('GET', `${IDMS}/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(res.json.reason).toBe('BadRequest');
  });

  it('a YAML body with an alias is 400 BadRequest', async () => {
    const body = 'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: alias}\nspec:\n  imageDigestMirrors:\n  - &m {source: quay.io/a, mirrors: [m.example/a]}\n  - *m\n';
    const res = await h.call('POST', IDMS, body, { contentType: 'application/yaml' });
    expect(res.status).toBe(400);
    expect(res.json.reason).toBe('BadRequest');
  });

  for (const value of ['abc', '-1', '1.5', '1e3']) {
    it(`timeoutSeconds=${value} on a watch is 400`, async () => {
      const res = await h.call('GET', `${IDMS}?watch=true&timeoutSeconds=${value}`);
      expect(res.status).toBe(400);
      expect(res.json.message).toContain('timeoutSeconds');
    });
  }

  it('annotations over 256 KiB in total are 422 Invalid naming metadata.annotations; 256 KiB is accepted', async () => {
    const over = await h.call('POST', IDMS, idms('huge', 'quay.io/huge', ['m.example/huge'], { annotations: { a: 'x'.repeat(128 * 1024), b: 'x'.repeat(128 * 1024) } }));
    expect(over.status).toBe(422);
    expect(over.json.details.causes).toEqual([expect.objectContaining({ field: 'metadata.annotations', reason: 'FieldValueTooLong' })]);
    const at = await h.call('POST', IDMS, idms('at-limit', 'quay.io/at', ['m.example/at'], { annotations: { a: 'x'.repeat(128 * 1024 - 1), b: 'x'.repeat(128 * 1024 - 1) } }));
    expect(at.status).toBe(201);
    const patched = await h.call('PATCH', `${IDMS}/at-limit`, { metadata: { annotations: { c: 'xx' } } }, { contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(422);
  });
});
