// Every way an upstream attempt can fail, classified once (here) so that no
// other module inspects error codes or statuses to decide what happened.
// A failure carries two texts: `message`, for the log and the attempt record,
// may quote the upstream (its error body, an address, an OpenSSL string);
// `publicMessage`, the only text a client may see, is mirrorgate's own words
// and never holds upstream bytes or a host outside the plan.
import { OciError } from '../core/oci/errors.js';
import { AddressRefusedError } from './connect-guard.js';

export type FailureKind =
  | 'refused' // connection refused or reset before a response, or an address the filter refused
  | 'dns' // the host name did not resolve
  | 'timeout' // connect, headers or idle body timeout
  | 'deadline' // the pull's overall deadline (upstream.pull_deadline_ms) cut the attempt: the pull's time ran out, not the endpoint (but see slowEndpoint)
  | 'tls' // certificate or handshake failure
  | 'status_5xx'
  | 'status_429'
  | 'not_found'
  | 'auth' // 401/403 after authenticating, or a token that could not be had
  | 'digest_mismatch'
  | 'invalid' // a response that breaks the protocol (bad Content-Range or Content-Length, not JSON, too many redirects…)
  | 'rejected' // a 4xx (not 401/403/404/408/429) to this request: its parameters or Accept, not the endpoint's fault
  | 'declined' // a correct answer with content mirrorgate will not serve (schema 1, over a size or nesting bound…)
  | 'redirect' // a redirect target on another origin failed or was refused (what exactly: in the log only)
  | 'busy' // skipped: the endpoint asked us to back off (Retry-After)
  | 'circuit_open' // skipped: the endpoint failed repeatedly and is cooling down
  | 'aborted'; // the client went away

/**
 * The failures that say the endpoint itself is unwell and count towards
 * opening its circuit (pull/health.ts). The line: what the endpoint did
 * (unreachable, slow, 5xx, bytes that are not the digest asked for, a
 * response that breaks the protocol) counts; what it answered about one piece
 * of content does not, since anyone who can publish an image on a shared
 * registry chooses that. So `declined` (content mirrorgate refuses by its own
 * settings and bounds), `not_found`, `auth` and 429 leave the circuit alone:
 * three pulls of one schema-1 image must not send everyone's pulls elsewhere.
 * Nor does `rejected`: a 400 the client's own parameters provoke (an `n` past
 * the registry's range, an Accept naming none of the image's types) is the
 * endpoint's answer to that request, and any client could send three.
 * Nor does `deadline`: the pull's budget may have gone to earlier endpoints
 * or to a client that reads slowly, and a body too slow to be useful is a
 * stall (upstream.min_bytes_per_s), which does count. Except when the cut
 * attempt itself took the time: see slowEndpoint.
 */
export const ENDPOINT_FAILURES: ReadonlySet<FailureKind> = new Set<FailureKind>(['refused', 'dns', 'timeout', 'tls', 'status_5xx', 'digest_mismatch', 'invalid', 'redirect']);

/** An attempt on one endpoint that did not produce a usable response. */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    /** For 429: how long the endpoint asked us to wait (already capped). */
    readonly retryAfterMs?: number,
    /** What a client may be told beyond kind and status; mirrorgate's words only. */
    readonly publicMessage?: string,
  ) {
    super(message);
  }
}

/**
 * A body cut mid-stream by the pull's deadline, judged: a `timeout` of the
 * endpoint (charged to its health like a stall) when this attempt alone spent
 * at least half of upstream.pull_deadline_ms waiting for the endpoint (its
 * headers, then its body bytes: `endpointMs`, never the time the body waited
 * for our own client or disk); else undefined, and the cut stays `deadline`,
 * uncharged. A mirror that streams steadily just above min_bytes_per_s but
 * can never finish a large layer within the deadline passes the stall rule,
 * and without this it would take every pull of that layer, whole deadline
 * after whole deadline, while a healthy next mirror is never tried (red team).
 * Half, not all: an attempt that took half the pull's whole budget by itself
 * and had still not finished is slow by any measure, while one that got less
 * than half is not judged on a deadline that others (earlier endpoints of the
 * walk, a client that reads slowly) used up. An attempt the deadline cut while
 * it waited for headers is not judged here: upstream.headers_timeout_ms is.
 */
export function slowEndpoint(cut: UpstreamFailure, endpointMs: number, deadlineMs: number): UpstreamFailure | undefined {
  if (cut.kind !== 'deadline' || endpointMs * 2 < deadlineMs) return undefined;
  return new UpstreamFailure('timeout', `too slow: upstream.pull_deadline_ms (${deadlineMs} ms) cut the body after this endpoint alone had taken ${Math.round(endpointMs)} ms of it`);
}

/** The abort reason of a request whose upstream.pull_deadline_ms passed: a 504 for its client. */
export class PullDeadline extends OciError {
  constructor() {
    super('GATEWAY_TIMEOUT', 'the pull took longer than upstream.pull_deadline_ms');
  }
}

const TIMEOUT_CODES = ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'];
const DNS_CODES = ['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME'];
// OpenSSL's words when the "TLS server" answers a ClientHello in plain HTTP.
const PLAIN_HTTP_RE = /wrong version number|packet length too long|http request/i;

const PLAIN_HTTP_HINT =
  'the endpoint speaks plain HTTP, not HTTPS; to allow that, list its host in the Image config (spec.registrySources.insecureRegistries) or set `insecure = true` for it in registries.conf';

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return String(e?.code ?? e?.cause?.code ?? '');
}

/** A thrown network error -> its failure kind. */
export function classifyError(err: unknown): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const said = code ? `${code}: ${message}` : message;
  if (err instanceof PullDeadline) return new UpstreamFailure('deadline', err.message);
  if (code === 'UND_ERR_ABORTED' || (err as Error)?.name === 'AbortError') return new UpstreamFailure('aborted', 'request aborted');
  if (err instanceof AddressRefusedError || (err as { cause?: unknown })?.cause instanceof AddressRefusedError) {
    return new UpstreamFailure('refused', said, undefined, undefined, 'the address is not one mirrorgate may reach unless the rules or upstream.allow name the host');
  }
  if (TIMEOUT_CODES.includes(code)) return new UpstreamFailure('timeout', said);
  if (DNS_CODES.includes(code)) return new UpstreamFailure('dns', said, undefined, undefined, 'the host name did not resolve');
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/.test(code)) {
    return new UpstreamFailure('tls', said, undefined, undefined, PLAIN_HTTP_RE.test(said) ? PLAIN_HTTP_HINT : undefined);
  }
  return new UpstreamFailure('refused', said);
}

export interface StatusContext {
  /** The wait the endpoint asked for, parsed and capped (./retry-after.ts). */
  readonly retryAfterMs?: number;
  /** The upstream's own words (its OCI error body), for the log. */
  readonly said?: string;
  /** The answer came from a redirect target on another origin, not from the endpoint. */
  readonly foreign?: boolean;
}

/** A non-success status -> its failure kind. */
export function classifyStatus(status: number, context: StatusContext = {}): UpstreamFailure {
  const said = context.said ? `: ${context.said}` : '';
  if (context.foreign) {
    return new UpstreamFailure('redirect', `the redirect target answered ${status}${said}`, undefined, undefined, REDIRECT_PUBLIC);
  }
  if (status === 404) return new UpstreamFailure('not_found', `not found${said}`, status);
  if (status === 401 || status === 403) return new UpstreamFailure('auth', `${status === 401 ? 'unauthorized' : 'denied'}${said}`, status);
  if (status === 429) return new UpstreamFailure('status_429', `too many requests${said}`, status, context.retryAfterMs);
  if (status === 408) return new UpstreamFailure('timeout', `request timeout${said}`, status);
  if (status >= 500) return new UpstreamFailure('status_5xx', `upstream answered ${status}${said}`, status);
  if (status >= 400) return new UpstreamFailure('rejected', `upstream rejected the request with ${status}${said}`, status);
  return new UpstreamFailure('invalid', `unexpected status ${status}${said}`, status);
}

export const REDIRECT_PUBLIC = 'a redirect to another origin could not be followed (the mirrorgate log says why)';

/** A failure at a redirect target on another origin: the log keeps what happened, the client learns only that. */
export function redirectFailure(target: URL, err: unknown): UpstreamFailure {
  const failure = classifyError(err);
  if (failure.kind === 'aborted') return failure;
  return new UpstreamFailure('redirect', `redirect target ${target.origin}: ${failure.kind}: ${failure.message}`, undefined, undefined, REDIRECT_PUBLIC);
}

/** A failure in mirrorgate's own words (a limit, a refusal, a check): the client may read it as is. */
export const ownFailure = (kind: FailureKind, said: string): UpstreamFailure => new UpstreamFailure(kind, said, undefined, undefined, said);
