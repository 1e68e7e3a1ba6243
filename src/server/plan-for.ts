// A routed request -> the plan of its logical image, or the reason it is refused.
// Plans are resolved once per rule set (pull/plan-cache.ts); the checks that
// depend on the request (allowed registry, a cluster not yet read) run on
// every request.
import { InvalidReferenceError } from '../core/reference/index.js';
import { OciError } from '../core/oci/errors.js';
import { contactableRegistries, registryMatches } from '../core/rules/named-registries.js';
import type { Plan } from '../core/resolve/plan.js';
import type { RuleSet } from '../core/rules/model.js';
import { type Resolved, resolveCached } from '../pull/plan-cache.js';
import type { RequestContext } from './request-context.js';
import { PullDeadline } from '../upstream/failure.js';

/** `suffix` is `:tag` or `@digest`; `quiet` leaves the request's summary alone (a plan consulted, not walked). */
export function planFor(ctx: RequestContext, suffix: string, options: { quiet?: boolean } = {}): Resolved {
  const { route, deps } = ctx;
  // A replica that follows a cluster it has not listed yet would route by a partial rule set
  // (to sources the cluster's mirror rules may forbid): refuse rather than guess.
  if (deps.rulesState().cluster?.inForce === false) throw new OciError('UNAVAILABLE', 'the rules have not been read from the cluster yet; try again shortly');
  // Read once: a reload during this request must not mix two rule sets in one plan.
  const rules = deps.rules();
  // Unqualified names go through the search registries as CRI-O would; without any, to the default registry.
  const input = !route.qualified && rules.searchRegistries.length > 0 ? `${route.repository}${suffix}` : `${route.registry}/${route.repository}${suffix}`;
  if (route.qualified || rules.searchRegistries.length === 0) checkAllowed(route.registry, rules, ctx);
  let resolved: Resolved;
  try {
    resolved = resolveCached(input, rules);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    if (err.reason.startsWith('rewriting reference')) throw new OciError('UNKNOWN', `the rules rewrite ${input} to an invalid reference: ${err.message}`);
    throw new OciError('NAME_INVALID', err.message);
  }
  if (options.quiet) return resolved;
  const { plan } = resolved;
  ctx.summary.image = plan.image;
  ctx.summary.pullBy = plan.pullBy;
  ctx.summary.planLength = plan.endpoints.length;
  if (plan.denied !== undefined) {
    ctx.summary.denial = !plan.policy.accept ? 'policy' : plan.attempts.some((a) => a.refusedBy === 'never_contact_source') ? 'never_contact_source' : 'blocked';
    throw new OciError('DENIED', plan.denied);
  }
  return resolved;
}

/**
 * Runs a walk over the plan. When an endpoint was refused without contact
 * (a blocked source, NeverContactSource) and no other served, the answer is
 * DENIED, as the node's pull would be; the attempts stay in the detail.
 */
export async function walkPlan<T>(ctx: RequestContext, plan: Plan, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const refused = plan.attempts.filter((a) => a.blocked !== undefined);
    // A pull its deadline cut was not refused: what the plan left out is no reason for its 504.
    if (!(err instanceof OciError) || refused.length === 0 || err.code === 'TOOMANYREQUESTS' || err instanceof PullDeadline) throw err;
    ctx.summary.denial = refused.some((a) => a.refusedBy === 'never_contact_source') ? 'never_contact_source' : 'blocked';
    throw new OciError('DENIED', `no endpoint served ${plan.image} (${err.message}) and ${refused.map((a) => a.blocked).join('; ')}`, err.detail);
  }
}

// Derived once per (immutable) rule set, with the process's upstream.allow, not on every request.
const allowedByRules = new WeakMap<RuleSet, { hosts: Set<string>; patterns: string[] }>();

/** No open proxy: only registries the rules, the default registry or `upstream.allow` name. */
function checkAllowed(registry: string, rules: RuleSet, ctx: RequestContext): void {
  const { settings } = ctx.deps;
  if (settings.open) return;
  let allowed = allowedByRules.get(rules);
  if (!allowed) {
    allowed = contactableRegistries(rules, settings.defaultRegistry, settings.allow);
    allowedByRules.set(rules, allowed);
  }
  if (registryMatches(registry, allowed.hosts, allowed.patterns)) return;
  ctx.summary.denial = 'not_allowed';
  throw new OciError('DENIED', `registry ${registry} is not named by the rules, the default registry or upstream.allow, and mirrorgate is not an open proxy`);
}
