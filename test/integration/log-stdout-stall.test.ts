// Log lines go to stdout through observability/line-sink.ts, which writes
// with writeSync. A child's stdout spawned by a runtime is a pipe or socket
// (spawn's 'pipe' here is a socket pair); when whoever reads it stops
// reading (a stuck log shipper, a paused `kubectl logs`, a full journald),
// a blocking write would block the event loop and every listener with it.
// The sink opens such a stdout non-blocking, so a stalled reader costs log
// lines (counted), never the proxy's answers nor its SIGTERM (red team,
// issue 11 log sink, F1).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { request } from 'undici';
import type { ChildProcess } from 'node:child_process';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await killServed(child);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One GET bounded at `ms`; its status, or 'timeout'. */
async function get(url: string, path: string, ms: number): Promise<number | 'timeout'> {
  try {
    const res = await request(`${url}${path}`, { signal: AbortSignal.timeout(ms), headersTimeout: ms, bodyTimeout: ms });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 'timeout';
  }
}

/** Serves, stops reading its stdout, and floods it with refused requests whose access lines are ~1.3 KB (the path cut at 1024); the codes answered. */
async function stallLogReader(): Promise<{ url: string; exited: Promise<number | null>; codes: (number | 'timeout')[] }> {
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt-stall-'));
  const started = await serveProcess(writeServeConfig(dir, `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[log]\nlevel = "info"\nflush_ms = 10\n`, {}));
  child = started.proc;
  expect(await get(started.url, '/v2/', 5000)).toBe(200);
  // The reader stops: the parent's stream stops pulling once its own buffer is full.
  child.stdout?.removeAllListeners('data');
  child.stdout?.pause();
  // 800 such lines (~1 MiB) are far more than the socket pair, the parent's buffer and the sink hold.
  const long = `/v2/${'a'.repeat(12_000)}/manifests/x`;
  const codes: (number | 'timeout')[] = [];
  for (let round = 0; round < 80 && !codes.includes('timeout'); round++) {
    codes.push(...(await Promise.all(Array.from({ length: 10 }, () => get(started.url, long, 3000)))));
  }
  return { url: started.url, exited: started.exited, codes };
}

it('a stdout reader that stops reading does not stop the proxy answering', async () => {
  const { url, codes } = await stallLogReader();
  // Liveness, not speed: a generous bound only so a frozen proxy ends the test.
  const probes = await Promise.all(Array.from({ length: 3 }, () => get(url, '/v2/', 8000)));
  expect(probes).toEqual([200, 200, 200]);
  // The flood itself is refused (400 NAME_INVALID), every request answered.
  expect(new Set(codes)).toEqual(new Set([400]));
});

it('a stdout reader that stops reading does not stop SIGTERM ending the proxy', async () => {
  const { exited } = await stallLogReader();
  child?.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10_000))]);
  expect(code).toBe(0);
});
