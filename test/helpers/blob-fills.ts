// A client has every byte of a cold blob once its copy verified; the file is
// fsynced and named after (store/fill.ts). Tests that look at the cache
// directory or its metrics wait for the fills to end first; tests that need
// every request inside one fill wait for them all to be in flight.
import { sample } from './prometheus.js';
import type { TestProxy } from './proxy.js';

/** Resolves once `count` fills ended (ok or failed); bounded in polls. */
export async function untilFillsEnded(proxy: TestProxy, count: number): Promise<void> {
  for (let poll = 0; poll < 500; poll++) {
    const metrics = (await proxy.get('/metrics')).body.toString();
    const ended = ['ok', 'failed'].reduce((n, result) => n + (sample(metrics, 'mirrorgate_blob_cache_fills_total', { result }) ?? 0), 0);
    if (ended >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${count} blob fills did not end within 500 polls`);
}

/** Resolves once `count` requests are being answered (besides the /metrics request asking); bounded in polls. */
export async function untilInFlight(proxy: TestProxy, count: number): Promise<void> {
  for (let poll = 0; poll < 500; poll++) {
    const metrics = (await proxy.get('/metrics')).body.toString();
    if ((sample(metrics, 'mirrorgate_http_requests_in_flight') ?? 0) - 1 >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${count} requests were not in flight within 500 polls`);
}
