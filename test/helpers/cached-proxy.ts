// mirrorgate with a disk blob cache in front of one mirror and the source,
// both holding `image`: the world of the disk cache's single-mirror tests.
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { pushImage, type TestImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from './proxy.js';
import { tempDir } from './temp.js';

export interface CachedProxy {
  readonly mirror: FakeRegistry;
  readonly source: FakeRegistry;
  readonly proxy: TestProxy;
  /** The cache directory (removed when the test file ends). */
  readonly dir: string;
  /** Blob GETs the mirror and the source answered. */
  upstreamGets(digest: string): number;
  close(): Promise<void>;
}

/** `sections` are more settings sections, beside `cache.blobs.dir` (other `cache.blobs` keys are kept). */
export async function startCachedProxy(image: TestImage, sections: Record<string, Record<string, unknown>> = {}): Promise<CachedProxy> {
  const [mirror, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  for (const r of [mirror, source]) pushImage(r, 'ns/app', image, 'v1');
  const dir = tempDir('cache');
  const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } }, { ...sections, cache: { ...sections.cache, blobs: { ...(sections.cache?.blobs as Record<string, unknown> | undefined), dir } } });
  return {
    mirror,
    source,
    proxy,
    dir,
    upstreamGets: (digest) => mirror.count(digest, 'GET') + source.count(digest, 'GET'),
    close: async () => {
      await proxy.close();
      await Promise.all([mirror.stop(), source.stop()]);
    },
  };
}
