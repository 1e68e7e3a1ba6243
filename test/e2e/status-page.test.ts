// /status as a person sees it: rendered by headless Chromium (Debian
// `chromium`), checked through its DOM, with a screenshot kept in
// test-results/status-page.png.
import { execFile } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireBinary } from './support/processes.js';
import { tempDir } from '../helpers/temp.js';

const image = makeImage(81);
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;

function chromium(args: string[]): Promise<string> {
  const binary = requireBinary('chromium', 'chromium');
  // Flags for a sandboxed machine with no network beyond loopback.
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${tempDir('chromium')}`];
  return new Promise((done, fail) => execFile(binary, [...flags, ...args], { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout))));
}

beforeAll(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m2, source]) pushImage(r, 'ns/app', image, 'v1');
  m1.faults = { status: 500 };
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], [`${m1.host}/ns`, `${m2.host}/ns`]), { aliases: { src: source.host } }, { health: { failure_threshold: 1, cool_down_ms: 60_000 } });
  await proxy.get('/v2/src/ns/app/manifests/v1');
  await proxy.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await Promise.all([m1, m2, source].map((r) => r?.stop()));
});

describe('/status in a browser', () => {
  it('shows the rules, each endpoint circuit and the latest pulls', async () => {
    const dom = await chromium(['--dump-dom', `${proxy.url}/status`]);
    expect(dom).toContain('<h1>mirrorgate</h1>');
    expect(dom).toContain(`<code>${m1.host}</code></td><td><span class="state open">open</span>`);
    expect(dom).toContain(`<code>${m2.host}</code></td><td><span class="state closed">closed</span>`);
    expect(dom).toContain(`${source.host}/ns/app@${image.manifestDigest}`);
    expect(dom).toContain(`<code>${source.host}/ns</code>`);
  });

  it('renders to a screenshot', async () => {
    const dir = resolve('test-results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'status-page.png');
    await chromium(['--window-size=1280,900', `--screenshot=${file}`, `${proxy.url}/status`]);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    console.log(`status page screenshot: ${file}`);
  });
});
