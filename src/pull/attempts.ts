// The record of one walk over a plan, and the one error the client gets
// when no endpoint served.
import { OciError, type OciErrorCode } from '../core/oci/errors.js';
import type { FailureKind } from '../upstream/failure.js';
import type { Candidate } from './context.js';

export interface AttemptRecord {
  readonly endpoint: string;
  /** The endpoint's host[:port]: the bounded label for metrics and health. */
  readonly host: string;
  readonly role: 'mirror' | 'source';
  readonly outcome: 'ok' | FailureKind;
  readonly status?: number;
  readonly ms: number;
  /** For the log and the status page: may quote the upstream. */
  readonly message?: string;
  /** The only text of the attempt a client sees: mirrorgate's words, no upstream bytes (failure.ts). */
  readonly publicMessage?: string;
  readonly retryAfterMs?: number;
  /** Started in parallel because the previous attempt was slow. */
  readonly hedged?: boolean;
}

/** The record of an attempt on `candidate`; `extra` adds what the outcome knows (status, message…). */
export function attemptOf(candidate: Candidate, outcome: AttemptRecord['outcome'], ms: number, extra: Partial<AttemptRecord> = {}): AttemptRecord {
  return { endpoint: candidate.label, host: candidate.target.domain, role: candidate.role, outcome, ms, ...extra };
}

/** The attempt that served, if any (the last one that succeeded). */
export const servedAttempt = (records: readonly AttemptRecord[]): AttemptRecord | undefined => records.findLast((r) => r.outcome === 'ok');

/**
 * The most meaningful answer: 404 when every endpoint that answered lacked it, 429 when
 * the rest were busy, 502 for a wrong digest or upstream errors, 504 when
 * all timed out, 503 when none could be reached. The detail names each
 * attempt by endpoint, outcome and status, never with what the upstream said.
 */
export function finalError(attempts: readonly AttemptRecord[], notFound: OciErrorCode, what: string): OciError {
  const detail = attempts.map(({ endpoint, outcome, status, publicMessage }) => ({ endpoint, outcome, ...(status ? { status } : {}), ...(publicMessage ? { message: publicMessage } : {}) }));
  const kinds = new Set(attempts.map((a) => a.outcome));
  const only = (...allowed: string[]) => [...kinds].every((k) => allowed.includes(k));
  if (attempts.length === 0) return new OciError('UNAVAILABLE', `no endpoint may be contacted for ${what}`);
  // Every endpoint that answered said "not here": that is the answer, unreachable ones are in the detail.
  if (kinds.has('not_found') && only('not_found', 'busy', 'auth', 'refused', 'dns', 'timeout', 'tls', 'circuit_open', 'aborted')) return new OciError(notFound, `${what} not found on any endpoint that answered`, detail);
  if (kinds.has('status_429') || kinds.has('busy')) {
    if (only('status_429', 'busy', 'not_found')) {
      const waits = attempts.map((a) => a.retryAfterMs).filter((ms): ms is number => ms !== undefined);
      const seconds = Math.max(1, Math.ceil(Math.min(...(waits.length ? waits : [1000])) / 1000));
      return new OciError('TOOMANYREQUESTS', `every endpoint for ${what} asked to back off`, detail, { 'retry-after': String(seconds) });
    }
  }
  if (only('auth')) return new OciError('DENIED', `every endpoint refused access to ${what}`, detail);
  if (only('timeout', 'deadline', 'circuit_open')) return new OciError('GATEWAY_TIMEOUT', `every endpoint timed out for ${what}`, detail);
  if (only('refused', 'dns', 'tls', 'timeout', 'busy', 'circuit_open')) return new OciError('UNAVAILABLE', `no endpoint for ${what} could be reached`, detail);
  return new OciError('BAD_GATEWAY', `no endpoint served ${what}`, detail);
}
