// Requests to one upstream endpoint, with everything a registry client needs
// below the plan walker: scheme (and the insecure http fallback), token and
// Basic auth with one refresh on 401, redirects followed without leaking
// Authorization to another host, no content decoding. Retries across
// endpoints are the walker's business, never this module's.
import type { Readable } from 'node:stream';
import { request } from 'undici';
import { parseChallenges, pullScope, type Challenge } from '../core/oci/challenge.js';
import { DOCKER_HUB, DOCKER_HUB_API } from '../core/reference/reference.js';
import type { Agents, TlsPolicy } from './agents.js';
import { basicAuthorization, type Credential, type CredentialLookup } from './auth/credentials.js';
import type { TokenCache } from './auth/tokens.js';
import { UpstreamFailure, classifyError } from './failure.js';

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
}

const MAX_REDIRECTS = 5;
const READ_AHEAD_BYTES = 1024 * 1024;

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
  private readonly plainHttp = new Set<string>();
  /** Hosts that asked for Basic auth. */
  private readonly basicHosts = new Set<string>();

  constructor(
    private readonly agents: Agents,
    private readonly tokens: TokenCache,
    private readonly credentials: CredentialLookup,
  ) {}

  /** `path` is relative to the registry root, e.g. `/v2/ns/app/manifests/latest`. */
  async request(target: Target, method: 'GET' | 'HEAD', path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<UpstreamResponse> {
    const host = target.domain === DOCKER_HUB ? DOCKER_HUB_API : target.domain;
    const schemes = target.insecure ? (this.plainHttp.has(host) ? ['http'] : ['https', 'http']) : ['https'];
    let last: UpstreamFailure | undefined;
    for (const scheme of schemes) {
      try {
        const res = await this.authorized(target, method, new URL(`${scheme}://${host}${path}`), headers, signal);
        if (scheme === 'http') this.plainHttp.add(host);
        return res;
      } catch (err) {
        last = classifyError(err);
        if (last.kind === 'aborted' || last.kind === 'auth') throw last;
      }
    }
    throw last ?? new UpstreamFailure('refused', `no scheme for ${host}`);
  }

  private async authorized(target: Target, method: 'GET' | 'HEAD', url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<UpstreamResponse> {
    const scope = pullScope(target.repository);
    const credential = this.credentials({ domain: target.domain, path: target.repository });
    const auth = this.basicHosts.has(url.host) && credential ? basic(credential) : bearer(this.tokens.cached(target.domain, scope));
    const first = await this.follow(target, method, url, { ...headers, ...auth }, signal);
    if (first.status !== 401) return first;
    const challenge = parseChallenges(first.headers['www-authenticate']).find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
    discard(first.body);
    if (!challenge) throw new UpstreamFailure('auth', 'upstream answered 401 without a usable challenge', 401);
    const retryAuth = await this.answer(target, challenge, scope, url, signal);
    return this.follow(target, method, url, { ...headers, ...retryAuth }, signal);
  }

  private async answer(target: Target, challenge: Challenge, scope: string, url: URL, signal?: AbortSignal): Promise<Record<string, string>> {
    const credential = this.credentials({ domain: target.domain, path: target.repository });
    if (challenge.scheme === 'basic') {
      if (!credential) throw new UpstreamFailure('auth', `${url.host} asks for Basic auth and no credentials are configured for it`, 401);
      this.basicHosts.add(url.host);
      return basic(credential);
    }
    this.tokens.forget(target.domain, scope);
    const token = await this.tokens.token(target.domain, challenge, challenge.params.scope ?? scope, credential, signal);
    return { authorization: `Bearer ${token}` };
  }

  /** One request, following redirects itself so Authorization never crosses to another host. */
  private async follow(target: Target, method: 'GET' | 'HEAD', start: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<UpstreamResponse> {
    let url = start;
    let sent: Record<string, string> = { ...headers, 'accept-encoding': 'identity', 'user-agent': 'mirrorgate' };
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      // Reading ahead up to 1 MiB lets the upstream keep sending while a chunk is written to the client.
      const res = await request(url, { method, headers: sent, highWaterMark: READ_AHEAD_BYTES, dispatcher: this.agents.for(target, target.domain), ...(signal ? { signal } : {}) });
      const location = res.statusCode >= 300 && res.statusCode < 400 ? header(res.headers, 'location') : undefined;
      if (location === undefined) return { status: res.statusCode, headers: res.headers, body: res.body, url };
      discard(res.body);
      const next = new URL(location, url);
      if (next.host !== url.host) {
        const { authorization: _dropped, ...rest } = sent;
        sent = rest;
      }
      url = next;
    }
    throw new UpstreamFailure('invalid', `more than ${MAX_REDIRECTS} redirects from ${start.host}`);
  }
}

const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
const basic = (c: Credential): Record<string, string> => ({ authorization: basicAuthorization(c) });
