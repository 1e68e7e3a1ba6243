// Requests to one upstream endpoint, with everything a registry client needs
// below the plan walker: scheme (and the insecure http fallback), token and
// Basic auth with one refresh on 401, redirects, no content decoding. Retries
// across endpoints are the walker's business, never this module's.
//
// Credentials stay with their registry: Authorization goes only to the
// endpoint's origin (scheme, host and port); a redirect to any other origin
// drops it for the rest of the chain, and a 401 from another origin is never
// answered (its challenge could name any realm). The hand-written loop is
// kept, rather than undici's redirect interceptor (which also drops
// Authorization on an origin change), because mirrorgate must know which
// origin answered: for the 401 rule, and so that what a redirect target says
// never reaches a client (failure.ts).
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { request } from 'undici';
import { parseChallenges, pullScope, type Challenge } from '../core/oci/challenge.js';
import { DOCKER_HUB, DOCKER_HUB_API } from '../core/reference/reference.js';
import type { Agents, TlsPolicy } from './agents.js';
import { basicAuthorization, type Credential, type CredentialLookup } from './auth/credentials.js';
import type { TokenCache } from './auth/tokens.js';
import { readErrorBody, summarizeErrorBody } from './error-body.js';
import { REDIRECT_PUBLIC, UpstreamFailure, classifyError, classifyStatus, redirectFailure } from './failure.js';
import { parseRetryAfter, type WallClock } from './retry-after.js';

/** Where an attempt goes: the physical reference's registry and repository. */
export interface Target extends TlsPolicy {
  readonly domain: string;
  readonly repository: string;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readable;
  readonly url: URL;
  /** For a status of 400 or more: what it means, with the upstream's words and its Retry-After read. */
  readonly failure?: UpstreamFailure;
}

export interface ClientOptions {
  /** For Retry-After dates. */
  readonly wall: WallClock;
  /** Retry-After is capped to this. */
  readonly maxRetryAfterMs: number;
  /** How many hosts' auth memos (plain HTTP, Basic) are kept. */
  readonly memoSize?: number;
}

const MAX_REDIRECTS = 5;
/**
 * What undici's body stream buffers while it is paused. It counts bytes, not
 * chunks: 1 MiB of one-byte HTTP chunks was a million Buffers per paused body.
 * The read-ahead while a consumer waits is body-flow.ts's batch (1 MiB, small
 * chunks copied together); this is only what arrives once that batch is full.
 */
const READ_AHEAD_BYTES = 64 * 1024;

const DRAIN_LIMIT = 64 * 1024;

/**
 * Lets go of a body the caller will not read: a small one is drained so the
 * connection can be reused, a large one is cut; never an unhandled error.
 */
export function discard(body: Readable): void {
  body.on('error', () => {});
  const dump = (body as Readable & { dump?: (opts: { limit: number }) => Promise<void> }).dump;
  if (dump) void dump.call(body, { limit: DRAIN_LIMIT }).catch(() => {});
  else body.destroy();
}

export const header = (headers: UpstreamResponse['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export class UpstreamClient {
  /** Insecure hosts that answered over plain http; https is not retried for them. */
  private readonly plainHttp: LRUCache<string, true>;
  /** Hosts that asked for Basic auth. */
  private readonly basicHosts: LRUCache<string, true>;

  constructor(
    private readonly agents: Agents,
    private readonly tokens: TokenCache,
    private readonly credentials: CredentialLookup,
    private readonly options: ClientOptions,
  ) {
    // Bounded: in open mode the hosts are the clients' choice.
    this.plainHttp = new LRUCache({ max: options.memoSize ?? 1_000 });
    this.basicHosts = new LRUCache({ max: options.memoSize ?? 1_000 });
  }

  /** `path` is relative to the registry root, e.g. `/v2/ns/app/manifests/latest`. */
  async request(target: Target, method: 'GET' | 'HEAD', path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<UpstreamResponse> {
    const host = target.domain === DOCKER_HUB ? DOCKER_HUB_API : target.domain;
    const schemes = target.insecure ? (this.plainHttp.has(host) ? ['http'] : ['https', 'http']) : ['https'];
    let last: UpstreamFailure | undefined;
    for (const scheme of schemes) {
      const url = new URL(`${scheme}://${host}${path}`);
      try {
        const res = await this.authorized(target, method, url, headers, signal);
        if (scheme === 'http') this.plainHttp.set(host, true);
        return await this.withFailure(res, url);
      } catch (err) {
        last = classifyError(err);
        if (last.kind === 'aborted' || last.kind === 'auth' || last.kind === 'redirect') throw last;
      }
    }
    throw last ?? new UpstreamFailure('refused', `no scheme for ${host}`);
  }

  /** Reads why an error status was answered (under a cap) and classifies it; the body is spent. */
  private async withFailure(res: UpstreamResponse, endpoint: URL): Promise<UpstreamResponse> {
    if (res.status < 400) return res;
    const said = summarizeErrorBody(await readErrorBody(res.body));
    const retryAfter = res.status === 429 ? parseRetryAfter(header(res.headers, 'retry-after'), this.options.wall.now(), this.options.maxRetryAfterMs) : undefined;
    const failure = classifyStatus(res.status, {
      ...(said !== undefined ? { said } : {}),
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
      foreign: res.url.origin !== endpoint.origin,
    });
    return { ...res, body: Readable.from([]), failure };
  }

  private async authorized(target: Target, method: 'GET' | 'HEAD', url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<UpstreamResponse> {
    const scope = pullScope(target.repository);
    const credential = this.credentials({ domain: target.domain, path: target.repository });
    const auth = this.basicHosts.has(url.host) && credential ? basic(credential) : bearer(this.tokens.cached(target.domain, scope));
    const first = await this.follow(target, method, url, { ...headers, ...auth }, signal);
    if (first.status !== 401) return first;
    discard(first.body);
    if (first.url.origin !== url.origin) {
      throw new UpstreamFailure('redirect', `redirect target ${first.url.origin} asked for credentials; those of ${url.origin} go nowhere else`, undefined, undefined, REDIRECT_PUBLIC);
    }
    const challenge = parseChallenges(first.headers['www-authenticate']).find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
    if (!challenge) throw new UpstreamFailure('auth', 'upstream answered 401 without a usable challenge', 401);
    const retryAuth = await this.answer(target, challenge, scope, url, signal);
    return this.follow(target, method, url, { ...headers, ...retryAuth }, signal);
  }

  private async answer(target: Target, challenge: Challenge, scope: string, url: URL, signal?: AbortSignal): Promise<Record<string, string>> {
    const credential = this.credentials({ domain: target.domain, path: target.repository });
    if (challenge.scheme === 'basic') {
      if (!credential) throw new UpstreamFailure('auth', `${url.host} asks for Basic auth and no credentials are configured for it`, 401);
      this.basicHosts.set(url.host, true);
      return basic(credential);
    }
    this.tokens.forget(target.domain, scope);
    const token = await this.tokens.token({ registry: target.domain, endpoint: url, tls: target }, challenge, scope, credential, signal);
    return { authorization: `Bearer ${token}` };
  }

  /** One request, following redirects; Authorization never leaves the origin it was meant for. */
  private async follow(target: Target, method: 'GET' | 'HEAD', start: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<UpstreamResponse> {
    let url = start;
    let sent: Record<string, string> = { ...headers, 'accept-encoding': 'identity', 'user-agent': 'mirrorgate' };
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await this.send(target, method, url, sent, start, signal);
      const location = res.statusCode >= 300 && res.statusCode < 400 ? header(res.headers, 'location') : undefined;
      if (location === undefined) return { status: res.statusCode, headers: res.headers, body: res.body, url };
      discard(res.body);
      const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
      if (next?.protocol !== 'http:' && next?.protocol !== 'https:') {
        throw new UpstreamFailure('redirect', `${url.origin} redirected to something that is not an http(s) URL`, undefined, undefined, REDIRECT_PUBLIC);
      }
      // Compared by origin: https://h -> http://h is another origin, and credentials never go out in clear.
      if (next.origin !== start.origin) {
        const { authorization: _dropped, ...rest } = sent;
        sent = rest;
      }
      url = next;
    }
    throw new UpstreamFailure('invalid', `more than ${MAX_REDIRECTS} redirects from ${start.host}`);
  }

  private async send(target: Target, method: 'GET' | 'HEAD', url: URL, headers: Record<string, string>, start: URL, signal?: AbortSignal) {
    try {
      return await request(url, { method, headers, highWaterMark: READ_AHEAD_BYTES, dispatcher: this.agents.for(target, target.domain), ...(signal ? { signal } : {}) });
    } catch (err) {
      // What happened at another origin (refused, timed out, filtered) is for the log only: a client must not probe with it.
      throw url.origin === start.origin ? err : redirectFailure(url, err);
    }
  }
}

const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
const basic = (c: Credential): Record<string, string> => ({ authorization: basicAuthorization(c) });
