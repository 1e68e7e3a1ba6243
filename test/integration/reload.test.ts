// Hot reload: a new rule set is validated whole and swapped atomically; an
// invalid change keeps the previous rules; a burst of requests during
// reloads sees no failure and no mixed plan.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sample } from '../helpers/prometheus.js';

const image = makeImage(71);
let a: FakeRegistry;
let b: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
let rulesFile: string;

/** Tag pulls of source/ns go to `mirror` first. */
const rulesVia = (mirror: FakeRegistry) => (mirrorRules(`${source.host}/ns`, [], [`${mirror.host}/ns`], { insecure: [a.host, b.host] })['rules.yaml'] as string);

beforeEach(async () => {
  [a, b, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [a, b]) pushImage(r, 'ns/app', image, 'v1');
  proxy = await startTestProxy({ 'rules.yaml': rulesVia(a) }, { aliases: { src: source.host } });
  rulesFile = join(proxy.proxy.holder.paths[0] as string, 'rules.yaml');
});
afterEach(async () => {
  await proxy.close();
  await Promise.all([a, b, source].map((r) => r.stop()));
});

const servedBy = async () => (await proxy.get('/v2/src/ns/app/manifests/v1')).headers['x-mirrorgate-served-by'];

describe('reload', () => {
  it('swaps in a valid rule set: new requests use it, the generation moves', async () => {
    expect(await servedBy()).toContain(a.host);
    writeFileSync(rulesFile, rulesVia(b));
    const outcome = await proxy.proxy.holder.reload();
    expect(outcome).toEqual({ ok: true, generation: 2, errors: [] });
    expect(await servedBy()).toContain(b.host);
  });

  it('keeps the previous rules when the change is invalid, and says so in /readyz and /metrics', async () => {
    writeFileSync(rulesFile, rulesVia(b).replace(`"${source.host}/ns"`, '"quay.io/NOT valid"'));
    const outcome = await proxy.proxy.holder.reload();
    expect(outcome.ok).toBe(false);
    expect(outcome.errors.join('\n')).toContain('invalid format for source "quay.io/NOT valid"');
    expect(await servedBy()).toContain(a.host);
    const ready = JSON.parse((await proxy.get('/readyz')).body.toString()) as { ready: boolean; rules: { generation: number; lastReload: { ok: boolean; errors: string[] } } };
    expect(ready.ready).toBe(true);
    expect(ready.rules.generation).toBe(1);
    expect(ready.rules.lastReload.ok).toBe(false);
    expect(ready.rules.lastReload.errors[0]).toContain('rules.yaml: ImageTagMirrorSet/t: spec.imageTagMirrors[0].source');
    const metrics = (await proxy.get('/metrics')).body.toString();
    expect(sample(metrics, 'mirrorgate_rules_reloads_total', { result: 'failed' })).toBe(1);
    expect(sample(metrics, 'mirrorgate_last_reload_successful')).toBe(0);
    expect(proxy.logs.some((l) => l.msg === 'rules reload failed: the previous rules stay in force')).toBe(true);
  });

  it('reloads by itself when a rule file changes', async () => {
    writeFileSync(rulesFile, rulesVia(b));
    const deadline = Date.now() + 5_000;
    while (proxy.proxy.holder.generation === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(proxy.proxy.holder.generation).toBe(2);
    expect(await servedBy()).toContain(b.host);
  });

  it('a burst of requests during repeated reloads: no failed request, each served by one rule set', async () => {
    const served: string[] = [];
    const failures: number[] = [];
    let reloading = true;
    const reloader = (async () => {
      for (let i = 0; i < 20; i++) {
        writeFileSync(rulesFile, rulesVia(i % 2 === 0 ? b : a));
        await proxy.proxy.holder.reload();
      }
      reloading = false;
    })();
    const worker = async () => {
      for (let i = 0; i < 25; i++) {
        const res = await request(`${proxy.url}/v2/src/ns/app/manifests/v1`);
        await res.body.dump();
        if (res.statusCode !== 200) failures.push(res.statusCode);
        served.push(String(res.headers['x-mirrorgate-served-by']));
      }
    };
    await Promise.all([reloader, ...Array.from({ length: 8 }, worker)]);
    expect(reloading).toBe(false);
    expect(failures).toEqual([]);
    expect(served).toHaveLength(200);
    // Each plan came whole from one rule set: its mirror served, never the source behind it.
    expect(served.every((s) => s.startsWith(`${a.host}/`) || s.startsWith(`${b.host}/`))).toBe(true);
    expect(source.count('/manifests/')).toBe(0);
    // 20 reloads of ours; the file watcher may add some of its own.
    expect(proxy.proxy.holder.generation).toBeGreaterThanOrEqual(21);
  });
});
