// Which scopes the rules refuse, for the client configuration generators: a
// client whose configuration keeps a direct route to such a source pulls it
// there once mirrorgate answers DENIED (containerd tries its `server` after
// every host; containers/image tries the primary location after the mirrors),
// and so bypasses the rules mirrorgate applies.
import type { Policy, RuleSet } from '../rules/model.js';
import { hostOf, isWildcard } from '../rules/scope.js';

/** Whether `inner` is `outer` or lies beneath it (`quay.io/ns/app` under `quay.io/ns`; a host under `*.host`). */
function within(inner: string, outer: string): boolean {
  if (isWildcard(outer)) return hostOf(inner).endsWith(outer.slice(1));
  return inner === outer || inner.startsWith(`${outer}/`);
}

/** policy.json's decision for a scope: its most specific covering policy scope, else the default. */
function policyAccepts(policy: Policy, scope: string): boolean {
  let best: { rank: number; accept: boolean } | undefined;
  for (const s of policy.scopes.values()) {
    // A namespace outranks any wildcard, a longer one outranks a shorter (signature/policy_eval.go lookup order).
    const rank = isWildcard(s.scope) ? s.scope.length : 10_000 + s.scope.length;
    if (within(scope, s.scope) && (!best || rank > best.rank)) best = { rank, accept: s.accept };
  }
  return best?.accept ?? policy.defaultAccept;
}

/**
 * Why some pull under `scope` is refused by the rules, or undefined when none
 * is: a blocked entry (blockedRegistries, or mirrorSourcePolicy
 * NeverContactSource) at or under the scope, or policy.json rejecting the
 * scope or something beneath it.
 */
export function refusalUnder(rules: RuleSet, scope: string): string | undefined {
  // A blocked parent marks its nested entries blocked itself (MCO), so only wildcards need looking up.
  const blocked = rules.registries.find((e) => e.blocked && (within(e.prefix, scope) || (isWildcard(e.prefix) && within(scope, e.prefix))));
  if (blocked) return blocked.neverContactSource ? `NeverContactSource on ${blocked.prefix}` : `${blocked.prefix} is blocked`;
  const policy = rules.policy;
  if (!policy) return undefined;
  if (!policyAccepts(policy, scope)) return `policy rejects ${scope}`;
  const rejected = [...policy.scopes.values()].find((s) => !s.accept && !isWildcard(s.scope) && within(s.scope, scope));
  return rejected && `policy rejects ${rejected.scope}`;
}
