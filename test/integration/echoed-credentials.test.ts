// An upstream (or a proxy before it) that echoes the request back in its error
// body, our Authorization header included: the attempt message quoting that
// body goes into the access line, written without redaction, so what looks
// like a credential is scrubbed from upstream error text where it is read
// (upstream/error-body.ts); the rest of what the upstream said is kept.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hostileServer, type HostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { credentialsFile, useCleanup } from '../helpers/trust.js';

const { later } = useCleanup();
const PASSWORD = 'echoed-pass-5b1e';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');
let echo: HostileServer;
let proxy: TestProxy;

beforeAll(async () => {
  // Basic wanted; the authorized request is answered 500 with its own headers quoted back, in the OCI envelope and raw.
  echo = await hostileServer((req, res) => {
    if (!req.headers.authorization) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="echo"' }).end();
    const quoted = `authorization: ${req.headers.authorization}; password=${PASSWORD}`;
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `upstream broke, request was ${quoted}` }] }));
  });
  proxy = await startTestProxy(mirrorRules(`${echo.host}/ns`, [], []), { aliases: { src: echo.host }, credentials: credentialsFile(later, { [echo.host]: { username: 'alice', password: PASSWORD } }) });
});
afterAll(async () => {
  await proxy?.close();
  await echo?.stop();
});

it('an upstream error body echoing our Authorization header leaves no credential in any log line', async () => {
  const before = proxy.logs.length;
  expect((await proxy.get('/v2/src/ns/app/manifests/v1')).status).toBeGreaterThanOrEqual(500);
  // The upstream got our credentials, and said so.
  expect(echo.requests.some((r) => r.headers.authorization === `Basic ${BASIC}`)).toBe(true);
  const lines = JSON.stringify(proxy.logs.slice(before));
  expect(lines).toContain('upstream broke');
  expect(lines).not.toContain(BASIC);
  expect(lines).not.toContain(PASSWORD);
});
