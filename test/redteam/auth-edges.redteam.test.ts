// Credentials edge cases.
// 1. Inbound htpasswd (server/auth/htpasswd.ts verify): bcrypt reads only the
//    first 72 bytes of a password, and nothing refuses longer ones, so for a
//    user whose password is longer than 72 bytes any suffix is accepted.
//    (Same as Apache/distribution; low. A length check at load/verify, or a
//    pre-hash, closes it.)
// 2. Upstream token realm over plain HTTP on the same host name but ANOTHER
//    PORT (upstream/auth/tokens.ts mayCarryCredentials compares hostname, not
//    host): an insecure registry's Basic credentials go in clear to another
//    origin (another service on that host). The address filter stops this on
//    loopback unless upstream.allow names the port, so the test names it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { challengingRegistry, hostileServer, authorizations } from '../fakes/hostile.js';
import { credentialsFile, useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();

describe('inbound htpasswd', () => {
  it('a password longer than 72 bytes is not matched by its first 72 bytes plus anything', async () => {
    const source = await fakeRegistry();
    later(() => source.stop());
    const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt-auth-'));
    later(() => rmSync(dir, { recursive: true, force: true }));
    const password = `${'p'.repeat(72)}-the-part-that-matters`;
    writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync(password, 4)}\n`);
    const p = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), {}, { auth: { htpasswd: join(dir, 'htpasswd') } });
    later(() => p.close());
    const basic = (pw: string) => ({ authorization: `Basic ${Buffer.from(`alice:${pw}`).toString('base64')}` });
    expect((await p.get('/v2/', basic(password))).status).toBe(200);
    expect((await p.get('/v2/', basic(`${'p'.repeat(72)}WRONG`))).status).toBe(401);
  });
});

describe('token realm on plain http, same host name, other port', () => {
  it('gets no Basic credentials of the insecure registry', async () => {
    const realm = await serve(hostileServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}')));
    const source = await serve(challengingRegistry(() => `http://${realm.host}/token`));
    const auth = credentialsFile(later, { [source.host]: { username: 'alice', password: 'source-secret' } });
    const p = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, credentials: auth, allow: [realm.host] });
    later(() => p.close());
    await p.get('/v2/src/ns/app/manifests/v1');
    expect(realm.requests.length).toBeGreaterThan(0);
    expect(authorizations(realm)).toEqual([]);
  });
});
