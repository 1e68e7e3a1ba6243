// The README's start command (`npm start`) and the Dockerfile's ENTRYPOINT +
// CMD run the same thing; no Docker engine runs here, so the command is run
// as the container runs it, from the repository root (the image's /app),
// with the Dockerfile's ENV (the listen address moved to a free port).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { tempDir } from '../helpers/temp.js';

const dockerfile = readFileSync('Dockerfile', 'utf8');

function dockerfileCommand(): string[] {
  const exec = (instruction: string): string[] => {
    const line = dockerfile.split('\n').find((l) => l.startsWith(`${instruction} [`));
    if (!line) throw new Error(`Dockerfile has no exec-form ${instruction}`);
    return JSON.parse(line.slice(instruction.length + 1)) as string[];
  };
  return [...exec('ENTRYPOINT'), ...exec('CMD')];
}

const dockerfileEnv = (): Record<string, string> =>
  Object.fromEntries(dockerfile.split('\n').filter((l) => l.startsWith('ENV ')).map((l) => l.slice(4).split('=', 2) as [string, string]));

function npmStartCommand(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  return (pkg.scripts.start ?? '').split(' ');
}

/** Starts the command, waits for its "listening" log line, returns the URL, its output so far and a stop function. */
function startServing(args: string[], env: Record<string, string>): Promise<{ url: string; pid: number; output: () => string; stop: () => Promise<number | null> }> {
  // The example config keeps blobs under /tmp/mirrorgate: here, in a directory this test file removes.
  const child = spawn(process.execPath, args, { env: { ...process.env, MIRRORGATE_CACHE_BLOBS_DIR: join(tempDir('blobs'), 'cache'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line within 10 s:\n${out}`)), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"mirrorgate listening"'));
      if (!line) return;
      clearTimeout(timer);
      const url = (JSON.parse(line) as { urls: string[] }).urls[0] as string;
      resolve({ url, pid: child.pid as number, output: () => out, stop: () => new Promise((done) => (child.once('exit', (code) => done(code)), child.kill('SIGTERM'))) });
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
  });
}

describe('start commands', () => {
  it('npm start and the Dockerfile run the same command', () => {
    expect(npmStartCommand()).toEqual(dockerfileCommand());
  });

  it('the Dockerfile command serves the bundled example config, and stops cleanly on SIGTERM', async () => {
    const [node, ...args] = dockerfileCommand();
    expect(node).toBe('node');
    expect(dockerfileEnv()).toEqual({ NODE_ENV: 'production', MIRRORGATE_SERVER_LISTEN: '0.0.0.0:5000', MIRRORGATE_CONFIG: '/app/config/mirrorgate.toml' });
    const serving = await startServing(args, { ...dockerfileEnv(), MIRRORGATE_SERVER_LISTEN: '127.0.0.1:0' });
    const ping = await request(`${serving.url}/v2/`);
    expect(ping.statusCode).toBe(200);
    expect(ping.headers['docker-distribution-api-version']).toBe('registry/2.0');
    await ping.body.dump();
    expect(await serving.stop()).toBe(0);
  });

  it('serve reloads the rules on SIGHUP, and a bad settings file exits 2 naming the key', async () => {
    const [, ...args] = dockerfileCommand();
    const serving = await startServing(args, { MIRRORGATE_SERVER_LISTEN: '127.0.0.1:0' });
    process.kill(serving.pid, 'SIGHUP');
    const deadline = Date.now() + 5_000;
    while (!serving.output().includes('"rules reloaded"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(serving.output()).toContain('"generation":2');
    expect(await serving.stop()).toBe(0);
    const bad = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, args, { env: { ...process.env, MIRRORGATE_UPSTREAM_CONNECT_TIMEOUT_MS: 'soon' } });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('exit', (code) => resolve({ code, err }));
    });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('upstream.connect_timeout_ms (from MIRRORGATE_UPSTREAM_CONNECT_TIMEOUT_MS): expected an integer, got "soon"');
  });

  it('serve refuses to start on invalid rules, exit 2 with every error', async () => {
    const [, ...args] = dockerfileCommand();
    const dir = tempDir('badrules');
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: x}\nspec:\n  imageDigestMirrors:\n  - {source: "quay.io/NS", mirrors: ["*.m"]}\n');
    const result = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, args, { env: { ...process.env, MIRRORGATE_RULES_PATHS: dir, MIRRORGATE_SERVER_LISTEN: '127.0.0.1:0' } });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('exit', (code) => resolve({ code, err }));
    });
    expect(result.code).toBe(2);
    expect(result.err).toContain('invalid rules (2 errors)');
    expect(result.err).toContain('bad.yaml: ImageDigestMirrorSet/x: spec.imageDigestMirrors[0].source: invalid format for source "quay.io/NS"');
  });
});

