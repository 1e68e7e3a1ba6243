// Every way an upstream attempt can fail, classified once (here) so that no
// other module inspects error codes or statuses to decide what happened.

export type FailureKind =
  | 'refused' // connection refused, reset before response, DNS failure
  | 'timeout' // connect, headers or idle body timeout
  | 'tls' // certificate or handshake failure
  | 'status_5xx'
  | 'status_429'
  | 'not_found'
  | 'auth' // 401/403 after authenticating
  | 'digest_mismatch'
  | 'invalid' // a response that breaks the protocol (bad Content-Range, manifest too large…)
  | 'busy' // skipped: the endpoint asked us to back off (Retry-After)
  | 'circuit_open' // skipped: the endpoint failed repeatedly and is cooling down
  | 'aborted'; // the client went away

/** An attempt on one endpoint that did not produce a usable response. */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    /** For 429: how long the endpoint asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const TIMEOUT_CODES = ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'];
const REFUSED_CODES = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED'];

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return String(e?.code ?? e?.cause?.code ?? '');
}

/** A thrown network error -> its failure kind. */
export function classifyError(err: unknown): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'UND_ERR_ABORTED' || (err as Error)?.name === 'AbortError') return new UpstreamFailure('aborted', 'request aborted');
  if (TIMEOUT_CODES.includes(code)) return new UpstreamFailure('timeout', `${code}: ${message}`);
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/.test(code)) {
    return new UpstreamFailure('tls', `${code}: ${message}`);
  }
  if (REFUSED_CODES.includes(code)) return new UpstreamFailure('refused', `${code}: ${message}`);
  return new UpstreamFailure('refused', code ? `${code}: ${message}` : message);
}

/** A non-success status -> its failure kind. */
export function classifyStatus(status: number, retryAfter?: string | null, nowMs?: number): UpstreamFailure {
  if (status === 404) return new UpstreamFailure('not_found', 'not found', status);
  if (status === 401 || status === 403) return new UpstreamFailure('auth', status === 401 ? 'unauthorized' : 'denied', status);
  if (status === 429) return new UpstreamFailure('status_429', 'too many requests', status, retryAfterMs(retryAfter, nowMs));
  if (status >= 500) return new UpstreamFailure('status_5xx', `upstream answered ${status}`, status);
  return new UpstreamFailure('invalid', `unexpected status ${status}`, status);
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, nowMs = 0): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
