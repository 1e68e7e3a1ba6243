// Availability: ONE unauthenticated request kills the process.
// server/app.ts serve() builds `new URL(req.url, 'http://client')` before its
// try block; a request target that Node's HTTP parser accepts but WHATWG URL
// rejects (`//x:99999/`, `//[`, `//%/`) throws, the async handler rejects,
// nothing catches it (no unhandledRejection handler), and `mirrorgate serve`
// exits 1. Authentication does not help: it runs after. Run against the
// built CLI (`npm run build` first), as a real process on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function serve(): Promise<{ port: number; exited: Promise<number | null> }> {
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt-crash-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'r.yaml'), 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n');
  writeFileSync(join(dir, 'c.toml'), '[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n');
  const proc = spawn(process.execPath, [join(process.cwd(), 'dist/cli/main.js'), 'serve', '--config', join(dir, 'c.toml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no listening line: ${text}`)), 10_000);
    proc.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /"urls":\["http:\/\/127\.0\.0\.1:(\d+)"/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { port, exited };
}

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = connect(port, '127.0.0.1', () => s.write(text));
    s.on('data', (d) => (got += d.toString()));
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
    setTimeout(() => (s.destroy(), resolve(got)), 3000);
  });
}

describe('request targets WHATWG URL cannot parse', () => {
  it.each(['//x:99999/', '//[', '//%/'])('GET %s is answered 400 and the process stays up', async (target) => {
    const { port, exited } = await serve();
    const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
    const code = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 1000))]);
    expect({ alive: code === 'alive', status: answer.split('\r\n')[0] }).toEqual({ alive: true, status: expect.stringMatching(/^HTTP\/1\.1 4\d\d/) });
  });
});
