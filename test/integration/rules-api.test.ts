// The rules API over a real socket: each verb, query parameter, error status
// and body, auth, dryRun, concurrent writers, and writes taking effect on
// pulls before the answer.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { sample } from '../helpers/prometheus.js';
import { IDMS, ITMS, RO, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

const FILE_RULES = {
  'a.yaml': 'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: fromfile}\nspec:\n  imageTagMirrors:\n  - source: quay.io/x\n    mirrors: [m.example/x]\n',
};

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi(FILE_RULES);
});
afterEach(async () => {
  await h.close();
});

const create = (name: string, source = `quay.io/${name}`, mirrors = [`m.example/${name}`]) => h.call('POST', IDMS, idms(name, source, mirrors));

describe('rules API: verbs', () => {
  it('create, get, list, replace, delete: objects with Kubernetes metadata, persisted one file per object', async () => {
    const created = await create('one');
    expect(created.status).toBe(201);
    const meta = created.json.metadata;
    // resourceVersion 1 went to the file object (read-only objects are versioned like the others).
    expect(meta).toMatchObject({ name: 'one', generation: 1, resourceVersion: '2' });
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(readFileSync(join(h.stateDir, 'imagedigestmirrorsets', 'one.yaml'), 'utf8')).toContain('source: quay.io/one');

    const got = await h.call('GET', `${IDMS}/one`);
    expect(got.json).toEqual(created.json);

    const list = await h.call('GET', IDMS);
    expect(list.json).toMatchObject({ kind: 'ImageDigestMirrorSetList', apiVersion: 'config.openshift.io/v1', metadata: { resourceVersion: '2' } });
    expect(list.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['one']);

    const next = { ...created.json, metadata: { ...created.json.metadata, labels: { team: 'a' } }, spec: { imageDigestMirrors: [{ source: 'quay.io/one', mirrors: ['m2.example/one'] }] } };
    const replaced = await h.call('PUT', `${IDMS}/one`, next);
    expect(replaced.status).toBe(200);
    expect(replaced.json.metadata).toMatchObject({ generation: 2, resourceVersion: '3', uid: meta.uid, labels: { team: 'a' } });
    const labelOnly = await h.call('PUT', `${IDMS}/one`, { ...replaced.json, metadata: { ...replaced.json.metadata, labels: { team: 'b' } } });
    expect(labelOnly.json.metadata.generation).toBe(2);

    const deleted = await h.call('DELETE', `${IDMS}/one`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', gracePeriodSeconds: 0 });
    expect(deleted.status).toBe(200);
    expect(deleted.json.metadata.name).toBe('one');
    expect(readdirSync(join(h.stateDir, 'imagedigestmirrorsets'))).toEqual([]);
    expect((await h.call('GET', `${IDMS}/one`)).status).toBe(404);
  });

  it('errors are Status objects with reason, code and details', async () => {
    await create('one');
    const missing = await h.call('GET', `${IDMS}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'imagedigestmirrorsets.config.openshift.io "nope" not found', reason: 'NotFound', details: { name: 'nope', group: 'config.openshift.io', kind: 'imagedigestmirrorsets' }, code: 404 });
    const again = await create('one');
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ reason: 'AlreadyExists', code: 409, message: 'imagedigestmirrorsets.config.openshift.io "one" already exists' });
    const stale = await h.call('PUT', `${IDMS}/one`, { ...idms('one', 'quay.io/one', ['m9.example/one']), metadata: { name: 'one', resourceVersion: '999' } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('the object has been modified') });
    const wrongName = await h.call('PUT', `${IDMS}/one`, idms('two', 'quay.io/one', []));
    expect(wrongName.status).toBe(400);
    expect(wrongName.json.reason).toBe('BadRequest');
    const badName = await h.call('POST', IDMS, idms('Bad_Name', 'quay.io/b', []));
    expect(badName.status).toBe(422);
    expect(badName.json.details.causes[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueInvalid' });
    // Names become file names in the state directory: nothing but an RFC 1123 subdomain gets there.
    for (const name of ['../../escape', '.hidden', 'a/b']) expect((await h.call('POST', IDMS, idms(name, 'quay.io/b', []))).status).toBe(422);
    expect(readdirSync(h.stateDir).sort()).toEqual(['imagecontentpolicies', 'imagecontentsourcepolicies', 'imagedigestmirrorsets', 'images', 'imagetagmirrorsets']);
    const noPath = await h.call('GET', 'apis/config.openshift.io/v1/nothings');
    expect(noPath.status).toBe(404);
    expect(noPath.json.kind).toBe('Status');
  });

  it('an invalid write is 422 with every cause, and changes neither the store nor the rules in force', async () => {
    const before = h.proxy.proxy.holder.generation;
    const bad = await h.call('POST', IDMS, idms('bad', 'quay.io/NOPE', ['*.x']));
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ reason: 'Invalid', code: 422, details: { name: 'bad', kind: 'ImageDigestMirrorSet', group: 'config.openshift.io' } });
    expect(bad.json.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.imageDigestMirrors[0].source', 'spec.imageDigestMirrors[0].mirrors[0]']);
    expect(bad.text).not.toContain(h.stateDir);
    expect(h.proxy.proxy.holder.generation).toBe(before);
    expect((await h.call('GET', IDMS)).json.items).toEqual([]);
  });

  it('a cross-object check counts: an Image blocking a source another object mirrors with NeverContactSource stays valid, a second Image is refused', async () => {
    const image = { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: { registrySources: { blockedRegistries: ['quay.io'] } } };
    expect((await h.call('POST', 'apis/config.openshift.io/v1/images', image)).status).toBe(201);
    const second = await h.call('POST', 'apis/config.openshift.io/v1/images', { ...image, metadata: { name: 'other' } });
    expect(second.status).toBe(422);
    expect(second.json.message).toContain('only one Image object may be given');
  });

  it('file objects are listed read-only; writing them is 403 naming the source by relative path; the same name through the API is refused', async () => {
    const list = await h.call('GET', ITMS);
    const file = list.json.items[0];
    expect(file.metadata.name).toBe('fromfile');
    expect(file.metadata.annotations['mirrorgate.io/read-only']).toBe('true');
    expect(file.metadata.annotations['mirrorgate.io/source']).toMatch(/^files:mirrorgate-it-[^/]+\/a\.yaml$/);
    const put = await h.call('PUT', `${ITMS}/fromfile`, file);
    expect(put.status).toBe(403);
    expect(put.json).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(put.json.message).toContain('read-only rule source');
    expect(put.text).not.toContain('/tmp/');
    expect((await h.call('DELETE', `${ITMS}/fromfile`)).status).toBe(403);
    expect((await h.call('POST', ITMS, { ...file, metadata: { name: 'fromfile' } })).status).toBe(403);
  });

  it('a rule-file edit is a change like any other: listed with a new resourceVersion, streamed to watchers', async () => {
    const before = (await h.call('GET', ITMS)).json.metadata.resourceVersion as string;
    writeFileSync(join(h.proxy.proxy.holder.paths[0] as string, 'a.yaml'), FILE_RULES['a.yaml'].replace('m.example/x', 'm2.example/x'));
    expect((await h.proxy.proxy.holder.reload(['files'])).ok).toBe(true);
    const after = await h.call('GET', ITMS);
    expect(after.json.items[0].spec.imageTagMirrors[0].mirrors).toEqual(['m2.example/x']);
    expect(Number(after.json.items[0].metadata.resourceVersion)).toBeGreaterThan(Number(before));
    const watched = await h.call('GET', `${ITMS}?watch=true&timeoutSeconds=1&resourceVersion=${before}`);
    expect(watched.text.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['MODIFIED']);
    rmSync(join(h.proxy.proxy.holder.paths[0] as string, 'a.yaml'));
    await h.proxy.proxy.holder.reload(['files']);
    expect((await h.call('GET', ITMS)).json.items).toEqual([]);
  });

  it('status subresource: PUT and PATCH change status only; the main resource ignores status', async () => {
    const img = { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {}, status: { internalRegistryHostname: 'ignored' } };
    const created = await h.call('POST', 'apis/config.openshift.io/v1/images', img);
    expect(created.json.status).toBeUndefined();
    const put = await h.call('PUT', 'apis/config.openshift.io/v1/images/cluster/status', { ...created.json, spec: { registrySources: { blockedRegistries: ['x.example'] } }, status: { internalRegistryHostname: 'r.example' } });
    expect(put.status).toBe(200);
    expect(put.json.status).toEqual({ internalRegistryHostname: 'r.example' });
    expect(put.json.spec).toEqual({});
    const patched = await h.call('PATCH', 'apis/config.openshift.io/v1/images/cluster/status', { status: { externalRegistryHostnames: ['e.example'] } }, { contentType: 'application/merge-patch+json' });
    expect(patched.json.status).toEqual({ internalRegistryHostname: 'r.example', externalRegistryHostnames: ['e.example'] });
    expect((await h.call('GET', 'apis/config.openshift.io/v1/images/cluster/status')).json.status.internalRegistryHostname).toBe('r.example');
  });

  it('delete collection removes the selected API objects and leaves file objects', async () => {
    await create('a');
    await h.call('POST', IDMS, idms('b', 'quay.io/b', ['m.example/b'], { labels: { keep: 'yes' } }));
    const res = await h.call('DELETE', `${IDMS}?labelSelector=!keep`);
    expect(res.status).toBe(200);
    expect(res.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['a']);
    expect((await h.call('GET', IDMS)).json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['b']);
  });
});

describe('rules API: patches', () => {
  beforeEach(async () => {
    await create('one');
  });

  it('merge, strategic (lists atomic) and JSON patch; generation moves with spec', async () => {
    const merge = await h.call('PATCH', `${IDMS}/one`, { metadata: { labels: { a: 'b' } } }, { contentType: 'application/merge-patch+json' });
    expect(merge.json.metadata).toMatchObject({ labels: { a: 'b' }, generation: 1 });
    const smp = await h.call('PATCH', `${IDMS}/one`, { spec: { imageDigestMirrors: [{ source: 'quay.io/one', mirrors: ['s.example/one'] }] } }, { contentType: 'application/strategic-merge-patch+json' });
    expect(smp.json.spec.imageDigestMirrors).toEqual([{ source: 'quay.io/one', mirrors: ['s.example/one'] }]);
    expect(smp.json.metadata.generation).toBe(2);
    const json = await h.call('PATCH', `${IDMS}/one`, [{ op: 'add', path: '/spec/imageDigestMirrors/0/mirrors/-', value: 't.example/one' }, { op: 'test', path: '/metadata/name', value: 'one' }], { contentType: 'application/json-patch+json' });
    expect(json.json.spec.imageDigestMirrors[0].mirrors).toEqual(['s.example/one', 't.example/one']);
    const failedTest = await h.call('PATCH', `${IDMS}/one`, [{ op: 'test', path: '/metadata/name', value: 'two' }], { contentType: 'application/json-patch+json' });
    expect(failedTest.status).toBe(422);
    const directive = await h.call('PATCH', `${IDMS}/one`, { spec: { $patch: 'replace' } }, { contentType: 'application/strategic-merge-patch+json' });
    expect(directive.status).toBe(400);
    const unknownType = await h.call('PATCH', `${IDMS}/one`, {}, { contentType: 'text/plain' });
    expect(unknownType.status).toBe(415);
    expect((await h.call('PATCH', `${IDMS}/missing`, {}, { contentType: 'application/merge-patch+json' })).status).toBe(404);
  });

  it('server-side apply records managers; a conflicting manager is 409 unless forced; apply creates', async () => {
    const apply = (manager: string, mirrors: string[], force = false) =>
      h.call('PATCH', `${IDMS}/applied?fieldManager=${manager}${force ? '&force=true' : ''}`, `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: applied}\nspec:\n  imageDigestMirrors:\n  - source: quay.io/applied\n    mirrors: ${JSON.stringify(mirrors)}\n`, { contentType: 'application/apply-patch+yaml' });
    const first = await apply('alice', ['a.example/x']);
    expect(first.status).toBe(201);
    expect(first.json.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'alice', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:imageDigestMirrors': {} } } })]);
    expect((await apply('alice', ['a2.example/x'])).status).toBe(200);
    const clash = await apply('bob', ['b.example/x']);
    expect(clash.status).toBe(409);
    expect(clash.json).toMatchObject({ reason: 'Conflict', details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.imageDigestMirrors' }] } });
    const sameValue = await apply('bob', ['a2.example/x']);
    expect(sameValue.status).toBe(200);
    const forced = await apply('bob', ['b.example/x'], true);
    expect(forced.status).toBe(200);
    expect(forced.json.spec.imageDigestMirrors[0].mirrors).toEqual(['b.example/x']);
    expect(forced.json.metadata.managedFields.map((m: { manager: string }) => m.manager)).toEqual(['bob']);
    const noManager = await h.call('PATCH', `${IDMS}/applied`, 'kind: ImageDigestMirrorSet\n', { contentType: 'application/apply-patch+yaml' });
    expect(noManager.status).toBe(400);
  });
});

describe('rules API: query parameters', () => {
  it('dryRun=All validates and answers without persisting; invalid dryRun values are 400', async () => {
    const dry = await h.call('POST', `${IDMS}?dryRun=All`, idms('dry', 'quay.io/d', ['m.example/d']));
    expect(dry.status).toBe(201);
    expect(dry.json.metadata.name).toBe('dry');
    expect((await h.call('GET', `${IDMS}/dry`)).status).toBe(404);
    expect(readdirSync(join(h.stateDir, 'imagedigestmirrorsets'))).toEqual([]);
    expect((await h.call('POST', `${IDMS}?dryRun=All`, idms('dry', 'quay.io/NOPE', []))).status).toBe(422);
    expect((await h.call('POST', `${IDMS}?dryRun=Some`, idms('dry', 'quay.io/d', []))).status).toBe(400);
    await create('real');
    expect((await h.call('DELETE', `${IDMS}/real?dryRun=All`)).status).toBe(200);
    expect((await h.call('GET', `${IDMS}/real`)).status).toBe(200);
  });

  it('fieldValidation: Strict lists every unknown and duplicate field, Warn sends Warning headers, Ignore drops silently', async () => {
    const body = '{"apiVersion":"config.openshift.io/v1","kind":"ImageDigestMirrorSet","metadata":{"name":"f"},"spec":{"imageDigestMirrors":[{"source":"quay.io/f","mirors":["x"]}],"extra":1},"spec":{"imageDigestMirrors":[{"source":"quay.io/f","mirors":["x"]}],"extra":1}}';
    const strict = await h.call('POST', `${IDMS}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.json.reason).toBe('BadRequest');
    expect(strict.json.message).toBe('strict decoding error: unknown field "spec.imageDigestMirrors[0].mirors", unknown field "spec.extra", duplicate field "spec"');
    const warn = await h.call('POST', `${IDMS}?fieldValidation=Warn`, body);
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toEqual(['299 - "unknown field \\"spec.imageDigestMirrors[0].mirors\\""', '299 - "unknown field \\"spec.extra\\""', '299 - "duplicate field \\"spec\\""']);
    expect(warn.json.spec).toEqual({ imageDigestMirrors: [{ source: 'quay.io/f' }] });
    const ignore = await h.call('PUT', `${IDMS}/f?fieldValidation=Ignore`, body);
    expect(ignore.status).toBe(200);
    expect(ignore.headers.warning).toBeUndefined();
    expect((await h.call('POST', `${IDMS}?fieldValidation=Loose`, body)).status).toBe(400);
    const typed = await h.call('POST', IDMS, { ...idms('t', 'quay.io/t', []), spec: { imageDigestMirrors: [{ source: 7 }] } });
    expect(typed.status).toBe(422);
    expect(typed.json.details.causes[0]).toMatchObject({ field: 'spec.imageDigestMirrors[0].source', reason: 'FieldValueTypeInvalid' });
  });

  it('fieldManager names the Update manager; pretty indents', async () => {
    const res = await h.call('POST', `${IDMS}?fieldManager=ci-bot&pretty=true`, idms('m', 'quay.io/m', []));
    expect(res.json.metadata.managedFields[0]).toMatchObject({ manager: 'ci-bot', operation: 'Update' });
    expect(res.text).toContain('\n  "apiVersion"');
  });

  it('labelSelector and fieldSelector filter lists', async () => {
    await h.call('POST', IDMS, idms('a', 'quay.io/a', [], { labels: { env: 'prod', tier: 'x' } }));
    await h.call('POST', IDMS, idms('b', 'quay.io/b', [], { labels: { env: 'dev' } }));
    await h.call('POST', IDMS, idms('c', 'quay.io/c', []));
    const names = async (q: string) => (await h.call('GET', `${IDMS}?${q}`)).json.items.map((o: { metadata: { name: string } }) => o.metadata.name);
    expect(await names('labelSelector=env%3Dprod')).toEqual(['a']);
    expect(await names('labelSelector=env!%3Dprod')).toEqual(['b', 'c']);
    expect(await names('labelSelector=env%20in%20(prod,dev),!tier')).toEqual(['b']);
    expect(await names('labelSelector=env')).toEqual(['a', 'b']);
    expect(await names('fieldSelector=metadata.name%3Dc')).toEqual(['c']);
    expect(await names('fieldSelector=metadata.name!%3Dc')).toEqual(['a', 'b']);
    expect((await h.call('GET', `${IDMS}?fieldSelector=spec.x%3Dy`)).status).toBe(400);
    expect((await h.call('GET', `${IDMS}?labelSelector=a%20%3E%3E%20b`)).status).toBe(400);
  });

  it('limit/continue pages over one consistent snapshot; resourceVersion/resourceVersionMatch; an expired token is 410', async () => {
    for (const n of ['a', 'b', 'c']) await create(n);
    const page1 = await h.call('GET', `${IDMS}?limit=2`);
    expect(page1.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['a', 'b']);
    expect(page1.json.metadata).toMatchObject({ resourceVersion: '4', remainingItemCount: 1 });
    await create('bb');
    await h.call('DELETE', `${IDMS}/c`);
    const page2 = await h.call('GET', `${IDMS}?limit=2&continue=${page1.json.metadata.continue}`);
    expect(page2.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['c']);
    expect(page2.json.metadata.continue).toBeUndefined();
    const exact = await h.call('GET', `${IDMS}?resourceVersion=3&resourceVersionMatch=Exact`);
    expect(exact.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['a', 'b']);
    expect((await h.call('GET', `${IDMS}?resourceVersion=99`)).status).toBe(504);
    expect((await h.call('GET', `${IDMS}?resourceVersionMatch=Exact`)).status).toBe(400);
    expect((await h.call('GET', `${IDMS}?continue=garbage`)).status).toBe(400);
  });
});

describe('rules API: authentication', () => {
  it('no token and a wrong token are 401 Status; read-only may read, not write (403); read-write may write', async () => {
    for (const token of [null, 'wrong-token-0123456789']) {
      const res = await h.call('GET', IDMS, undefined, { token });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    expect((await h.call('GET', 'apis', undefined, { token: null })).status).toBe(401);
    expect((await h.call('GET', IDMS, undefined, { token: RO })).status).toBe(200);
    const denied = await h.call('POST', IDMS, idms('x', 'quay.io/x', []), { token: RO });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect((await create('x')).status).toBe(201);
  });

  it('the token file is re-read when it changes: a removed token stops working', async () => {
    writeFileSync(h.tokensFile, `${RO} read-write promoted\n`);
    const deadline = Date.now() + 5_000;
    let status = 0;
    for (let i = 0; i < 100 && Date.now() < deadline; i++) {
      status = (await h.call('GET', IDMS)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    expect((await create('y', 'quay.io/y', ['m.example/y'])).status).toBe(401);
    expect((await h.call('POST', IDMS, idms('z', 'quay.io/z', []), { token: RO })).status).toBe(201);
  });
});

describe('rules API: concurrency', () => {
  it('two writers with the same resourceVersion: one wins, the other gets 409', async () => {
    const base = (await create('race')).json;
    const write = (mirror: string) => h.call('PUT', `${IDMS}/race`, { ...base, spec: { imageDigestMirrors: [{ source: 'quay.io/race', mirrors: [mirror] }] } });
    const results = await Promise.all([write('w1.example/race'), write('w2.example/race')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200);
    expect((await h.call('GET', `${IDMS}/race`)).json.spec).toEqual(winner?.json.spec);
  });
});

describe('rules API: application', () => {
  let mirror: FakeRegistry;
  let other: FakeRegistry;
  let source: FakeRegistry;
  const image = makeImage(91);

  beforeEach(async () => {
    await h.close();
    [mirror, other, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
    for (const r of [mirror, other]) pushImage(r, 'ns/app', image, 'v1');
    const hosts = [mirror, other, source].map((r) => `"${r.host}"`).join(', ');
    h = await startApi({ 'image.yaml': `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: [${hosts}]\n` }, { aliases: { src: source.host } });
  });
  afterEach(async () => {
    await Promise.all([mirror, other, source].map((r) => r.stop()));
  });

  it('an accepted write is in force for the next pull, and on /readyz and metrics, before the answer', async () => {
    const itms = (mirrorHost: string) => ({ apiVersion: 'config.openshift.io/v1', kind: 'ImageTagMirrorSet', metadata: { name: 'route' }, spec: { imageTagMirrors: [{ source: `${source.host}/ns`, mirrors: [`${mirrorHost}/ns`], mirrorSourcePolicy: 'NeverContactSource' }] } });
    const created = await h.call('POST', ITMS, itms(mirror.host));
    expect(created.status).toBe(201);
    const pull = async () => (await h.proxy.get('/v2/src/ns/app/manifests/v1')).headers['x-mirrorgate-served-by'];
    expect(await pull()).toContain(mirror.host);
    const moved = await h.call('PUT', `${ITMS}/route`, { ...itms(other.host), metadata: created.json.metadata });
    expect(moved.status).toBe(200);
    expect(await pull()).toContain(other.host);
    const ready = JSON.parse(await (await request(`${h.adminUrl}/readyz`)).body.text()) as { rules: { generation: number; objects: number } };
    expect(ready.rules).toMatchObject({ generation: 3, objects: 2 });
    const metrics = await (await request(`${h.adminUrl}/metrics`)).body.text();
    expect(sample(metrics, 'mirrorgate_rules_reloads_total', { result: 'ok' })).toBe(2);
    expect(source.requests.length).toBe(0);
  });
});
