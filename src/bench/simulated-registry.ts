// A simulated OCI registry on 127.0.0.1:0 with fault knobs, for the tests
// and the benchmark: hang, slow, status overrides, flaky answers, wrong bytes,
// resets mid-body, token auth, redirects, Range, request counting. Refusing
// connections is a stopped registry.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { listenOnLoopback, type Listening } from './loopback.js';
import { seededRandom } from './random.js';

export interface Faults {
  /** Accept connections, never answer. */
  hang?: boolean;
  /** Delay every answer. */
  delayMs?: number;
  /** Answer every /v2/<name>/… request with this status (429 gets Retry-After). */
  status?: number;
  retryAfter?: string;
  /** Serve these bytes instead of the stored ones for blobs and manifests by digest. */
  corrupt?: boolean;
  /** Destroy the connection after this many body bytes of a blob GET. */
  resetBlobAfter?: number;
  /** Ignore Range headers on blobs (answer 200 with the whole blob). */
  ignoreRange?: boolean;
  /** Require Bearer tokens from this registry's /token endpoint. */
  tokenAuth?: { username?: string; password?: string };
  /** Require Basic credentials on every /v2 request. */
  basicAuth?: { username: string; password: string };
  /** Redirect blob GETs to this base URL (another fake). */
  redirectBlobsTo?: string;
  /** Answer HEAD of manifests with 405, as some registries do. */
  noHead?: boolean;
  /** Answer this percentage of /v2/<name>/… requests with 500, chosen by a seeded generator. */
  flakyPercent?: number;
}

export interface StoredManifest {
  readonly body: Buffer;
  readonly mediaType: string;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class FakeRegistry {
  readonly manifests = new Map<string, StoredManifest>(); // key: `${name}@${digest}` and `${name}:${tag}`
  readonly blobs = new Map<string, Buffer>(); // key: digest
  readonly tags = new Map<string, string[]>();
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  faults: Faults = {};
  /** Decides flaky answers; reseed for reproducible runs. */
  random = seededRandom(1);
  /** Requests whose connection closed before the answer was complete (the client aborted). */
  closedEarly = 0;
  private listening: Listening | undefined;
  host = '';

  async start(tls?: { certFile: string; keyFile: string }): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.listening = await listenOnLoopback(tls ? createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, handler) : createServer(handler));
    this.host = this.listening.host;
    return this;
  }

  async stop(): Promise<void> {
    await this.listening?.stop();
  }

  /** Counts requests whose path contains `fragment` (and method, when given). */
  count(fragment: string, method?: string): number {
    return this.requests.filter((r) => r.url.includes(fragment) && (method === undefined || r.method === method)).length;
  }

  putBlob(content: Buffer): string {
    const digest = sha256(content);
    this.blobs.set(digest, content);
    return digest;
  }

  putManifest(name: string, body: Buffer, mediaType: string, tag?: string): string {
    const digest = sha256(body);
    this.manifests.set(`${name}@${digest}`, { body, mediaType });
    if (tag !== undefined) {
      this.manifests.set(`${name}:${tag}`, { body, mediaType });
      this.tags.set(name, [...new Set([...(this.tags.get(name) ?? []), tag])].sort());
    }
    return digest;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    res.on('close', () => {
      if (!res.writableFinished) this.closedEarly++;
    });
    const f = this.faults;
    if (f.hang) return;
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/token') return this.token(req, res);
    if (f.tokenAuth && req.headers.authorization !== 'Bearer good-token') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${this.host}/token",service="fake",scope="repository:x:pull"`, 'content-type': 'application/json' });
      return void res.end('{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}');
    }
    const basic = f.basicAuth && `Basic ${Buffer.from(`${f.basicAuth.username}:${f.basicAuth.password}`).toString('base64')}`;
    if (basic && req.headers.authorization !== basic) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
    }
    if (url.pathname === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    const flaky = f.flakyPercent !== undefined && url.pathname !== '/v2/' && this.random() * 100 < f.flakyPercent;
    if (f.status || flaky) {
      const status = f.status ?? 500;
      res.writeHead(status, { 'content-type': 'application/json', ...(f.retryAfter ? { 'retry-after': f.retryAfter } : {}) });
      return void res.end(`{"errors":[{"code":"UNKNOWN","message":"fault ${status}"}]}`);
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname) ?? /^\/v2\/(.+)\/(tags)\/list$/.exec(url.pathname);
    if (!m) return this.notFound(res, 'NAME_UNKNOWN');
    const [, name = '', kind, ref = ''] = m;
    if (kind === 'manifests') return this.manifest(req, res, name, ref);
    if (kind === 'blobs') return this.blob(req, res, ref);
    if (kind === 'tags') return this.tagList(res, name, url.searchParams);
    return this.notFound(res, 'NAME_UNKNOWN');
  }

  private token(req: IncomingMessage, res: ServerResponse): void {
    const want = this.faults.tokenAuth;
    const basic = want?.username ? `Basic ${Buffer.from(`${want.username}:${want.password}`).toString('base64')}` : undefined;
    if (basic && req.headers.authorization !== basic) return void res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'good-token', expires_in: 300 }));
  }

  private notFound(res: ServerResponse, code: string): void {
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message: 'not here' }] }));
  }

  private manifest(req: IncomingMessage, res: ServerResponse, name: string, ref: string): void {
    if (req.method === 'HEAD' && this.faults.noHead) return void res.writeHead(405).end();
    const stored = this.manifests.get(ref.includes(':') ? `${name}@${ref}` : `${name}:${ref}`);
    if (!stored) return this.notFound(res, 'MANIFEST_UNKNOWN');
    const body = this.faults.corrupt && ref.includes(':') ? Buffer.concat([stored.body, Buffer.from(' ')]) : stored.body;
    res.writeHead(200, { 'content-type': stored.mediaType, 'content-length': body.length, 'docker-content-digest': sha256(stored.body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private blob(req: IncomingMessage, res: ServerResponse, digest: string): void {
    const stored = this.blobs.get(digest);
    if (!stored) return this.notFound(res, 'BLOB_UNKNOWN');
    if (this.faults.redirectBlobsTo && req.method === 'GET') {
      return void res.writeHead(307, { location: `${this.faults.redirectBlobsTo}/v2/redirected/blobs/${digest}` }).end();
    }
    let body = this.faults.corrupt ? Buffer.from(stored).fill(0x41, 0, Math.min(16, stored.length)) : stored;
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && !this.faults.ignoreRange) {
      const size = body.length;
      const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
      const end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      if (start >= size || end < start) return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      body = body.subarray(start, end + 1);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = body.length;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    const cut = this.faults.resetBlobAfter;
    if (cut !== undefined && cut < body.length) {
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  }

  private tagList(res: ServerResponse, name: string, q: URLSearchParams): void {
    const all = this.tags.get(name);
    if (!all) return this.notFound(res, 'NAME_UNKNOWN');
    const last = q.get('last');
    const n = q.get('n') === null ? Infinity : Number(q.get('n'));
    const after = last === null ? all : all.filter((t) => t > last);
    const page = after.slice(0, n);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (page.length < after.length) headers.link = `</v2/${name}/tags/list?last=${page[page.length - 1]}&n=${n}>; rel="next"`;
    res.writeHead(200, headers).end(JSON.stringify({ name, tags: page }));
  }
}

export async function fakeRegistry(tls?: { certFile: string; keyFile: string }): Promise<FakeRegistry> {
  return new FakeRegistry().start(tls);
}
