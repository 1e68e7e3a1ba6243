// A source the rules refuse receives nothing, whoever would contact it:
// mirrorgate, or a client falling back on its own after mirrorgate's DENIED.
// Real docker-registry processes, a counting forwarder in front of the
// refused source (which holds the image, so a bypass would succeed), and
// real skopeo, ctr and podman with the README's and the generated client
// configuration.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runCli } from '../../src/cli/run.js';
import { countingForwarder, type CountingForwarder } from '../helpers/counting-forwarder.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';
import { ctrFetch, hostsDir, podmanPull, readmeSnippet, run, skopeoCopy } from './support/clients.js';
import { writeLayout } from './support/oci-layout.js';
import { requireBinary, startContainerd, startDockerRegistry, type Running } from './support/processes.js';
import { makeTarImage } from './support/tar-image.js';

const image = makeTarImage(8);

let source: Running; // the refused source: holds the image
let mirror: Running; // holds the image too
let empty: Running; // a mirror without the image
let counted: CountingForwarder; // in front of the source: the name the rules and clients use
let containerd: Running & { socket: string };
let work: string;

async function generate(proxy: TestProxy, args: string[]): Promise<string> {
  let out = '';
  const code = await runCli(['generate', ...args, '--rules', proxy.proxy.holder.paths[0] as string], { out: (t) => (out += t), err: (t) => (out += t) });
  expect(code, out).toBe(0);
  return out;
}

/** hosts.toml files by host, as `generate hosts-toml` writes them. */
async function generatedHosts(proxy: TestProxy): Promise<Map<string, string>> {
  const dir = tempDir('generated');
  await generate(proxy, ['hosts-toml', '--proxy', proxy.url, '--out', dir]);
  return new Map(readdirSync(dir).map((host) => [host, readFileSync(join(dir, host, 'hosts.toml'), 'utf8')]));
}

beforeAll(async () => {
  for (const [bin, pkg] of [['skopeo', 'skopeo'], ['ctr', 'containerd'], ['podman', 'podman']]) requireBinary(bin as string, pkg as string);
  work = tempDir('denied');
  [source, mirror, empty] = await Promise.all([startDockerRegistry(), startDockerRegistry(), startDockerRegistry()]);
  const layout = writeLayout(image, 'v1');
  for (const target of [source, mirror]) {
    const seeded = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${target.host}/ns/app:v1`]);
    expect(seeded.code, seeded.out).toBe(0);
  }
  counted = await countingForwarder(source.host);
  containerd = await startContainerd();
}, 90_000);

afterAll(async () => {
  await containerd?.stop();
  await counted?.close();
  await Promise.all([source, mirror, empty].filter(Boolean).map((r) => r.stop()));
});

/** The README's name for the source, and the alias `generate registries-conf` derives for host:port. */
const aliases = () => ({ 'quay.io': counted.host, [counted.host.replace(':', '-')]: counted.host });

/** How many of mirrorgate's request lines for the image were denials: proof the clients asked mirrorgate. */
const denials = (proxy: TestProxy) => proxy.logs.filter((l) => l.msg === 'request' && String(l.path).includes('/ns/app/') && l.code === 403).length;

/**
 * The README's registries.conf and hosts.toml snippets for mirrorgate at `proxyHost`. Their quay.io,
 * as prefix, location or server, becomes the counted source; the mirror path keeps quay.io, an
 * alias of the source in mirrorgate.
 */
function readmeConfigs(proxyHost: string): [string, Map<string, string>] {
  const toSource = (text: string) => text.replaceAll('= "quay.io"', `= "${counted.host}"`).replace('server = "https://quay.io"', `server = "http://${counted.host}"`);
  return [toSource(readmeSnippet('registries-conf', proxyHost)), new Map([[counted.host, toSource(readmeSnippet('hosts-toml', proxyHost))]])];
}

/** Every client, with `registriesConf` and `hosts` configuration, pulls `name` by tag and by digest. */
async function pullWithEveryClient(name: string, registriesConf: string, hosts: ReadonlyMap<string, string>): Promise<Record<string, number>> {
  const codes: Record<string, number> = {};
  const certs = hostsDir(work, hosts);
  // By digest first: after a reload, a digest pull must not follow the affinity of the endpoint that served before.
  for (const ref of [`${name}@${image.manifestDigest}`, `${name}:v1`]) {
    const dir = tempDir('pull');
    const skopeo = await skopeoCopy(dir, registriesConf, ref);
    const podman = await podmanPull(dir, registriesConf, ref);
    const ctr = await ctrFetch(containerd.socket, certs, ref);
    Object.assign(codes, { [`skopeo ${ref}`]: skopeo.code, [`podman ${ref}`]: podman.code, [`ctr ${ref}`]: ctr.code });
  }
  // A fetched image stays in containerd's content store; drop it so the next fetch asks again.
  await run('ctr', ['--address', containerd.socket, 'content', 'rm', image.manifestDigest, image.config.digest, ...image.layers.map((l) => l.digest)]);
  return codes;
}

describe.each([
  ['NeverContactSource (the mirror lacks the image)', () => mirrorRules(`${counted.host}/ns`, [`${empty.host}/ns`], [`${empty.host}/ns`], { never: true })],
  ['blocked by blockedRegistries', () => blockedRules()],
])('a refused source: %s', (_name, rules) => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startTestProxy(rules(), { aliases: aliases() });
  });
  afterAll(() => proxy?.close());

  it('generated configuration: skopeo, podman and ctr fail, and the source receives nothing', async () => {
    counted.seen.length = 0;
    const conf = await generate(proxy, ['registries-conf', '--proxy', proxy.url]);
    const before = denials(proxy);
    const codes = await pullWithEveryClient(`${counted.host}/ns/app`, conf, await generatedHosts(proxy));
    expect(Object.values(codes).every((c) => c !== 0), JSON.stringify(codes)).toBe(true);
    expect(denials(proxy) - before).toBeGreaterThanOrEqual(6);
    expect(counted.seen).toEqual([]);
  });

  it("the README's snippets: the same", async () => {
    counted.seen.length = 0;
    const host = proxy.url.replace('http://', '');
    const before = denials(proxy);
    const codes = await pullWithEveryClient(`${counted.host}/ns/app`, ...readmeConfigs(host));
    expect(Object.values(codes).every((c) => c !== 0), JSON.stringify(codes)).toBe(true);
    expect(denials(proxy) - before).toBeGreaterThanOrEqual(6);
    expect(counted.seen).toEqual([]);
  });
});

/** The source blocked by the Image config; every host insecure (plain HTTP). */
function blockedRules(): Record<string, string> {
  const hosts = [counted.host, mirror.host].map((h) => `"${h}"`).join(', ');
  return {
    'rules.yaml': `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: [${hosts}]\n    blockedRegistries: ["${counted.host}"]\n`,
  };
}

describe('a source outside allowedRegistries, named by no rule', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    const hosts = [counted.host, mirror.host].map((h) => `"${h}"`).join(', ');
    const rules = `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: [${hosts}]\n    allowedRegistries: ["${mirror.host}"]\n`;
    proxy = await startTestProxy({ 'rules.yaml': rules });
  });
  afterAll(() => proxy?.close());

  // registries.conf cannot reject by default (the node's policy.json does that), so this is ctr's
  // case: containerd's _default directory sends the registry to mirrorgate, which refuses it.
  it('ctr with the generated hosts.toml (its _default) fails, and the source receives nothing', async () => {
    counted.seen.length = 0;
    const hosts = await generatedHosts(proxy);
    expect([...hosts.keys()]).toEqual(['_default']);
    const fetched = await ctrFetch(containerd.socket, hostsDir(work, hosts), `${counted.host}/ns/app:v1`);
    expect(fetched.code, fetched.out).not.toBe(0);
    expect(fetched.out).toContain('403');
    expect(counted.seen).toEqual([]);
  });
});

describe('a reload that adds NeverContactSource after the source served', () => {
  let proxy: TestProxy;
  let rulesFile: string;
  beforeAll(async () => {
    // The mirror lacks the image at first, so the source serves (AllowContactingSource).
    proxy = await startTestProxy(mirrorRules(`${counted.host}/ns`, [`${empty.host}/ns`], [`${empty.host}/ns`]), { aliases: aliases(), affinity_ttl_ms: 3_600_000 });
    rulesFile = join(proxy.proxy.holder.paths[0] as string, 'rules.yaml');
  });
  afterAll(() => proxy?.close());

  it('before: the source serves every client', async () => {
    counted.seen.length = 0;
    const conf = await generate(proxy, ['registries-conf', '--proxy', proxy.url]);
    const codes = await pullWithEveryClient(`${counted.host}/ns/app`, conf, await generatedHosts(proxy));
    expect(Object.values(codes).every((c) => c === 0), JSON.stringify(codes)).toBe(true);
    expect(counted.seen.length).toBeGreaterThan(0);
  });

  it('after: every client is served by the mirror, with the generated and the README configuration, and the source receives nothing', async () => {
    const next = mirrorRules(`${counted.host}/ns`, [`${mirror.host}/ns`], [`${mirror.host}/ns`], { never: true });
    writeFileSync(rulesFile, next['rules.yaml'] as string);
    const outcome = await proxy.proxy.holder.reload();
    expect(outcome.ok).toBe(true);
    counted.seen.length = 0;
    const conf = await generate(proxy, ['registries-conf', '--proxy', proxy.url]);
    const generated = await pullWithEveryClient(`${counted.host}/ns/app`, conf, await generatedHosts(proxy));
    const readme = await pullWithEveryClient(`${counted.host}/ns/app`, ...readmeConfigs(proxy.url.replace('http://', '')));
    expect(Object.values({ ...generated, ...readme }).every((c) => c === 0), JSON.stringify({ generated, readme })).toBe(true);
    expect(counted.seen).toEqual([]);
  });
});
