// Tries candidates in order until one succeeds; records every attempt.
import { type OciErrorCode } from '../core/oci/errors.js';
import { classifyError } from '../upstream/failure.js';
import { type AttemptRecord, finalError } from './attempts.js';
import type { Candidate, PullContext } from './context.js';

export interface WalkResult<T> {
  readonly value: T;
  readonly candidate: Candidate;
}

export async function walk<T>(
  ctx: PullContext,
  candidates: readonly Candidate[],
  records: AttemptRecord[],
  what: { readonly notFound: OciErrorCode; readonly description: string },
  attempt: (candidate: Candidate) => Promise<T>,
): Promise<WalkResult<T>> {
  for (const candidate of candidates) {
    const wait = ctx.busy.remaining(candidate.target.domain);
    if (wait > 0) {
      records.push({ endpoint: candidate.label, role: candidate.role, outcome: 'busy', ms: 0, retryAfterMs: wait });
      continue;
    }
    const started = ctx.clock.now();
    try {
      const value = await attempt(candidate);
      records.push({ endpoint: candidate.label, role: candidate.role, outcome: 'ok', ms: ctx.clock.now() - started });
      return { value, candidate };
    } catch (err) {
      const failure = classifyError(err);
      if (failure.kind === 'aborted') throw failure;
      if (failure.kind === 'status_429') ctx.busy.mark(candidate.target.domain, failure.retryAfterMs);
      records.push({
        endpoint: candidate.label,
        role: candidate.role,
        outcome: failure.kind,
        ms: ctx.clock.now() - started,
        message: failure.message,
        ...(failure.status ? { status: failure.status } : {}),
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
      });
    }
  }
  throw finalError(records, what.notFound, what.description);
}

