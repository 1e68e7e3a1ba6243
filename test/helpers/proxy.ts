// Starts mirrorgate in-process on 127.0.0.1:0 over rules written to a temp dir.
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { request } from 'undici';
import { settingsFrom } from '../../src/config/settings.js';
import { startProxy, type Proxy } from '../../src/cli/start-proxy.js';
import { createLogger } from '../../src/observability/logger.js';
import { tempDir } from './temp.js';

export interface TestProxy {
  readonly url: string;
  readonly proxy: Proxy;
  /** Every log line, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The attempts logged for requests to `path`, oldest request first. */
  attemptsFor(path: string): { endpoint: string; outcome: string; hedged?: boolean; message?: string }[][];
  get(path: string, headers?: Record<string, string>, method?: 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST'): Promise<TestResponse>;
  close(): Promise<void>;
}

interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export function writeRules(files: Record<string, string>): string {
  const dir = tempDir('it');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export async function startTestProxy(rules: Record<string, string>, upstream: Record<string, unknown> = {}, sections: Record<string, Record<string, unknown>> = {}, start: Partial<Parameters<typeof startProxy>[1]> = {}): Promise<TestProxy> {
  const dir = writeRules(rules);
  const settings = settingsFrom(
    {
      server: { listen: ['127.0.0.1:0'] },
      rules: { paths: [dir] },
      upstream: { connect_timeout_ms: 1000, headers_timeout_ms: 1500, body_idle_timeout_ms: 1500, ...upstream },
      hedge: { mode: 'off' },
      // Off unless a test turns it on: most tests count what reaches the upstreams.
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false },
      ...sections,
    },
    {},
    dir,
    'test settings',
  );
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
  const proxy = await startProxy(settings, { log: createLogger('info', sink), ...start });
  const url = proxy.urls[0] as string;
  return {
    url,
    proxy,
    logs,
    attemptsFor: (path) => logs.filter((l) => l.msg === 'request' && l.path === path).map((l) => l.attempts as { endpoint: string; outcome: string; hedged?: boolean }[]),
    get: async (path, headers = {}, method = 'GET') => {
      const res = await request(`${url}${path}`, { method, headers });
      const body = Buffer.from(await res.body.arrayBuffer());
      const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
      return { status: res.statusCode, headers: flat, body };
    },
    // No grace: a test's leftovers are cut, as before graceful shutdown existed.
    close: () => proxy.close(0),
  };
}

/** IDMS + ITMS for `source/ns` with the given mirrors, and every host insecure (the fakes speak plain HTTP). */
export function mirrorRules(source: string, digestMirrors: string[], tagMirrors: string[], extra: { never?: boolean; insecure?: string[] } = {}): Record<string, string> {
  const list = (xs: string[]) => `[${xs.map((x) => `"${x}"`).join(', ')}]`;
  const hosts = [...new Set([source, ...digestMirrors, ...tagMirrors, ...(extra.insecure ?? [])].map((s) => s.split('/')[0] as string))];
  const docs = [
    `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ${list(hosts)}\n`,
  ];
  if (digestMirrors.length) {
    docs.push(`apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${source}"\n    mirrors: ${list(digestMirrors)}\n${extra.never ? '    mirrorSourcePolicy: NeverContactSource\n' : ''}`);
  }
  if (tagMirrors.length) {
    docs.push(`apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: t}\nspec:\n  imageTagMirrors:\n  - source: "${source}"\n    mirrors: ${list(tagMirrors)}\n${extra.never ? '    mirrorSourcePolicy: NeverContactSource\n' : ''}`);
  }
  return { 'rules.yaml': docs.join('---\n') };
}
