// A proxy in front of one fake source holding `image` as ns/app:v1 (alias
// `src`), with a manifest cache that keeps tags for a minute: the setup of
// tests about what one request's answer and access line carry.
import { afterAll, beforeAll } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { pushImage, type TestImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from './proxy.js';

interface OneSource {
  readonly source: FakeRegistry;
  readonly proxy: TestProxy;
  close(): Promise<void>;
}

async function oneSourceProxy(image: TestImage): Promise<OneSource> {
  const source = await fakeRegistry();
  pushImage(source, 'ns/app', image, 'v1');
  try {
    const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { cache: { max_bytes: 1 << 20, tag_ttl_ms: 60_000 } });
    return { source, proxy, close: async () => (await proxy.close(), await source.stop()) };
  } catch (err) {
    await source.stop();
    throw err;
  }
}

/** Starts one for the file's tests (beforeAll), hands its proxy to `use`, and stops it after them. */
export function useOneSource(image: TestImage, use: (proxy: TestProxy) => void): void {
  let setup: OneSource | undefined;
  beforeAll(async () => {
    setup = await oneSourceProxy(image);
    use(setup.proxy);
  });
  afterAll(() => setup?.close());
}
