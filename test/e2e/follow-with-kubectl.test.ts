// Scale-out as an admin runs it: the rule objects are changed with the real
// kubectl through one mirrorgate's rules API (its admin listener, over TLS,
// with a read-write token), and a second mirrorgate that follows that API
// (rules.kubernetes, a read-only token) routes its pulls by them at once.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { makePki } from '../helpers/tls.js';
import { tempDir } from '../helpers/temp.js';
import { requireBinary } from './support/processes.js';

const run = promisify(execFile);
const RW = 'rw-token-follow-0123456789';
const RO = 'ro-token-follow-0123456789';
const image = makeImage(93);

let source: FakeRegistry;
let mirrorA: FakeRegistry;
let mirrorB: FakeRegistry;
let leader: TestProxy;
let follower: TestProxy;
let dir: string;

function kubeconfig(name: string, server: string, token: string): string {
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: mg, cluster: {server: "${server}", certificate-authority: "${join(dir, 'pki-ca.crt')}"}}]\n` +
      `users: [{name: ${name}, user: {token: ${token}}}]\ncontexts: [{name: mg, context: {cluster: mg, user: ${name}}}]\ncurrent-context: mg\n`,
  );
  return file;
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(requireBinary('kubectl', 'kubernetes-client'), ['--kubeconfig', join(dir, 'admin.kubeconfig'), ...args], { timeout: 60_000 });
  return stdout;
}

function manifest(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const idms = (mirror: FakeRegistry) =>
  `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: app}\nspec:\n  imageDigestMirrors:\n  - source: ${source.host}/ns\n    mirrors: [${mirror.host}/ns]\n    mirrorSourcePolicy: NeverContactSource\n`;

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

const servedBy = async () => (await follower.get(`/v2/${source.host}/ns/app/manifests/${image.manifestDigest}`)).headers['x-mirrorgate-served-by'] ?? '';

beforeAll(async () => {
  dir = tempDir('follow-kubectl');
  const pki = makePki();
  writeFileSync(join(dir, 'pki-ca.crt'), pki.caPem);
  writeFileSync(join(dir, 'tokens'), `${RW} read-write admin\n${RO} read-only follower\n`);
  [source, mirrorA, mirrorB] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [source, mirrorA, mirrorB]) pushImage(r, 'ns/app', image, 'v1');
  leader = await startTestProxy({}, {}, {
    admin: { listen: ['127.0.0.1:0'], tls_cert: pki.certFile, tls_key: pki.keyFile },
    api: { enabled: true, state_dir: join(dir, 'state'), tokens: join(dir, 'tokens') },
  });
  const api = leader.proxy.adminUrls[0] as string;
  kubeconfig('admin', api, RW);
  await kubectl('apply', '-f', manifest('image.yaml', `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: [${source.host}, ${mirrorA.host}, ${mirrorB.host}]\n`));
  await kubectl('apply', '-f', manifest('idms.yaml', idms(mirrorA)));
  follower = await startTestProxy({}, { affinity_ttl_ms: 1 }, { rules: { paths: [tempDir('follower-no-files')], kubernetes: kubeconfig('follower', api, RO) } });
}, 120_000);

afterAll(async () => {
  await follower?.close();
  await leader?.close();
  await Promise.all([source, mirrorA, mirrorB].map((r) => r?.stop()));
});

describe('a replica following another mirrorgate rules API, changed with kubectl', () => {
  it('starts on the objects kubectl applied', async () => {
    expect((await follower.get('/readyz')).status).toBe(200);
    expect(await servedBy()).toContain(mirrorA.host);
  });

  it('follows kubectl apply, patch and delete, and never contacts a source the objects forbid', async () => {
    const sourceAtStart = source.count('/v2/ns/app/');
    await kubectl('apply', '-f', manifest('idms.yaml', idms(mirrorB)));
    await eventually(async () => (await servedBy()).includes(mirrorB.host), 'the follower routes by the applied change');

    await kubectl('patch', 'imagedigestmirrorset', 'app', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/imageDigestMirrors/0/mirrors', value: [`${mirrorA.host}/ns`] }]));
    await eventually(async () => (await servedBy()).includes(mirrorA.host), 'the follower routes by the patch');

    // NeverContactSource throughout: the source saw nothing while the mirrors changed.
    const sourceBefore = source.count('/v2/ns/app/');
    expect(sourceBefore).toBe(sourceAtStart);
    await kubectl('delete', 'imagedigestmirrorset', 'app');
    // Without the IDMS the source is the only endpoint: the follower now pulls from it.
    await eventually(async () => (await servedBy()).includes(source.host), 'the follower routes by the deletion');
    expect(source.count('/v2/ns/app/')).toBeGreaterThan(sourceBefore);
  });

  it('is refused writes with its read-only token', async () => {
    const denied = await run(requireBinary('kubectl', 'kubernetes-client'), ['--kubeconfig', join(dir, 'follower.kubeconfig'), 'delete', 'image', 'cluster'], { timeout: 60_000 }).catch((err: { stderr: string }) => err);
    expect((denied as { stderr: string }).stderr).toMatch(/forbidden/i);
  });
});
