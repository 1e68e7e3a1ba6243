// Red team, the same fault as registry-spelling.redteam.test.ts carried to
// its end: a source that the node trusts through the system store (a public
// registry, or a private CA given with NODE_EXTRA_CA_CERTS, as here) serves
// the image the rules send only to a mirror (NeverContactSource), when the
// client spells the source's host another way (127.1:P, 0x7f.0.0.1:P,
// 127.0.0.1:0P) in open mode. The same holds for any registry host with a
// public certificate (quay.io:443 against a NeverContactSource on
// quay.io/ns), which is not testable on loopback. Runs the built CLI
// (`npm run build` first) so that the process starts with the extra CA.
// Required: the source serves nothing for ns/*; the mirror does, or the pull is refused.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { serveProcess } from '../helpers/cli.js';
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
  const dir = tempDir('redteam-spelling');
  mkdirSync(join(dir, 'rules'));
  writeFileSync(
    join(dir, 'rules', 'rules.yaml'),
    `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${mirror.host}"]\n` +
      `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${source.host}/ns"\n    mirrors: ["${mirror.host}/ns"]\n    mirrorSourcePolicy: NeverContactSource\n` +
      `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: other}\nspec:\n  imageDigestMirrors:\n  - source: "quay.io/other"\n    mirrors: ["${source.host}/other"]\n`,
  );
  writeFileSync(join(dir, 'mirrorgate.toml'), '[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[upstream]\nopen = true\n[hedge]\nmode = "off"\n[cache]\nmax_bytes = 1\ntag_ttl_ms = 1\nnegative_ttl_ms = 1\nstale_if_error = false\n[log]\nlevel = "info"\n');
  const started = await serveProcess(join(dir, 'mirrorgate.toml'), { cwd: dir, env: { ...process.env, NODE_EXTRA_CA_CERTS: join(pki.dir, 'ca.crt') } });
  child = started.proc;
  url = started.url;
}, 60_000);
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
  }
  await Promise.all([source?.stop(), mirror?.stop()]);
});

const get = async (path: string) => {
  const res = await request(`${url}${path}`);
  const body = await res.body.text();
  return { status: res.statusCode, servedBy: res.headers['x-mirrorgate-served-by'], body };
};

describe('open mode: a respelled source host is still the source (built CLI, source trusted by the system store)', () => {
  it('control: the canonical spelling is served by the mirror, the source sees nothing', async () => {
    const before = source.requests.length;
    const res = await get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${source.host}`);
    expect({ status: res.status, servedBy: res.servedBy, sourceRequests: source.requests.length - before }).toEqual({
      status: 200,
      servedBy: expect.stringContaining(mirror.host),
      sourceRequests: 0,
    });
  });

  it.each([(p: string) => `127.1:${p}`, (p: string) => `0x7f.0.0.1:${p}`, (p: string) => `127.0.0.1:0${p}`])('spelling %#: the source serves nothing', async (spell) => {
    const spelling = spell(source.host.split(':')[1] as string);
    const before = source.requests.length;
    const res = await get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${spelling}`);
    expect({ spelling, servedBy: res.status === 200 ? res.servedBy : 'not served', sourceRequests: source.requests.length - before }).toEqual({
      spelling,
      servedBy: res.status === 200 ? expect.stringContaining(mirror.host) : 'not served',
      sourceRequests: 0,
    });
  });
});
