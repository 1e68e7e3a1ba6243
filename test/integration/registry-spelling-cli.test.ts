// The respelled-host refusal end to end, with the built CLI (`npm test`
// builds first): a source the node trusts through the system store (here a
// private CA given with NODE_EXTRA_CA_CERTS; in real life any registry with
// a public certificate, quay.io:443 against a NeverContactSource on quay.io/ns)
// used to serve the image the rules send only to a mirror when the client
// spelled its host another way in open mode (red-team finding). Now such a
// spelling is refused with NAME_INVALID and the source serves nothing.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';
import { makePki } from '../helpers/tls.js';
import { tempDir } from '../helpers/temp.js';

const image = makeImage(917);
let source: FakeRegistry;
let mirror: FakeRegistry;
let child: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
  const pki = makePki();
  [source, mirror] = await Promise.all([fakeRegistry({ certFile: pki.certFile, keyFile: pki.keyFile }), fakeRegistry()]);
  pushImage(source, 'ns/app', image, 'v1');
  pushImage(mirror, 'ns/app', image, 'v1');
  const dir = tempDir('registry-spelling-cli');
  const rules = {
    'rules.yaml':
      `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${mirror.host}"]\n` +
      `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${source.host}/ns"\n    mirrors: ["${mirror.host}/ns"]\n    mirrorSourcePolicy: NeverContactSource\n` +
      `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: other}\nspec:\n  imageDigestMirrors:\n  - source: "quay.io/other"\n    mirrors: ["${source.host}/other"]\n`,
  };
  const config = writeServeConfig(dir, '[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[upstream]\nopen = true\n[hedge]\nmode = "off"\n[cache]\nmax_bytes = 1\ntag_ttl_ms = 1\nnegative_ttl_ms = 1\nstale_if_error = false\n[log]\nlevel = "info"\n', rules);
  const started = await serveProcess(config, { cwd: dir, env: { ...process.env, NODE_EXTRA_CA_CERTS: join(pki.dir, 'ca.crt') } });
  child = started.proc;
  url = started.url;
}, 60_000);
afterAll(async () => {
  await killServed(child);
  await Promise.all([source?.stop(), mirror?.stop()]);
});

const get = async (path: string) => {
  const res = await request(`${url}${path}`);
  const body = await res.body.text();
  return { status: res.statusCode, servedBy: res.headers['x-mirrorgate-served-by'], body };
};

describe('open mode, built CLI, source trusted by the system store: a respelled source host', () => {
  it('control: the canonical spelling is served by the mirror, the source sees nothing', async () => {
    const before = source.requests.length;
    const res = await get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${source.host}`);
    expect({ status: res.status, servedBy: res.servedBy, sourceRequests: source.requests.length - before }).toEqual({
      status: 200,
      servedBy: expect.stringContaining(mirror.host),
      sourceRequests: 0,
    });
  });

  it.each([(p: string) => `127.1:${p}`, (p: string) => `0x7f.0.0.1:${p}`, (p: string) => `127.0.0.1:0${p}`])('spelling %#: refused, the source serves nothing', async (spell) => {
    const spelling = spell(source.host.split(':')[1] as string);
    const before = source.requests.length;
    const res = await get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${spelling}`);
    expect({ spelling, status: res.status, namesForm: res.body.includes(source.host), sourceRequests: source.requests.length - before }).toEqual({
      spelling,
      status: 400,
      namesForm: true,
      sourceRequests: 0,
    });
  });
});
