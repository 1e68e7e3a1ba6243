// Red team (issue 11 log sink): any write error but EAGAIN sets the sink
// `broken` for good (observability/line-sink.ts writeBytes: "EPIPE and the
// like"). That is right for EPIPE (no reader, ever again), but a stdout that
// is a file (systemd StandardOutput=file:, `>> mirrorgate.log`) answers
// ENOSPC while its filesystem is full and takes bytes again once space is
// freed. After one full moment, mirrorgate logs nothing more until it is
// restarted: no access line, no error line, no notice of the loss. Someone
// who can fill that filesystem for a moment (a large pull into a disk cache on
// the same volume, a burst of huge access lines) switches the log off.
// REQUIRED: once the file takes bytes again, lines are written again (the
// loss counted, as the sink does for EAGAIN).
//
// The filesystem is a 1 MiB tmpfs in a private mount namespace (unshare -rm),
// reached from here through /proc/<pid>/root: nothing outside the test sees it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { writeServeConfig } from '../helpers/cli.js';

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until `ok` holds for what it returns, at most `tries` times. */
async function until<T>(read: () => T, ok: (value: T) => boolean, tries = 100): Promise<T> {
  let value = read();
  for (let i = 0; i < tries && !ok(value); i++) {
    await sleep(50);
    value = read();
  }
  return value;
}

it('a log file whose filesystem was full for a moment gets lines again once space is freed', async () => {
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt-enospc-'));
  const config = writeServeConfig(dir, `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["${join(dir, 'rules')}"]\n[log]\nlevel = "info"\nflush_ms = 10\n`, {});
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const script = 'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$1" dist/cli/main.js serve --config "$2" > "$0/log"';
  child = spawn('unshare', ['-rm', 'sh', '-c', script, mnt, process.execPath, config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const seen = join('/proc', String(child.pid), 'root', mnt);
  const log = () => (existsSync(join(seen, 'log')) ? readFileSync(join(seen, 'log'), 'utf8') : '');
  const started = await until(log, (text) => text.includes('"mirrorgate listening"'));
  const url = (/"urls":\["([^"]+)"/.exec(started) ?? [])[1];
  expect(url).toBeDefined();
  const get = async (id: string, path = '/v2/') => {
    const res = await fetch(`${url}${path}`, { headers: { 'x-request-id': id } });
    await res.arrayBuffer();
    return res.status;
  };

  expect(await get('rt-before')).toBe(200);
  expect(await until(log, (text) => text.includes('rt-before'))).toContain('rt-before');

  // The filesystem fills up for a moment: the access lines written then are lost.
  const filler = join(seen, 'filler');
  const fd = openSync(filler, 'w');
  let full = '';
  try {
    for (let i = 0; i < 64; i++) writeSync(fd, Buffer.alloc(64 * 1024));
  } catch (err) {
    full = (err as NodeJS.ErrnoException).code ?? '';
  } finally {
    closeSync(fd);
  }
  expect(full).toBe('ENOSPC');
  // Lines of ~12 KB (a refused long path): more than the last page of the log file can still take.
  for (let i = 0; i < 5; i++) expect(await get(`rt-during-${i}`, `/v2/${'a'.repeat(12_000)}/manifests/x`)).toBe(400);
  await sleep(200); // several flush_ms periods: the sink has met the full disk

  unlinkSync(filler);
  expect(await get('rt-after')).toBe(200);
  const after = await until(log, (text) => text.includes('rt-after'));
  expect(after).toContain('rt-after');
});
