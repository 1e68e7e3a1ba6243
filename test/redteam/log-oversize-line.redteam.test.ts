// Red team (issue 11 log sink): a line larger than the sink's 64 KiB buffer
// "goes out alone" (observability/line-sink.ts write): writeBytes writes
// until the descriptor says EAGAIN and returns how much it wrote, which
// write() ignores. On a non-blocking stdout (one any code made non-blocking
// by touching process.stdout, or a supervisor handed over so) whose reader
// is behind, the head of the line is written, the rest is thrown away
// without its newline and without being counted as dropped, and the next
// line (an error line, say) is glued onto the fragment: one corrupt line
// where two were logged, and no "log lines dropped" notice.
// REQUIRED: stdout only ever holds whole lines; a line that cannot be
// written is dropped whole and counted.
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

const CHILD = `
import { createLogger } from './dist/observability/logger.js';
void process.stdout; // as the CLI's own output writer does: fd 1 (a pipe) becomes non-blocking
const log = createLogger('info', undefined, 0);
log.info({ big: 'x'.repeat(1 << 20) }, 'big');
process.stderr.write('big logged\\n');
process.stdin.once('data', () => {
  log.error({ n: 1 }, 'after');
  process.stdin.once('end', () => process.exit(0));
});
`;

it('a line larger than the buffer, written to a slow non-blocking stdout, never corrupts the next line', async () => {
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
    expect(parsed.map((p) => p.msg).filter((m) => m !== 'big' && !/dropped/.test(m ?? ''))).toEqual(['after']);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
