// End to end with real parts: the Debian docker-registry (CNCF distribution)
// as source and mirrors, mirrorgate in front, and real clients pulling
// through it with the README's own configuration snippets: skopeo
// (registries.conf mirror, registry in the path) and ctr from containerd
// (hosts.toml, the ns form).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { layoutHolds, writeLayout } from './support/oci-layout.js';
import { run as runCli } from '../../src/cli/run.js';
import { readmeSnippet } from './support/clients.js';
import { requireBinary, startContainerd, startDockerRegistry, type Running } from './support/processes.js';
import { tempDir } from '../helpers/temp.js';

const image = makeImage(42, [10_000, 200_000]);

/** Runs a client without blocking the event loop the in-process proxy answers on. */
function run(command: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

let source: Running; // what image names point at ("quay.io" through an alias): empty
let mirror: Running; // the mirror the rules send pulls to: holds the image
let dead: Running; // a mirror listed first, stopped: connection refused
let proxy: TestProxy;
let proxyHost: string;
let rulesDir: string;

/** `mirrorgate generate …` in process, its output captured. */
async function generate(args: string[]): Promise<string> {
  let out = '';
  const code = await runCli(['generate', ...args, '--rules', rulesDir], { out: (t) => (out += t), err: (t) => (out += t) });
  expect(code, out).toBe(0);
  return out;
}

beforeAll(async () => {
  requireBinary('skopeo', 'skopeo');
  [source, mirror, dead] = await Promise.all([startDockerRegistry(), startDockerRegistry(), startDockerRegistry()]);
  await dead.stop();
  const seeded = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${writeLayout(image, 'v1')}:v1`, `docker://${mirror.host}/ns/app:v1`]);
  expect(seeded.code, seeded.out).toBe(0);
  const rules = mirrorRules(`${source.host}/ns`, [`${dead.host}/ns`, `${mirror.host}/ns`], [`${dead.host}/ns`, `${mirror.host}/ns`]);
  // The README's snippets say quay.io; here that name leads to the local source registry. The
  // generated registries.conf names it by the alias it derives (and asks for) for host:port.
  const derivedAlias = source.host.replace(':', '-');
  proxy = await startTestProxy(rules, { aliases: { 'quay.io': source.host, [derivedAlias]: source.host } });
  proxyHost = proxy.url.replace('http://', '');
  rulesDir = proxy.proxy.holder.paths[0] as string;
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await Promise.all([source, mirror].filter(Boolean).map((r) => r.stop()));
});

describe('skopeo through a registries.conf mirror (registry in the path)', () => {
  it.each([
    ['by tag', 'v1'],
    ['by digest', image.manifestDigest],
  ])('copies %s, served by the mirror after the dead one', async (_name, ref) => {
    const dir = tempDir('skopeo');
    const conf = join(dir, 'registries.conf');
    writeFileSync(conf, readmeSnippet('registries-conf', proxyHost));
    const separator = ref.includes(':') ? '@' : ':';
    const out = join(dir, 'out');
    const r = await run('skopeo', ['--registries-conf', conf, 'copy', `docker://quay.io/ns/app${separator}${ref}`, `oci:${out}:copied`]);
    expect(r.code, r.out).toBe(0);
    expect(layoutHolds(out, image)).toBe(true);
  });
});

describe('ctr (containerd) through hosts.toml (the ns form)', () => {
  let containerd: Running & { socket: string };
  beforeAll(async () => {
    requireBinary('ctr', 'containerd');
    containerd = await startContainerd();
  }, 30_000);
  afterAll(async () => containerd?.stop());

  it('fetches the image; every blob lands in the content store', async () => {
    const hostsDir = tempDir('certsd');
    mkdirSync(join(hostsDir, 'quay.io'));
    writeFileSync(join(hostsDir, 'quay.io', 'hosts.toml'), readmeSnippet('hosts-toml', proxyHost));
    const fetched = await run('ctr', ['--address', containerd.socket, 'content', 'fetch', '--hosts-dir', hostsDir, 'quay.io/ns/app:v1']);
    expect(fetched.code, fetched.out).toBe(0);
    const listed = await run('ctr', ['--address', containerd.socket, 'content', 'ls', '-q']);
    for (const { digest } of [image.config, ...image.layers]) expect(listed.out).toContain(digest);
    expect(listed.out).toContain(image.manifestDigest);
  });
});

describe('generated client configuration, used by the real clients', () => {
  it('skopeo with `mirrorgate generate registries-conf`', async () => {
    const conf = await generate(['registries-conf', '--proxy', proxy.url]);
    expect(conf).toContain(`# ${source.host.replace(':', '-')} = "${source.host}"`);
    const dir = tempDir('generated');
    writeFileSync(join(dir, 'registries.conf'), conf);
    const out = join(dir, 'out');
    const r = await run('skopeo', ['--registries-conf', join(dir, 'registries.conf'), 'copy', `docker://${source.host}/ns/app:v1`, `oci:${out}:copied`]);
    expect(r.code, r.out).toBe(0);
    expect(layoutHolds(out, image)).toBe(true);
  });

  it('ctr with `mirrorgate generate hosts-toml`', async () => {
    requireBinary('ctr', 'containerd');
    const containerd = await startContainerd();
    try {
      const hostsDir = tempDir('generated-certsd');
      const listed = await generate(['hosts-toml', '--proxy', proxy.url, '--out', hostsDir]);
      expect(listed).toContain(join(hostsDir, source.host, 'hosts.toml'));
      const fetched = await run('ctr', ['--address', containerd.socket, 'content', 'fetch', '--hosts-dir', hostsDir, `${source.host}/ns/app@${image.manifestDigest}`]);
      expect(fetched.code, fetched.out).toBe(0);
      const content = await run('ctr', ['--address', containerd.socket, 'content', 'ls', '-q']);
      for (const { digest } of image.layers) expect(content.out).toContain(digest);
    } finally {
      await containerd.stop();
    }
  });
});

