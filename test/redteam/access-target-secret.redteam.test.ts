// Red team (manifest-cpu): the access line is written without redaction, and
// a request target that is not a URL is logged raw (app.ts: `req.url.slice(0, 256)`),
// query included. Node's parser admits an absolute-form target that the URL
// parser refuses (`http://[::1/...`), so a client's token in that query lands
// verbatim in the access line. REQUIRED: no client secret reaches any log line.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-http.js';

const SECRET = 'redteam-s3cr3t-91c2';
let source: FakeRegistry;
let proxy: TestProxy;

beforeAll(async () => {
  source = await fakeRegistry();
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
});
afterAll(async () => {
  await proxy?.close();
  await source?.stop();
});

it('a target that is not a URL never puts its query (a token) in the access line', async () => {
  const before = proxy.logs.length;
  const res = await rawRequest(proxy.url, `GET http://[::1/v2/src/ns/app/manifests/v1?access_token=${SECRET} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  expect(res.status).toBe(400);
  await vi.waitFor(() => expect(proxy.logs.slice(before).filter((l) => l.msg === 'request')).toHaveLength(1), { timeout: 5_000, interval: 20 });
  expect(JSON.stringify(proxy.logs.slice(before))).not.toContain(SECRET);
});
