// Resolving a pull into its plan is pure (core/resolve): the same input under
// the same rule set gives the same plan. A rule set is immutable and a reload
// makes a new one, so plans are kept per rule set, and a reload starts from
// an empty cache: nothing resolved under the old rules answers under the new
// ones. Bounded per rule set, since inputs are client-chosen names.
import { LRUCache } from 'lru-cache';
import { resolve } from '../core/resolve/resolve.js';
import type { Plan } from '../core/resolve/plan.js';
import type { RuleSet } from '../core/rules/model.js';
import { planCandidates } from './candidates.js';
import type { Candidate } from './context.js';

/** A plan and the endpoints it walks; shared by every request for the same input, so never mutated. */
export interface Resolved {
  readonly plan: Plan;
  readonly candidates: readonly Candidate[];
}

const MAX_PLANS_PER_RULES = 4096;
const byRules = new WeakMap<RuleSet, LRUCache<string, Resolved>>();

/** resolve(input, rules), remembered for this rule set; throws what resolve throws (errors are not kept). */
export function resolveCached(input: string, rules: RuleSet): Resolved {
  let plans = byRules.get(rules);
  if (!plans) {
    plans = new LRUCache({ max: MAX_PLANS_PER_RULES });
    byRules.set(rules, plans);
  }
  let resolved = plans.get(input);
  if (!resolved) {
    const plan = resolve(input, rules);
    resolved = { plan, candidates: Object.freeze(plan.denied === undefined ? planCandidates(plan) : []) };
    plans.set(input, resolved);
  }
  return resolved;
}
