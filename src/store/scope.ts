// What decides an answer that is not verified against a digest (a tag's
// digest, a "not found", an upstream walk in flight): the endpoints walked,
// in order, with how they are reached. Such answers are cached and shared
// under this key, never under the name the client used: an unqualified name
// walks the search registries and must not answer for the qualified one
// (short-name squatting), and a reload that removes, blocks or re-trusts an
// endpoint changes the key, so nothing learnt under the old rules answers
// under the new ones.
import { createHash } from 'node:crypto';
import type { Plan } from '../core/resolve/plan.js';
import { planCandidates } from '../pull/candidates.js';
import type { Candidate } from '../pull/context.js';

/**
 * The identity of a walk over `candidates`, in order: each endpoint as it
 * is contacted (scheme, host, repository, reference, role, the CA trusted for
 * it). Hashed, so that cache keys stay small whatever the rules name.
 */
export function walkKey(candidates: readonly Candidate[]): string {
  const walk = candidates.map(({ target: t, role, reference }) => [t.insecure, t.domain, t.repository, reference, role, t.ca ?? null]);
  return createHash('sha256').update(JSON.stringify(walk)).digest('base64url');
}

const byPlan = new WeakMap<Plan, string>();

/** walkKey of a plan's own walk, hashed once per plan (a plan is immutable; pull/plan-cache.ts keeps one per input and rule set). */
export function planWalkKey(plan: Plan): string {
  let key = byPlan.get(plan);
  if (key === undefined) {
    key = walkKey(planCandidates(plan));
    byPlan.set(plan, key);
  }
  return key;
}
