// The common scene of the failover tests: a source and two mirrors holding one
// image, fresh for each test, with mirrorgate in front (IDMS and ITMS list
// m1 then m2), all stopped after the test.
import { afterEach, beforeEach } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { pushImage, type TestImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from './proxy.js';

export interface TwoMirrors {
  m1: FakeRegistry;
  m2: FakeRegistry;
  source: FakeRegistry;
  /** Starts mirrorgate over the scene; `never` sets NeverContactSource. */
  start(sections?: Record<string, Record<string, unknown>>, upstream?: Record<string, unknown>, extra?: { never?: boolean }): Promise<TestProxy>;
}

export function useTwoMirrors(image: TestImage): TwoMirrors {
  let proxy: TestProxy | undefined;
  const scene = {
    start: async (sections = {}, upstream = {}, extra = {}) => {
      const { m1, m2, source } = scene as unknown as TwoMirrors;
      const mirrors = [`${m1.host}/ns`, `${m2.host}/ns`];
      proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, mirrors, mirrors, extra), { aliases: { src: (scene as unknown as TwoMirrors).source.host }, ...upstream }, sections);
      return proxy;
    },
  } as TwoMirrors;
  beforeEach(async () => {
    [scene.m1, scene.m2, scene.source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
    for (const r of [scene.m1, scene.m2, scene.source]) pushImage(r, 'ns/app', image, 'v1');
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await Promise.all([scene.m1, scene.m2, scene.source].map((r) => r.stop()));
  });
  return scene;
}
