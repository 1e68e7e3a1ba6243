// Inbound authentication with the real clients: mirrorgate answers 401 with
// a Basic challenge, and skopeo --creds, ctr --user and podman login (an
// htpasswd user, or a static token as the password) are let through.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';
import { podman, run } from './support/clients.js';
import { writeLayout } from './support/oci-layout.js';
import { requireBinary, startContainerd, startDockerRegistry, type Running } from './support/processes.js';
import { makeTarImage } from './support/tar-image.js';

const PASSWORD = 'correct horse:battery';
const TOKEN = 'e2e-pull-token-0123456789';
const image = makeTarImage(9);

let source: Running;
let proxy: TestProxy;
let work: string;
let ref: string; // the image, named through mirrorgate itself as a registry (path form, alias "src")

beforeAll(async () => {
  for (const [bin, pkg] of [['skopeo', 'skopeo'], ['ctr', 'containerd'], ['podman', 'podman']]) requireBinary(bin as string, pkg as string);
  work = tempDir('e2e-auth');
  source = await startDockerRegistry();
  const seeded = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${writeLayout(image, 'v1')}:v1`, `docker://${source.host}/ns/app:v1`]);
  expect(seeded.code, seeded.out).toBe(0);
  writeFileSync(join(work, 'htpasswd'), `alice:${hashSync(PASSWORD, 5)}\n`);
  writeFileSync(join(work, 'tokens'), `${TOKEN} read-only e2e\n`);
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { auth: { htpasswd: join(work, 'htpasswd'), tokens: join(work, 'tokens') } });
  ref = `${proxy.url.replace('http://', '')}/src/ns/app:v1`;
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await source?.stop();
});

describe('skopeo --creds', () => {
  it.each([
    ['no credentials', [], false],
    ['a wrong password', ['--src-creds', 'alice:wrong'], false],
    ['the htpasswd user', ['--src-creds', `alice:${PASSWORD}`], true],
    ['a static token as the password', ['--src-creds', `any:${TOKEN}`], true],
  ] as const)('%s', async (_name, creds, ok) => {
    const r = await run('skopeo', ['copy', '--src-tls-verify=false', ...creds, `docker://${ref}`, `oci:${join(tempDir('skopeo-auth'), 'out')}:copied`]);
    expect(r.code === 0, r.out).toBe(ok);
    if (!ok) expect(r.out).toMatch(/unauthorized|authentication required/i);
  });
});

describe('ctr --user', () => {
  let containerd: Running & { socket: string };
  beforeAll(async () => {
    containerd = await startContainerd();
  }, 30_000);
  afterAll(() => containerd?.stop());

  it('fails without credentials, fetches with them', async () => {
    const fetch = (extra: string[]) => run('ctr', ['--address', containerd.socket, 'content', 'fetch', '--plain-http', ...extra, ref]);
    const anonymous = await fetch([]);
    expect(anonymous.code, anonymous.out).not.toBe(0);
    expect(anonymous.out).toMatch(/401|unauthorized/i);
    const wrong = await fetch(['--user', 'alice:wrong']);
    expect(wrong.code, wrong.out).not.toBe(0);
    const good = await fetch(['--user', `alice:${PASSWORD}`]);
    expect(good.code, good.out).toBe(0);
  });
});

describe('podman login', () => {
  it('refuses a wrong password, then pulls after a good login', async () => {
    const authfile = join(work, 'auth.json');
    const registry = proxy.url.replace('http://', '');
    const pull = () => podman(work, ['pull', '--tls-verify=false', '--authfile', authfile, ref]);
    writeFileSync(authfile, '{}');
    const anonymous = await pull();
    expect(anonymous.code, anonymous.out).not.toBe(0);
    const wrong = await podman(work, ['login', '--tls-verify=false', '--authfile', authfile, '-u', 'alice', '-p', 'wrong', registry]);
    expect(wrong.code, wrong.out).not.toBe(0);
    const login = await podman(work, ['login', '--tls-verify=false', '--authfile', authfile, '-u', 'alice', '-p', PASSWORD, registry]);
    expect(login.code, login.out).toBe(0);
    const pulled = await pull();
    expect(pulled.code, pulled.out).toBe(0);
  });
});
