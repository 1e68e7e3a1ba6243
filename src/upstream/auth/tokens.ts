// Registry token auth (distribution docs/content/spec/auth/token.md):
// 1. a request gets 401 with `WWW-Authenticate: Bearer realm,service,scope`;
// 2. GET realm?service=…&scope=… (Basic credentials if any, else anonymous);
// 3. cache the token per (registry, pull scope) until shortly before it expires;
// 4. retry with `Authorization: Bearer <token>`. Concurrent fetches of one
//    token share one request.
// The realm is named by the registry's challenge and may be any host: it is
// reached through the address filter like everything else, with the TLS
// policy (extra CA, insecure) of the endpoint that sent the challenge, and it
// gets the registry's Basic credentials only over TLS, or over plain HTTP only
// when it is that same insecure origin: scheme, host and port (RFC 6454), as
// another port on the same host is another service. What a realm on another
// host did is for the log only, like a redirect target's answer.
import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import type { Challenge } from '../../core/oci/challenge.js';
import type { TlsPolicy } from '../agents.js';
import { basicAuthorization, type Credential } from './credentials.js';
import { UpstreamFailure, classifyError } from '../failure.js';
import { readCapped } from '../read-capped.js';
import { SingleFlight } from '../single-flight.js';

/** Tokens live at least 60 s (containers/image raises shorter lifetimes); refresh this much early. */
const MIN_TTL_MS = 60_000;
const EARLY_REFRESH_MS = 10_000;
/** A hostile expires_in cannot pin a token for longer. */
const MAX_TTL_MS = 24 * 3600_000;
const MAX_TOKEN_BODY = 256 * 1024;

/** The monotonic clock, for durations (performance.now() in production). */
export interface Clock {
  now(): number;
}

/** Who sent the challenge: the registry (cache key), the URL it answered for, and its TLS policy. */
export interface ChallengeOrigin {
  readonly registry: string;
  readonly endpoint: URL;
  readonly tls: TlsPolicy;
}

/** The signal of a caller that never gives up waiting. */
const NEVER = new AbortController().signal;

const REALM_PUBLIC = 'the token realm could not be used (the mirrorgate log says why)';

export class TokenCache {
  private readonly cache: LRUCache<string, string>;
  /** One fetch per registry and scope at a time, kept going while any request still waits for it. */
  private readonly flights = new SingleFlight();

  constructor(
    private readonly dispatcher: (tls: TlsPolicy) => Dispatcher,
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

  /**
   * A token for pulling with `scope`, fetched from the challenge's realm unless cached. It is
   * cached under `scope`, the key the next request looks up, even when the challenge asks for
   * a scope of its own: keyed by the challenge's scope, a 401 would never refresh it.
   */
  async token(origin: ChallengeOrigin, challenge: Challenge, scope: string, credential: Credential | undefined, signal?: AbortSignal): Promise<string> {
    const { registry } = origin;
    const key = `${registry} ${scope}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    // Shared like a manifest fetch: the request that started it leaving does not break it for those that joined,
    // and each stops waiting on its own signal (its walk must end with it).
    const fetch = (shared: AbortSignal) =>
      this.fetchToken(origin, challenge, scope, credential, shared).then(
        ({ token, ttlMs }) => {
          this.onFetch(registry, true);
          this.cache.set(key, token, { ttl: Math.max(1, ttlMs - EARLY_REFRESH_MS) });
          return token;
        },
        (err: unknown) => {
          this.onFetch(registry, false);
          throw err;
        },
      );
    return this.flights.run(key, signal ?? NEVER, undefined, fetch).promise;
  }

  private async fetchToken(origin: ChallengeOrigin, challenge: Challenge, scope: string, credential: Credential | undefined, signal: AbortSignal) {
    const realm = challenge.params.realm;
    const url = realm !== undefined && URL.canParse(realm) ? new URL(realm) : undefined;
    if (url?.protocol !== 'https:' && url?.protocol !== 'http:') throw new UpstreamFailure('auth', 'Bearer challenge without a usable http(s) realm');
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.append('scope', challenge.params.scope ?? scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credential && mayCarryCredentials(url, origin)) headers.authorization = basicAuthorization(credential);
    try {
      return await this.ask(url, headers, origin, signal);
    } catch (err) {
      const failure = classifyError(err);
      if (failure.kind === 'aborted' || url.host === origin.endpoint.host) throw failure;
      throw new UpstreamFailure('auth', `token realm ${url.origin}: ${failure.kind}: ${failure.message}`, undefined, undefined, REALM_PUBLIC);
    }
  }

  private async ask(url: URL, headers: Record<string, string>, origin: ChallengeOrigin, signal: AbortSignal) {
    const res = await request(url, { method: 'GET', headers, dispatcher: this.dispatcher(origin.tls), signal });
    const text = (await readCapped(res.body, MAX_TOKEN_BODY)).toString('utf8');
    if (res.statusCode !== 200) throw new UpstreamFailure('auth', `token endpoint ${url.origin}${url.pathname} answered ${res.statusCode}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new UpstreamFailure('auth', `token endpoint ${url.origin}${url.pathname} answered something that is not JSON`);
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new UpstreamFailure('auth', 'token endpoint answered without a token');
    const expiresIn = typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) ? body.expires_in : 60;
    return { token, ttlMs: Math.round(Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, expiresIn * 1000))) };
  }
}

/** Basic credentials go to a realm over TLS, or in clear only to the very origin the (insecure) registry answered on. */
function mayCarryCredentials(realm: URL, origin: ChallengeOrigin): boolean {
  if (realm.protocol === 'https:') return true;
  return origin.tls.insecure && realm.origin === origin.endpoint.origin;
}
