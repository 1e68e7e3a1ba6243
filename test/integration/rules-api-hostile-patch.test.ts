// Hostile PATCH bodies from a read-write token holder: pointers and merge keys through
// "__proto__" / "constructor" must not reach Object.prototype (it is the whole process's: pull
// path, policy and auth included), and a JSON Patch that doubles the object with each "copy"
// is refused once its result passes the body limit, not materialised.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDMS, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const PROBE = 'mgPolluted';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({});
  expect((await h.call('POST', IDMS, idms('one', 'quay.io/one', ['m.example/one']))).status).toBe(201);
});
afterEach(async () => {
  for (const k of [PROBE, 'labels']) delete (Object.prototype as Record<string, unknown>)[k];
  await h.close();
});

const polluted = () => (({}) as Record<string, unknown>)[PROBE] !== undefined || (({}) as Record<string, unknown>).labels !== undefined;

describe('rules API: patches through the prototype', () => {
  const pointers = [`/__proto__/${PROBE}`, `/metadata/__proto__/labels`, `/constructor/prototype/${PROBE}`, `/metadata/constructor/prototype/${PROBE}`];
  for (const op of ['add', 'replace', 'remove', 'test']) {
    for (const path of pointers) {
      it(`JSON Patch ${op} ${path} is 400 and leaves Object.prototype alone`, async () => {
        const res = await h.call('PATCH', `${IDMS}/one`, [{ op, path, value: { tier: 'gold' } }], { contentType: JSON_PATCH });
        expect(res.status).toBe(400);
        expect(polluted()).toBe(false);
      });
    }
  }

  it('JSON Patch copy and move from or to a prototype path are 400', async () => {
    for (const [from, path] of [['/metadata/name', `/__proto__/${PROBE}`], ['/__proto__', '/metadata/x'], ['/metadata/name', `/metadata/__proto__/${PROBE}`]]) {
      for (const op of ['copy', 'move']) {
        const res = await h.call('PATCH', `${IDMS}/one`, [{ op, from, path }], { contentType: JSON_PATCH });
        expect(res.status, `${op} ${from} -> ${path}`).toBe(400);
      }
    }
    expect(polluted()).toBe(false);
  });

  it('a label on the prototype would select every object: a selector on a label nobody set selects none', async () => {
    expect((await h.call('POST', IDMS, idms('two', 'quay.io/two', ['m.example/two']))).status).toBe(201);
    await h.call('PATCH', `${IDMS}/one`, [{ op: 'add', path: '/metadata/__proto__/labels', value: { tier: 'gold' } }], { contentType: JSON_PATCH });
    const list = await h.call('GET', `${IDMS}?labelSelector=tier%3Dgold`);
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([]);
  });

  for (const contentType of [MERGE_PATCH, STRATEGIC]) {
    it(`${contentType} with a "__proto__" key is 400 and sets no field through the prototype`, async () => {
      const body = `{"metadata":{"__proto__":{"labels":{"tier":"gold"}}},"__proto__":{"${PROBE}":"yes"}}`;
      const res = await h.call('PATCH', `${IDMS}/one`, body, { contentType });
      expect(res.status).toBe(400);
      expect(polluted()).toBe(false);
      expect((await h.call('GET', `${IDMS}/one`)).json.metadata.labels).toBeUndefined();
    });
  }

  it('a created object with "__proto__" and "constructor" fields: unknown in spec, and never a prototype', async () => {
    const body = `{"apiVersion":"config.openshift.io/v1","kind":"ImageDigestMirrorSet","metadata":{"name":"proto","__proto__":{"labels":{"tier":"gold"}}},"spec":{"__proto__":{"x":1},"constructor":{"x":1},"imageDigestMirrors":[{"source":"quay.io/p","mirrors":["m.example/p"]}]}}`;
    const res = await h.call('POST', `${IDMS}?fieldValidation=Strict`, body);
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('unknown field "spec.__proto__"');
    expect(res.json.message).toContain('unknown field "spec.constructor"');
    const lenient = await h.call('POST', IDMS, body);
    expect(lenient.status).toBe(201);
    expect(lenient.json.metadata.labels).toBeUndefined();
    expect((await h.call('GET', `${IDMS}?labelSelector=tier%3Dgold`)).json.items).toEqual([]);
  });
});

describe('rules API: JSON Patch amplification', () => {
  const doubling = (n: number) => Array.from({ length: n }, () => ({ op: 'copy', from: '/spec/imageDigestMirrors', path: '/spec/imageDigestMirrors/-' }));

  it('a patch whose result passes the 3 MiB body limit is 413 and changes nothing', async () => {
    // 17 doublings of a ~60-byte list is ~8 MiB, from a body under 2 KB; 40 would be terabytes.
    for (const n of [17, 40]) {
      const ops = doubling(n);
      expect(JSON.stringify(ops).length).toBeLessThan(5000);
      const res = await h.call('PATCH', `${IDMS}/one`, ops, { contentType: JSON_PATCH });
      expect(res.status, `${n} doublings`).toBe(413);
      expect(res.json.reason).toBe('RequestEntityTooLarge');
    }
    expect((await h.call('GET', `${IDMS}/one`)).json.spec.imageDigestMirrors).toHaveLength(1);
  });

  it('more than 10,000 operations is 413; a few doublings within the limit are applied', async () => {
    const many = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/metadata/name', value: 'one' }));
    expect((await h.call('PATCH', `${IDMS}/one`, many, { contentType: JSON_PATCH })).status).toBe(413);
    const small = await h.call('PATCH', `${IDMS}/one`, doubling(3), { contentType: JSON_PATCH });
    expect(small.status).toBe(422); // the copied lists are not mirror entries: the patch applied, validation speaks
  });
});
