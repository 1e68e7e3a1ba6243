// An inbound auth file that turns invalid or unreadable fails closed (every
// credential from it refused) and says so: /readyz answers 503 naming the
// setting and the lines (never their content), mirrorgate_auth_file_valid
// drops to 0, and when the file loads again readiness, the gauge and a log
// line say it -- all without a single pull to trigger the re-read. The admin
// token file guards only the admin paths: its failure leaves the replica ready.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sample } from '../helpers/prometheus.js';
import { tempDir } from '../helpers/temp.js';
import { useCleanup } from '../helpers/trust.js';

const { later } = useCleanup();
const PASSWORD = 'correct horse battery';
const PULL_TOKEN = 'pull-token-0123456789abcdef';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const GOOD = basic('alice', PASSWORD);

async function proxyWith(files: { htpasswd?: string; tokens?: string; adminTokens?: string }): Promise<{ p: TestProxy; dir: string }> {
  const dir = tempDir('auth-file-failure');
  if (files.htpasswd !== undefined) writeFileSync(join(dir, 'htpasswd'), files.htpasswd);
  if (files.tokens !== undefined) writeFileSync(join(dir, 'tokens'), files.tokens);
  if (files.adminTokens !== undefined) writeFileSync(join(dir, 'admin-tokens'), files.adminTokens);
  const auth = { ...(files.htpasswd !== undefined ? { htpasswd: join(dir, 'htpasswd') } : {}), ...(files.tokens !== undefined ? { tokens: join(dir, 'tokens') } : {}) };
  const sections: Record<string, Record<string, unknown>> = { auth };
  if (files.adminTokens !== undefined) sections.admin = { tokens: join(dir, 'admin-tokens') };
  const p = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, sections);
  later(() => p.close());
  return { p, dir };
}

const readyz = async (p: TestProxy, headers: Record<string, string> = {}) => {
  const res = await p.get('/readyz', headers);
  return { status: res.status, body: JSON.parse(res.body.toString()) as Record<string, unknown>, text: res.body.toString() };
};
const valid = async (p: TestProxy, file: string, headers: Record<string, string> = {}) => sample((await p.get('/metrics', headers)).body.toString(), 'mirrorgate_auth_file_valid', { file });
const logged = (p: TestProxy, msg: string) => p.logs.filter((l) => l.msg === msg).map((l) => l.setting);

describe('a pull auth file that fails to load', () => {
  it.each([
    ['turns invalid', (file: string) => writeFileSync(file, `alice:${PASSWORD}\n`), 'line 1: the hash of "alice" is not bcrypt (create it with htpasswd -B)'],
    ['is deleted', (file: string) => rmSync(file), 'cannot read: ENOENT'],
  ])('%s: /readyz 503 naming it, the gauge 0, everyone refused; loading again: ready, gauge 1, logged', async (_name, breakIt, problem) => {
    const htpasswd = `alice:${hashSync(PASSWORD, 4)}\n`;
    const { p, dir } = await proxyWith({ htpasswd });
    expect((await readyz(p)).status).toBe(200);
    expect(await valid(p, 'auth.htpasswd')).toBe(1);

    breakIt(join(dir, 'htpasswd'));
    // No pull in between: the probe itself notices.
    const broken = await readyz(p);
    expect(broken.status).toBe(503);
    expect(broken.body).toMatchObject({ ready: false, reason: 'an auth file fails to load: its credentials are refused here', failingAuthFiles: [{ setting: 'auth.htpasswd', problems: [problem] }] });
    expect(broken.text).not.toContain(PASSWORD);
    expect(await valid(p, 'auth.htpasswd')).toBe(0);
    expect((await p.get('/v2/', { authorization: GOOD })).status).toBe(401);
    expect(logged(p, 'auth file failed to load: every credential from it is refused until it is fixed')).toEqual(['auth.htpasswd']);

    writeFileSync(join(dir, 'htpasswd'), `# fixed\n${htpasswd}`);
    expect((await readyz(p)).status).toBe(200);
    expect(await valid(p, 'auth.htpasswd')).toBe(1);
    expect(logged(p, 'auth file loads again: its credentials are accepted again')).toEqual(['auth.htpasswd']);
    expect((await p.get('/v2/', { authorization: GOOD })).status).toBe(200);
  });

  it('a metrics scrape alone notices the token file failing (gauge 0) and loading again (gauge 1)', async () => {
    const tokens = `${PULL_TOKEN} read-only ci\n`;
    const { p, dir } = await proxyWith({ tokens });
    expect(await valid(p, 'auth.tokens')).toBe(1);
    writeFileSync(join(dir, 'tokens'), 'short read-only\n');
    expect(await valid(p, 'auth.tokens')).toBe(0);
    writeFileSync(join(dir, 'tokens'), `# back\n${tokens}`);
    expect(await valid(p, 'auth.tokens')).toBe(1);
    expect(logged(p, 'auth file loads again: its credentials are accepted again')).toEqual(['auth.tokens']);
  });

  it('the admin token file failing is logged and counted but leaves the replica ready: pulls do not depend on it', async () => {
    const adminTokens = `${ADMIN_TOKEN} read-only prometheus\n`;
    const { p, dir } = await proxyWith({ adminTokens, htpasswd: `alice:${hashSync(PASSWORD, 4)}\n` });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect(await valid(p, 'admin.tokens', admin)).toBe(1);
    writeFileSync(join(dir, 'admin-tokens'), 'short read-only\n');
    const res = await readyz(p, admin);
    expect(res).toMatchObject({ status: 200, body: { ready: true } });
    expect(logged(p, 'auth file failed to load: every credential from it is refused until it is fixed')).toEqual(['admin.tokens']);
    expect((await p.get('/metrics', admin)).status).toBe(401);
    writeFileSync(join(dir, 'admin-tokens'), `# back\n${adminTokens}`);
    expect(await valid(p, 'admin.tokens', admin)).toBe(1);
    expect(await valid(p, 'auth.htpasswd', admin)).toBe(1);
  });
});
