// The real kubectl against mirrorgate's rules API (TLS admin listener, bearer
// token, validation on: no --validate=false): apply (client-side and
// server-side), get, get -o yaml, get -w, patch (merge, json), replace,
// delete, explain, and a pull whose route changes right after `kubectl apply`.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { RW, startApi, type ApiHarness } from '../helpers/rules-api.js';
import { makePki } from '../helpers/tls.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const image = makeImage(93);
let a: FakeRegistry;
let b: FakeRegistry;
let source: FakeRegistry;
let h: ApiHarness;
let dir: string;

/** kubectl with the test kubeconfig; bounded in time; never throws, so failures show their stderr. */
async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const itms = (mirror: FakeRegistry) =>
  `apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata:\n  name: route\nspec:\n  imageTagMirrors:\n  - source: ${source.host}/ns\n    mirrors: ["${mirror.host}/ns"]\n    mirrorSourcePolicy: NeverContactSource\n`;
const servedBy = async () => (await h.proxy.get('/v2/src/ns/app/manifests/v1')).headers['x-mirrorgate-served-by'];

beforeAll(async () => {
  [a, b, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [a, b]) pushImage(r, 'ns/app', image, 'v1');
  const pki = makePki();
  const hosts = [a, b, source].map((r) => `"${r.host}"`).join(', ');
  h = await startApi({ 'image.yaml': `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: [${hosts}]\n` }, { aliases: { src: source.host } }, { adminTls: pki, bookmarkIntervalMs: 1000 });
  dir = tempDir('kubectl');
  writeFileSync(join(dir, 'ca.crt'), pki.caPem);
  writeFileSync(
    join(dir, 'kubeconfig'),
    `apiVersion: v1\nkind: Config\nclusters:\n- name: mirrorgate\n  cluster:\n    server: ${h.adminUrl}\n    certificate-authority: ${join(dir, 'ca.crt')}\nusers:\n- name: admin\n  user:\n    token: ${RW}\ncontexts:\n- name: mirrorgate\n  context: {cluster: mirrorgate, user: admin}\ncurrent-context: mirrorgate\n`,
  );
  writeFileSync(join(dir, 'a.yaml'), itms(a));
  writeFileSync(join(dir, 'b.yaml'), itms(b));
});
afterAll(async () => {
  await h?.close();
  await Promise.all([a, b, source].map((r) => r?.stop()));
});

describe('kubectl against the rules API', () => {
  it('apply changes the route of the very next pull; get, get -o yaml', async () => {
    expect(h.adminUrl).toMatch(/^https:/);
    const applied = await kubectl('apply', '-f', join(dir, 'a.yaml'));
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('imagetagmirrorset.config.openshift.io/route created\n');
    expect(await servedBy()).toContain(a.host);
    const got = await kubectl('get', 'imagetagmirrorsets');
    expect(got.stdout).toMatch(/^NAME\s+AGE\nroute\s+\d+s\n$/);
    const yaml = await kubectl('get', 'imagetagmirrorset', 'route', '-o', 'yaml');
    expect(yaml.stdout).toContain(`- ${a.host}/ns`);
    expect(yaml.stdout).toContain('kubectl.kubernetes.io/last-applied-configuration');
  });

  it('apply --server-side takes over from client-side apply without a conflict and moves the route; a client-side apply again is a patch', async () => {
    const ssa = await kubectl('apply', '--server-side', '-f', join(dir, 'b.yaml'));
    expect(ssa.stdout).toBe('imagetagmirrorset.config.openshift.io/route serverside-applied\n');
    expect(await servedBy()).toContain(b.host);
    const csa = await kubectl('apply', '-f', join(dir, 'a.yaml'));
    expect(csa.code).toBe(0);
    expect(await servedBy()).toContain(a.host);
  });

  it('patch --type merge and --type json; invalid patches are refused with the validator\'s words', async () => {
    expect((await kubectl('patch', 'imagetagmirrorset', 'route', '--type', 'merge', '-p', '{"metadata":{"labels":{"team":"infra"}}}')).stdout).toContain('patched');
    const json = await kubectl('patch', 'imagetagmirrorset', 'route', '--type', 'json', '-p', `[{"op":"replace","path":"/spec/imageTagMirrors/0/mirrors","value":["${b.host}/ns"]}]`);
    expect(json.stdout).toContain('patched');
    expect(await servedBy()).toContain(b.host);
    const bad = await kubectl('patch', 'imagetagmirrorset', 'route', '--type', 'merge', '-p', '{"spec":{"imageTagMirrors":[{"source":"quay.io/NOPE"}]}}');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('is invalid');
    expect(await servedBy()).toContain(b.host);
  });

  it('replace, and server-side validation refuses unknown fields', async () => {
    const current = await kubectl('get', 'imagetagmirrorset', 'route', '-o', 'yaml');
    writeFileSync(join(dir, 'replace.yaml'), current.stdout.replace(`${b.host}/ns`, `${a.host}/ns`));
    expect((await kubectl('replace', '-f', join(dir, 'replace.yaml'))).stdout).toContain('replaced');
    expect(await servedBy()).toContain(a.host);
    writeFileSync(join(dir, 'unknown.yaml'), itms(a).replace('mirrorSourcePolicy', 'mirrorSourcePolicyy'));
    const unknown = await kubectl('apply', '-f', join(dir, 'unknown.yaml'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown field "spec.imageTagMirrors[0].mirrorSourcePolicyy"');
  });

  it('get -w shows a change as it happens', async () => {
    const watching = kubectl('get', 'imagetagmirrorsets', '-w', '--output-watch-events', '--request-timeout=4s');
    await new Promise((r) => setTimeout(r, 1500));
    await kubectl('patch', 'imagetagmirrorset', 'route', '--type', 'merge', '-p', '{"metadata":{"labels":{"watched":"yes"}}}');
    const out = await watching;
    expect(out.stdout).toMatch(/ADDED\s+route/);
    expect(out.stdout).toMatch(/MODIFIED\s+route/);
  });

  it('explain reads the served OpenAPI', async () => {
    const explained = await kubectl('explain', 'imagetagmirrorsets.spec.imageTagMirrors');
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('mirrorSourcePolicy');
    expect(explained.stdout).toContain('source\t<string> -required-');
  });

  it('delete removes the object; the source was never contacted', async () => {
    expect((await kubectl('delete', 'imagetagmirrorset', 'route')).stdout).toBe('imagetagmirrorset.config.openshift.io "route" deleted\n');
    const gone = await kubectl('get', 'imagetagmirrorset', 'route');
    expect(gone.stderr).toContain('NotFound');
    expect(source.requests.length).toBe(0);
  });
});
