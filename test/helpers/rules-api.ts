// A mirrorgate with the rules API enabled on its admin listener (127.0.0.1:0),
// a token file with a read-write and a read-only token, and a small client.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startTestProxy, type TestProxy } from './proxy.js';

export const RW = 'rw-token-0123456789abcdef';
export const RO = 'ro-token-0123456789abcdef';

interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The parsed JSON body, loosely typed for assertions. */
  readonly json: any;
}

export interface ApiHarness {
  readonly proxy: TestProxy;
  readonly adminUrl: string;
  readonly stateDir: string;
  readonly tokensFile: string;
  call(method: string, path: string, body?: unknown, options?: { token?: string | null; contentType?: string }): Promise<ApiResponse>;
  close(): Promise<void>;
}

export const IDMS = 'apis/config.openshift.io/v1/imagedigestmirrorsets';
export const ITMS = 'apis/config.openshift.io/v1/imagetagmirrorsets';

export const idms = (name: string, source: string, mirrors: string[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name, ...extra },
  spec: { imageDigestMirrors: [{ source, mirrors }] },
});

export async function startApi(rules: Record<string, string>, upstream: Record<string, unknown> = {}, options: { stateDir?: string; bookmarkIntervalMs?: number; watchHistory?: number; adminTls?: { certFile: string; keyFile: string } } = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-api-'));
  const stateDir = options.stateDir ?? join(dir, 'state');
  const tokensFile = join(dir, 'tokens');
  writeFileSync(tokensFile, `${RW} read-write admin\n${RO} read-only viewer\n`);
  const proxy = await startTestProxy(rules, upstream, { admin: { listen: ['127.0.0.1:0'], ...(options.adminTls ? { tls_cert: options.adminTls.certFile, tls_key: options.adminTls.keyFile } : {}) }, api: { enabled: true, state_dir: stateDir, tokens: tokensFile, watch_history: options.watchHistory ?? 1000 } }, { api: { bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000 } });
  const adminUrl = proxy.proxy.adminUrls[0] as string;
  return {
    proxy,
    adminUrl,
    stateDir,
    tokensFile,
    async call(method, path, body, o = {}) {
      const token = o.token === undefined ? RW : o.token;
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
      const res = await request(`${adminUrl}/${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, text, json };
    },
    async close() {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
