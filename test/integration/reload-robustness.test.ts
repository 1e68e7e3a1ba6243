// Reload under a hostile file system: a dangling symlink, a removed rules
// path, names clashing between sources. Every problem is a diagnostic, the old
// rules stay in force, the process stays up, and nothing sent to a client or
// reported names an absolute server path.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { DiagnosticSink } from '../../src/core/index.js';
import { RulesHolder } from '../../src/config/rules-holder.js';
import type { RuleSource } from '../../src/config/rule-sources.js';
import { mirrorRules, startTestProxy, writeRules, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(72);
let mirror: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
let dir: string;

beforeEach(async () => {
  [mirror, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(mirror, 'ns/app', image, 'v1');
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], [`${mirror.host}/ns`]), { aliases: { src: source.host } });
  dir = proxy.proxy.holder.paths[0] as string;
});
afterEach(async () => {
  await proxy.close();
  await Promise.all([mirror, source].map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const servedBy = async () => (await proxy.get('/v2/src/ns/app/manifests/v1')).headers['x-mirrorgate-served-by'];

/** Waits (bounded) for the watcher's reload to report an outcome after `gen` reloads. */
async function nextOutcome(before: RulesHolder['lastReload']) {
  const deadline = Date.now() + 5_000;
  while (proxy.proxy.holder.lastReload === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return proxy.proxy.holder.lastReload;
}

describe('reload robustness', () => {
  it('a dangling symlink in a watched rules directory is a diagnostic; the old rules serve on', async () => {
    const before = proxy.proxy.holder.lastReload;
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'link.yaml'));
    const outcome = await nextOutcome(before);
    expect(outcome.ok).toBe(false);
    expect(outcome.errors).toEqual([expect.stringMatching(/link\.yaml: cannot read: ENOENT$/)]);
    expect(outcome.errors.join('\n')).not.toContain(dirname(dir));
    expect(await servedBy()).toContain(mirror.host);
    const ready = JSON.parse((await proxy.get('/readyz')).body.toString()) as { rules: { lastReload: { ok: boolean } } };
    expect(ready.rules.lastReload.ok).toBe(false);
  });

  it('a removed or unreadable rules path fails the reload loudly instead of emptying the rules', async () => {
    rmSync(join(dir, 'rules.yaml'));
    rmSync(dir, { recursive: true });
    const outcome = await proxy.proxy.holder.reload();
    expect(outcome.ok).toBe(false);
    expect(outcome.errors.join('\n')).toMatch(/cannot read: ENOENT/);
    expect(await servedBy()).toContain(mirror.host);
    mkdirSync(dir);
    writeFileSync(join(dir, 'rules.yaml'), mirrorRules(`${source.host}/ns`, [], [`${mirror.host}/ns`])['rules.yaml'] as string);
    expect((await proxy.proxy.holder.reload()).ok).toBe(true);
  });

  it('a DENIED body names the blocking object and a relative path, never an absolute server path', async () => {
    writeFileSync(join(dir, 'rules.yaml'), `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["${source.host}"]\n`);
    expect((await proxy.proxy.holder.reload()).ok).toBe(true);
    const res = await proxy.get('/v2/src/ns/app/manifests/v1');
    expect(res.status).toBe(403);
    const body = res.body.toString();
    expect(body).toContain('Image/cluster');
    expect(body).toContain('rules.yaml');
    expect(body).not.toContain(dir);
  });
});

describe('rule sources', () => {
  const memorySource = (name: string, docs: Record<string, string>): RuleSource => ({
    name,
    readOnly: false,
    read: async () => Object.entries(docs).map(([label, text]) => ({ label, text })),
  });
  const itms = (name: string, mirrorHost: string) =>
    `apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: ${name}}\nspec:\n  imageTagMirrors:\n  - source: quay.io/ns\n    mirrors: ["${mirrorHost}/ns"]\n`;

  it('compiles every source together; check() validates a candidate without swapping', async () => {
    const files = writeRules({ 'a.yaml': itms('from-file', 'm1.example') });
    try {
      const holder = await RulesHolder.load([files], [memorySource('api', { 'api:ImageTagMirrorSet/x': itms('x', 'm2.example') })]);
      expect(holder.current().objects.map((o) => o.origin.object)).toEqual(['ImageTagMirrorSet/from-file', 'ImageTagMirrorSet/x']);
      const bad = holder.check({ api: [{ label: 'api:ImageTagMirrorSet/x', text: itms('x', 'NOT VALID') }] });
      expect(bad.ok).toBe(false);
      const good = holder.check({ api: [] });
      expect(good.ok && good.rules.objects.length).toBe(1);
      expect(holder.generation).toBe(1);
      expect(holder.current().objects).toHaveLength(2);
    } finally {
      rmSync(files, { recursive: true });
    }
  });

  it('write() stores and swaps a valid change in one step of the reload queue; an invalid one or a failed store changes nothing', async () => {
    const files = writeRules({ 'a.yaml': itms('from-file', 'm1.example') });
    try {
      const holder = await RulesHolder.load([files], [memorySource('api', {})]);
      let stored = 0;
      const store = async () => void stored++;
      const x = { label: 'api:ImageTagMirrorSet/x', text: itms('x', 'm2.example') };
      expect((await holder.write({ api: [x] }, store)).ok).toBe(true);
      expect(stored).toBe(1);
      expect(holder.current().objects.map((o) => o.origin.object)).toEqual(['ImageTagMirrorSet/from-file', 'ImageTagMirrorSet/x']);
      // A reload queued before the write lands first: the write is checked against its documents.
      writeFileSync(join(files, 'a.yaml'), itms('y', 'm1.example'));
      const reloaded = holder.reload(['files']);
      const y = holder.write({ api: [x, { label: 'api:ImageTagMirrorSet/y', text: itms('y', 'm3.example') }] }, store);
      expect((await reloaded).ok).toBe(true);
      const late = await y;
      expect(late.ok).toBe(false);
      expect(!late.ok && late.errors.map((e) => e.message).join('\n')).toContain('ImageTagMirrorSet/y is also defined by the files source');
      expect(stored).toBe(1);
      await expect(holder.write({ api: [] }, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
      expect(holder.current().objects.map((o) => o.origin.object)).toEqual(['ImageTagMirrorSet/y', 'ImageTagMirrorSet/x']);
    } finally {
      rmSync(files, { recursive: true });
    }
  });

  it('the same Kind/name from two sources is reported, never merged', async () => {
    const files = writeRules({ 'a.yaml': itms('same', 'm1.example') });
    try {
      const load = RulesHolder.load([files], [memorySource('api', { 'api:ImageTagMirrorSet/same': itms('same', 'm2.example') })]);
      await expect(load).rejects.toThrow(/ImageTagMirrorSet\/same is also defined by the files source/);
    } finally {
      rmSync(files, { recursive: true });
    }
  });

  it('a source that reports a read error fails the load with that diagnostic', async () => {
    const failing: RuleSource = { name: 'cluster', readOnly: true, read: async (sink: DiagnosticSink) => (sink.withOrigin({ file: 'cluster' }).error('', 'unreachable'), []) };
    const files = writeRules({ 'a.yaml': itms('a', 'm1.example') });
    try {
      await expect(RulesHolder.load([files], [failing])).rejects.toThrow(/cluster: unreachable/);
    } finally {
      rmSync(files, { recursive: true });
    }
  });
});
