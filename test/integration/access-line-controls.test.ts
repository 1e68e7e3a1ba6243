// The access line is written as one JSON.stringify of its fields
// (observability/logger.ts safeLineWriter), which escapes C0 controls but
// not C1 ones; a client's User-Agent may carry any obs-text byte (Node reads
// it as latin1), and NEL (U+0085) is a line break for Unicode-aware
// splitters (Python's str.splitlines). So the line escapes C1 controls and
// U+2028/2029 as well (core/log-text.ts, the rule error-body.ts applies to
// upstream text), and splits to exactly one JSON object however it is read
// (red team, access line, F4).
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { killServed, serveProcess, writeServeConfig } from '../helpers/cli.js';

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  await killServed(child);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Sends `bytes` as one request and waits for the server to close (Connection: close). */
function send(url: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer')), 10_000);
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(bytes);
  });
}

// Unicode line breaks beyond \n that JSON.stringify does not escape (Python's str.splitlines set).
const LINE_BREAKS = /[\u0085\u2028\u2029]/;
const C1 = /[\u0080-\u009f]/;

it('a User-Agent with NEL (0x85) does not cut the access line for a Unicode-aware reader, nor put any C1 control in it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt-c1-'));
  const started = await serveProcess(writeServeConfig(dir, `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[log]\nlevel = "info"\nflush_ms = 10\n`, {}));
  child = started.proc;
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const forged = '{"level":50,"msg":"a piece"}';
  const request = Buffer.from(`GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Request-Id: rt-c1-probe\r\nUser-Agent: skopeo\x85${forged}\x85\r\nConnection: close\r\n\r\n`, 'latin1');
  expect(await send(started.url, request)).toMatch(/^HTTP\/1\.1 200/);
  // Lines are batched (flush_ms 10): wait for ours, bounded.
  for (let i = 0; i < 100 && !out.includes('rt-c1-probe'); i++) await new Promise((r) => setTimeout(r, 50));
  const line = out.split('\n').find((l) => l.includes('rt-c1-probe'));
  expect(line).toBeDefined();
  expect(C1.test(line ?? '') || LINE_BREAKS.test(line ?? '')).toBe(false);
  // As a Unicode-aware reader splits it: still one piece.
  const pieces = (line ?? '').split(/\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/).filter((p) => p !== '');
  expect(pieces).toHaveLength(1);
});
