// Module boundaries enforced by a test (as go-containerregistry's depcheck):
// src/core is pure (no I/O, no clock, no randomness, no process), and
// imports flow one way: cli -> server -> store -> pull -> upstream -> core; nothing
// imports server or cli (but rules-api, which uses server's token files).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);

/** The top folder under src/ that an import lands in, or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec.startsWith('node:') ? 'node:' : spec.split('/')[0] as string;
  return relative(SRC, resolve(dirname(file), spec)).split('/')[0] as string;
}

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: ['core', 'yaml', 'smol-toml'],
  upstream: ['upstream', 'core', 'node:', 'undici', 'lru-cache'],
  pull: ['pull', 'upstream', 'core', 'node:', 'lru-cache'],
  store: ['store', 'pull', 'upstream', 'core', 'node:', 'lru-cache'],
  config: ['config', 'core', 'node:', 'smol-toml'],
  // core for pure text rules shared with other edges (core/log-text.ts: what keeps a log line one line).
  observability: ['observability', 'core', 'node:', 'pino', 'prom-client'],
  server: ['server', 'store', 'pull', 'upstream', 'config', 'cluster', 'observability', 'core', 'node:', 'bcryptjs'],
  // Following a cluster: a rule source fed by @kubernetes/client-node list/watch.
  cluster: ['cluster', 'config', 'observability', 'core', 'node:', '@kubernetes', 'yaml'],
  bench: ['bench', 'node:', 'undici', 'smol-toml'],
  // The rules API is an edge beside server: it shares the admin listener's token files, and cli composes it.
  'rules-api': ['rules-api', 'server', 'config', 'observability', 'core', 'node:', 'yaml'],
  cli: ['cli', 'bench', 'server', 'rules-api', 'cluster', 'store', 'pull', 'upstream', 'config', 'observability', 'core', 'node:'],
};

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it.each(files.map((f) => [relative(SRC, f), f] as const))('%s imports only what its layer may', (_name, file) => {
    const layer = relative(SRC, file).split('/')[0] as string;
    const allowed = ALLOWED[layer];
    expect(allowed, `no rule for layer ${layer}`).toBeDefined();
    const bad = importsOf(file).filter((spec) => !allowed?.includes(target(file, spec)));
    expect(bad).toEqual([]);
  });

  it('the core uses no clock, randomness, process or globals that do I/O', () => {
    const offenders = files
      .filter((f) => relative(SRC, f).startsWith('core/'))
      .filter((f) => /\b(Date\.now|new Date\(|Math\.random|setTimeout|setInterval|fetch\(|require\()|(?<![\w-])process\./.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });
});
