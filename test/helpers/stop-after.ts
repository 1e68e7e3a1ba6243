// Servers and proxies a test starts, stopped after that test, newest first
// (a proxy before the upstreams it talks to).
import { afterEach } from 'vitest';

type Stoppable = { stop(): Promise<void> } | { close(): Promise<void> };

const started: Stoppable[] = [];

afterEach(async () => {
  for (const thing of started.splice(0).reverse()) await ('close' in thing ? thing.close() : thing.stop());
});

/** Returns `thing`, to be stopped after the current test. */
export function stopAfterTest<T extends Stoppable>(thing: T): T {
  started.push(thing);
  return thing;
}
