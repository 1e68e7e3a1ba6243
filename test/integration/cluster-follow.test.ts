// Following a cluster (rules.kubernetes): mirrorgate lists and watches the
// rule kinds on a Kubernetes API server and routes pulls by them. The API
// server here is a fake of the list/watch protocol that goes down, comes back
// and forgets old events; the registries are fakes that count what they get.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { fakeKubeApi, type FakeKubeApi } from '../fakes/fake-kube-api.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { makePki, type TestPki } from '../helpers/tls.js';
import { tempDir } from '../helpers/temp.js';

const IDMS = '/apis/config.openshift.io/v1/imagedigestmirrorsets';
const IMAGES = '/apis/config.openshift.io/v1/images';
const SERVED = [IDMS, IMAGES, '/apis/config.openshift.io/v1/imagetagmirrorsets', '/api/v1/namespaces/openshift-config/configmaps'];
const image = makeImage(91);

let pki: TestPki;
let source: FakeRegistry;
let mirrorA: FakeRegistry;
let mirrorB: FakeRegistry;
let api: FakeKubeApi;
let proxy: TestProxy | undefined;

const idms = (name: string, mirror: FakeRegistry, never = false) => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name },
  spec: { imageDigestMirrors: [{ source: `${source.host}/ns`, mirrors: [`${mirror.host}/ns`], ...(never ? { mirrorSourcePolicy: 'NeverContactSource' } : {}) }] },
});
const insecureAll = () => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'Image',
  metadata: { name: 'cluster' },
  spec: { registrySources: { insecureRegistries: [source.host, mirrorA.host, mirrorB.host] } },
});

/** Polls `check` until it holds (bounded: 100 × 50 ms); the follower applies changes asynchronously. */
async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

const pull = () => proxy!.get(`/v2/${source.host}/ns/app/manifests/${image.manifestDigest}`);
const servedBy = async () => (await pull()).headers['x-mirrorgate-served-by'] ?? '';
const ready = async () => (await proxy!.get('/readyz')).status === 200;
const metric = async (line: string) => (await proxy!.get('/metrics')).body.toString().includes(line);

function follow(): Promise<TestProxy> {
  return startTestProxy({}, { affinity_ttl_ms: 1 }, { rules: { paths: [tempDir('no-rule-files')], kubernetes: api.kubeconfig } });
}

beforeAll(async () => {
  pki = makePki();
  [source, mirrorA, mirrorB] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [source, mirrorA, mirrorB]) pushImage(r, 'ns/app', image, 'v1');
});
afterAll(async () => Promise.all([source, mirrorA, mirrorB].map((r) => r.stop())));
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await api?.stop();
});

describe('following a cluster', () => {
  it('routes by the cluster objects, and by their changes as the watch reports them', async () => {
    api = await fakeKubeApi(pki, SERVED);
    api.put(IMAGES, insecureAll());
    api.put(IDMS, idms('to-a', mirrorA));
    proxy = await follow();
    expect(await ready()).toBe(true);
    expect(await servedBy()).toContain(mirrorA.host);

    api.remove(IDMS, 'to-a');
    api.put(IDMS, idms('to-b', mirrorB, true));
    await eventually(async () => (await servedBy()).includes(mirrorB.host), 'the pull follows the new IDMS');
    const readyz = JSON.parse((await proxy.get('/readyz')).body.toString()) as { rules: { cluster: { synced: boolean; connected: boolean; resources: { kind: string; absent: boolean }[] } } };
    expect(readyz.rules.cluster).toMatchObject({ synced: true, connected: true });
    // Kinds this API server does not serve are followed as empty, not as failures.
    expect(readyz.rules.cluster.resources.find((r) => r.kind === 'ImageContentSourcePolicy')).toMatchObject({ absent: true });
    // Only the list and the watch: no polling.
    expect(api.requests.filter((r) => r.startsWith(IDMS))).toEqual([IDMS, `${IDMS}?watch=true&resourceVersion=102`]);
  });

  it('refuses pulls and is not ready until the cluster has been listed, then serves by its rules', async () => {
    api = await fakeKubeApi(pki, SERVED);
    api.put(IMAGES, insecureAll());
    api.put(IDMS, idms('to-a', mirrorA, true));
    await api.down();
    const sourceBefore = source.requests.length;
    proxy = await follow();
    expect((await proxy.get('/readyz')).status).toBe(503);
    const refused = await pull();
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body.toString()).errors[0]).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('not been read from the cluster') });
    // A partial rule set would have sent this pull to the source, which the cluster forbids.
    expect(source.requests.length).toBe(sourceBefore);
    expect(await metric('mirrorgate_cluster_synced{kind="ImageDigestMirrorSet"} 0')).toBe(true);

    await api.up();
    await eventually(ready, 'ready once listed');
    expect(await servedBy()).toContain(mirrorA.host);
    expect(source.requests.length).toBe(sourceBefore);
  });

  it('keeps the last rules while the API server is away, says so, and resumes the watch where it stopped', async () => {
    api = await fakeKubeApi(pki, SERVED);
    api.put(IMAGES, insecureAll());
    api.put(IDMS, idms('to-a', mirrorA, true));
    proxy = await follow();
    await api.down();
    await eventually(() => metric('mirrorgate_cluster_connected{kind="ImageDigestMirrorSet"} 0'), 'the metric shows the failing watch');
    expect(await ready()).toBe(true);
    expect(await servedBy()).toContain(mirrorA.host);
    const readyz = JSON.parse((await proxy.get('/readyz')).body.toString()) as { rules: { cluster: { connected: boolean } } };
    expect(readyz.rules.cluster.connected).toBe(false);

    api.put(IDMS, idms('to-b', mirrorB, true));
    api.remove(IDMS, 'to-a');
    await api.up();
    await eventually(async () => (await servedBy()).includes(mirrorB.host), 'the changes made while away arrive');
    const watches = api.requests.filter((r) => r.startsWith(`${IDMS}?watch=true`));
    // Resumed from the last resourceVersion seen (102): no second list was needed.
    expect(watches.at(-1)).toBe(`${IDMS}?watch=true&resourceVersion=102`);
    expect(api.requests.filter((r) => r === IDMS)).toHaveLength(1);
    await eventually(() => metric('mirrorgate_cluster_connected{kind="ImageDigestMirrorSet"} 1'), 'connected again');
  });

  it('lists again when the API server has forgotten the resourceVersion (410 Gone)', async () => {
    api = await fakeKubeApi(pki, SERVED);
    api.put(IMAGES, insecureAll());
    api.put(IDMS, idms('to-a', mirrorA, true));
    proxy = await follow();
    await api.down();
    api.remove(IDMS, 'to-a');
    api.put(IDMS, idms('to-b', mirrorB, true));
    api.compact();
    await api.up();
    await eventually(async () => (await servedBy()).includes(mirrorB.host), 'the relist brings the current objects');
    expect(api.requests.filter((r) => r === IDMS)).toHaveLength(2);
  });

  it('takes the CA ConfigMap the cluster Image names from openshift-config, and no other ConfigMap', async () => {
    api = await fakeKubeApi(pki, SERVED);
    const CONFIGMAPS = '/api/v1/namespaces/openshift-config/configmaps';
    api.put(IMAGES, { ...insecureAll(), spec: { ...insecureAll().spec, additionalTrustedCA: { name: 'registry-cas' } } });
    api.put(IDMS, idms('to-a', mirrorA));
    api.put(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'registry-cas', namespace: 'openshift-config' }, data: { 'mirror.example..5000': pki.caPem } });
    api.put(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: 'openshift-config' }, data: { 'not-a-ca': 'x' } });
    proxy = await follow();
    const objects = proxy.proxy.rules().objects.map((o) => `${o.kind}/${o.origin.object}`);
    expect(objects.filter((o) => o.startsWith('ConfigMap/'))).toEqual(['ConfigMap/ConfigMap/registry-cas']);
    expect(proxy.proxy.rules().objects.find((o) => o.kind === 'ConfigMap')?.origin.file).toBe('cluster:ConfigMap/registry-cas.json');
  });

  it('keeps the rules in force when the cluster holds an invalid object, and reports it', async () => {
    api = await fakeKubeApi(pki, SERVED);
    api.put(IMAGES, insecureAll());
    api.put(IDMS, idms('to-a', mirrorA, true));
    proxy = await follow();
    api.put(IDMS, { ...idms('bad', mirrorB), spec: { imageDigestMirrors: [{ source: 'quay.io/NS', mirrors: [`${mirrorB.host}/ns`] }] } });
    await eventually(() => metric('mirrorgate_last_reload_successful 0'), 'the reload fails');
    const readyz = JSON.parse((await proxy.get('/readyz')).body.toString()) as { rules: { lastReload: { errors: string[] } } };
    expect(readyz.rules.lastReload.errors.join('\n')).toContain('cluster:ImageDigestMirrorSet/bad');
    expect(await servedBy()).toContain(mirrorA.host);
  });
});
