// /status as a person sees it: rendered by headless Chromium (Debian
// `chromium`) after a scripted incident (a mirror failing, its circuit
// opening, pulls failing over), checked through its DOM with JavaScript on
// and off, with screenshots kept in test-results/ at desktop and phone widths.
import { execFile } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage, type TestImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireBinary } from './support/processes.js';
import { tempDir } from '../helpers/temp.js';

const app = makeImage(81);
const tools = makeImage(82, [2048, 300_000, 50_000]);
const HOSTILE_UA = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>';
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
/** Real elapsed time plus whole 30 s steps, so the scenario spreads over the charts' buckets. */
let skew = 0;
const clock = { now: () => performance.now() + skew };

function chromium(args: string[]): Promise<string> {
  const binary = requireBinary('chromium', 'chromium');
  const profile = tempDir('chromium');
  // Flags for a sandboxed machine with no network beyond loopback.
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  return new Promise((done, fail) => execFile(binary, [...flags, ...args], { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout))));
}

async function pull(name: string, image: TestImage, userAgent: string): Promise<void> {
  const headers = { 'user-agent': userAgent };
  expect((await proxy.get(`/v2/src/${name}/manifests/v1`, headers)).status).toBe(200);
  for (const blob of [image.config, ...image.layers]) expect((await proxy.get(`/v2/src/${name}/blobs/${blob.digest}`, headers)).status).toBe(200);
}

beforeAll(async () => {
  mkdirSync(resolve('test-results'), { recursive: true });
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m1, m2, source]) pushImage(r, 'ns/app', app, 'v1');
  pushImage(source, 'ns/tools', tools, 'v1');
  proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], [`${m1.host}/ns`, `${m2.host}/ns`]),
    { aliases: { src: source.host } },
    { health: { failure_threshold: 2, cool_down_ms: 60_000 } },
    { clock },
  );
  // Healthy for two minutes, then m1 starts failing: its circuit opens, pulls fail over to m2;
  // a probe after the cool-down fails again. One image exists only at the source.
  for (let step = 0; step < 4; step++, skew += 30_000) await pull('ns/app', app, 'containerd/2.0.0');
  m1.faults = { status: 500 };
  for (let step = 0; step < 6; step++, skew += 30_000) await pull('ns/app', app, step % 2 ? 'cri-o/1.30.0' : 'podman/5.0');
  await pull('ns/tools', tools, 'skopeo/1.15');
  expect((await proxy.get('/v2/src/ns/app/manifests/missing', { 'user-agent': HOSTILE_UA })).status).toBe(404);
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await Promise.all([m1, m2, source].map((r) => r?.stop()));
});

describe('/status in a browser', () => {
  it('shows each endpoint with its circuit and charts, the failovers and the rules near the top', async () => {
    const dom = await chromium(['--dump-dom', `${proxy.url}/status`]);
    expect(dom).toMatch(new RegExp(`<article class="ep open"><h3><code>${m1.host}</code><span class="badge open">open</span>`));
    expect(dom).toMatch(new RegExp(`<article class="ep closed"><h3><code>${m2.host}</code><span class="badge closed">closed</span>`));
    // Three charts per endpoint card, drawn inline.
    expect(dom.match(/<svg class="chart"/g)?.length).toBeGreaterThanOrEqual(9);
    expect(dom).toContain('<h2>Failovers <small class="muted">latest 7</small></h2>');
    expect(dom).toMatch(new RegExp(`<code>${m1.host}</code> <span class="bad">status_5xx</span>`));
    expect(dom.indexOf('Rules in force')).toBeLessThan(dom.indexOf('Recent pulls'));
    expect(dom).toContain('generation <strong>1</strong>');
  });

  it('groups recent pulls by image pull, blobs folded under their manifest', async () => {
    const dom = await chromium(['--dump-dom', `${proxy.url}/status`]);
    const groups = dom.match(/<details class="pull"/g) ?? [];
    // 10 pulls of app, 1 of tools, 1 failed manifest.
    expect(groups).toHaveLength(12);
    expect(dom).toContain(`1 manifest, ${tools.layers.length + 1} blobs`);
    expect(dom).toContain(`<code>${source.host}/ns/tools:v1</code>`);
  });

  it('escapes what clients send: a user agent with markup stays text', async () => {
    const dom = await chromium(['--dump-dom', `${proxy.url}/status`]);
    expect(dom.match(/<script/g)).toHaveLength(1);
    expect(dom).not.toContain('<img src="x"');
    expect(dom).toContain('&lt;script&gt;document.title="pwned"&lt;/script&gt;');
    expect(dom).toContain('<title>mirrorgate status</title>');
  });

  it('lets only its own script run: a CSP with a fresh nonce per answer', async () => {
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const res = await proxy.get('/status');
      const csp = res.headers['content-security-policy'] as string;
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(csp).toContain("default-src 'none'");
      expect(res.body.toString()).toContain(`<script nonce="${nonce}">`);
      nonces.push(nonce);
    }
    expect(new Set(nonces).size).toBe(2);
  });

  it('works with JavaScript off: the essentials are there and the filter is a form', async () => {
    // Headless Chromium has no working "scripts off" switch; the page as served minus its script is the same thing.
    const html = (await proxy.get('/status?q=skopeo')).body.toString();
    const page = join(tempDir('nojs'), 'status.html');
    writeFileSync(page, html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, ''));
    const dom = await chromium(['--dump-dom', `file://${page}`]);
    expect(dom).not.toContain('<script');
    expect(dom).toMatch(new RegExp(`<article class="ep open"><h3><code>${m1.host}</code>`));
    expect(dom.match(/<details class="pull"/g)).toHaveLength(1);
    expect(dom).toContain(`<code>${source.host}/ns/tools:v1</code>`);
    expect(dom).toContain('<form class="filter" id="filter" method="get" action="/status">');
    expect(dom).toContain('value="skopeo"');
    // Unfolded, for the screenshot: the blobs of the pull under its manifest.
    writeFileSync(page, html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '').replace('<details class="pull"', '<details open class="pull"'));
    await chromium(['--window-size=1400,900', '--hide-scrollbars', `--screenshot=${resolve('test-results', 'status-page-nojs.png')}`, `file://${page}`]);
  });

  it('refreshes in place with JavaScript on', async () => {
    const dom = await chromium(['--virtual-time-budget=12000', '--dump-dom', `${proxy.url}/status`]);
    expect(dom).toMatch(/id="refreshed">updated \d\d:\d\d:\d\d UTC</);
    expect(dom).toMatch(new RegExp(`<article class="ep open"><h3><code>${m1.host}</code>`));
  });

  it.each([
    ['desktop', '1400,900', []],
    ['narrow', '390,844', []],
    ['narrow-whole', '390,2600', []],
    ['desktop-dark', '1400,900', ['--force-dark-mode', '--blink-settings=preferredColorScheme=0']],
  ])('renders to a screenshot (%s)', async (name, size, extra) => {
    const file = join(resolve('test-results'), `status-page-${name}.png`);
    await chromium([...extra, `--window-size=${size}`, '--hide-scrollbars', `--screenshot=${file}`, `${proxy.url}/status`]);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    console.log(`status page screenshot: ${file}`);
  });

  // Last: it moves the clock past the window.
  it('still shows an endpoint with no attempts in the window, with its circuit', async () => {
    skew += 20 * 60_000;
    const dom = await chromium(['--dump-dom', `${proxy.url}/status`]);
    expect(dom).toMatch(new RegExp(`<article class="ep half-open"><h3><code>${m1.host}</code>`));
    expect(dom).toContain('of 0 tries');
  });
});
