// Registry token auth (distribution docs/content/spec/auth/token.md):
// 1. a request gets 401 with `WWW-Authenticate: Bearer realm,service,scope`;
// 2. GET realm?service=…&scope=… (Basic credentials if any, else anonymous);
// 3. cache the token per (registry, scope) until shortly before it expires;
// 4. retry with `Authorization: Bearer <token>`. Concurrent fetches of one
//    token share one request.
import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import type { Challenge } from '../../core/oci/challenge.js';
import { basicAuthorization, type Credential } from './credentials.js';
import { UpstreamFailure, classifyError } from '../failure.js';
import { readCapped } from '../read-capped.js';

/** Tokens live at least 60 s (containers/image raises shorter lifetimes); refresh this much early. */
const MIN_TTL_MS = 60_000;
const EARLY_REFRESH_MS = 10_000;
const MAX_TOKEN_BODY = 256 * 1024;

export interface Clock {
  now(): number;
}

export class TokenCache {
  private readonly cache: LRUCache<string, string>;
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly dispatcher: (url: URL) => Dispatcher,
    clock: Clock,
    /** Told about every token request: which registry, and whether it worked. */
    private readonly onFetch: (registry: string, ok: boolean) => void = () => {},
    max = 10_000,
  ) {
    this.cache = new LRUCache({ max, ttlAutopurge: false, perf: clock, allowStale: false });
  }

  cached(registry: string, scope: string): string | undefined {
    return this.cache.get(`${registry} ${scope}`);
  }

  forget(registry: string, scope: string): void {
    this.cache.delete(`${registry} ${scope}`);
  }

  /** A token for `scope`, fetched from the challenge's realm unless cached. */
  async token(registry: string, challenge: Challenge, scope: string, credential: Credential | undefined, signal?: AbortSignal): Promise<string> {
    const key = `${registry} ${scope}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(challenge, scope, credential, signal)
        .then(
          ({ token, ttlMs }) => {
            this.onFetch(registry, true);
            this.cache.set(key, token, { ttl: Math.max(1, ttlMs - EARLY_REFRESH_MS) });
            return token;
          },
          (err: unknown) => {
            this.onFetch(registry, false);
            throw err;
          },
        )
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(challenge: Challenge, scope: string, credential: Credential | undefined, signal?: AbortSignal) {
    const realm = challenge.params.realm;
    if (!realm) throw new UpstreamFailure('auth', 'Bearer challenge without a realm');
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credential) headers.authorization = basicAuthorization(credential);
    let res;
    try {
      res = await request(url, { method: 'GET', headers, dispatcher: this.dispatcher(url), ...(signal ? { signal } : {}) });
    } catch (err) {
      throw classifyError(err);
    }
    const text = (await readCapped(res.body, MAX_TOKEN_BODY)).toString('utf8');
    if (res.statusCode !== 200) throw new UpstreamFailure('auth', `token endpoint ${url.origin}${url.pathname} answered ${res.statusCode}`, res.statusCode);
    const body = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new UpstreamFailure('auth', 'token endpoint answered without a token');
    return { token, ttlMs: Math.max(MIN_TTL_MS, (body.expires_in ?? 60) * 1000) };
  }
}

