// The status page's success rate of an endpoint agrees with its health: a
// 404 from a mirror that simply lacks an image is a normal answer in mirror
// walking, not a failure (failure.ts ENDPOINT_FAILURES); a 5xx is one. The
// page says what it counts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { successOf } from '../helpers/status-card.js';

const PULLS = 3;
let lacking: FakeRegistry;
let broken: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
let page = '';

beforeAll(async () => {
  [lacking, broken, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  pushImage(source, 'ns/app', makeImage(17), 'v1');
  broken.faults = { status: 500 };
  // The mirror lacking the image first, the broken one next, the source serves.
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${lacking.host}/ns`, `${broken.host}/ns`], [`${lacking.host}/ns`, `${broken.host}/ns`]), { aliases: { src: source.host } }, { health: { failure_threshold: 100 } });
  for (let i = 0; i < PULLS; i++) expect((await proxy.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
  page = await (await request(`${proxy.url}/status`)).body.text();
});

afterAll(async () => {
  await proxy.close();
  await Promise.all([lacking.stop(), broken.stop(), source.stop()]);
});

it('counts a 404 from a mirror that lacks the image as an answer, not a failure', () => {
  expect(successOf(page, lacking.host)).toEqual({ rate: '100%', tries: String(PULLS) });
});

it('still counts a 5xx against the endpoint', () => {
  expect(successOf(page, broken.host)).toEqual({ rate: '0%', tries: String(PULLS) });
});

it('says what it counts', () => {
  expect(page).toMatch(/id="success-counts">Success: the tries the endpoint did not fail\. Failures are what counts towards its circuit \([^)]*status_5xx[^)]*\)/);
  expect(page).not.toMatch(/id="success-counts">[^<]*\([^)]*not_found/);
});
