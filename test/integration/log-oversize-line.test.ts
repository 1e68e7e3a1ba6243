// A line larger than the log sink's buffer (observability/line-sink.ts),
// written to a non-blocking stdout whose reader is behind, must not leave a
// fragment without its newline for the next line to be glued onto: it is
// replaced by one whole line that says it was cut (red team, issue 11 log
// sink, F2).
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

const CHILD = `
import { createLogger } from './dist/observability/logger.js';
// The logger itself opens a pipe or socket stdout non-blocking.
const log = createLogger('info', undefined, 0);
log.info({ big: 'x'.repeat(1 << 20) }, 'big');
process.stderr.write('big logged\\n');
process.stdin.once('data', () => {
  log.error({ n: 1 }, 'after');
  process.stdin.once('end', () => process.exit(0));
});
`;

it('a line larger than the buffer, written to a slow non-blocking stdout, is cut to one whole line and never corrupts the next', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    // The reader is behind: nothing read from stdout until the big line has been handed to the sink.
    child.stdout.pause();
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => (c.toString().includes('big logged') ? resolve() : undefined));
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    // The reader catches up; then the next line is logged.
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"msg":"after"')) resolve();
      });
      child.stdout.resume();
      child.stdin.write('go\n');
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin.end();
    await exited;
    const lines = out.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as { msg?: string };
      } catch {
        return { msg: `UNPARSEABLE LINE of ${l.length} chars ending ${JSON.stringify(l.slice(-120))}` };
      }
    });
    expect(parsed.map((p) => p.msg).filter((m) => !/dropped/.test(m ?? ''))).toEqual(['log line cut: larger than the 65536-byte log buffer', 'after']);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
