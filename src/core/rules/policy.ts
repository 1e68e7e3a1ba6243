// The /etc/containers/policy.json the machine-config operator writes for
// allowedRegistries/blockedRegistries, and how containers/image evaluates it
// on the logical (user-given) reference (MCO `updatePolicyJSON`;
// containers/image signature/policy_eval.go, docker/policyconfiguration; spec §14).
import { type Reference, referenceName, referenceString } from '../reference/index.js';
import type { Policy, PolicyScope } from './model.js';

export interface PolicyDecision {
  readonly accept: boolean;
  /** The policy scope that decided, or undefined for the default. */
  readonly scope?: string;
  readonly reason: string;
}

export function buildPolicy(scopes: readonly PolicyScope[], defaultAccept: boolean, defaultReason: string): Policy {
  const map = new Map<string, PolicyScope>();
  // Like a JSON object, a later identical scope overwrites an earlier one.
  for (const s of scopes) map.set(s.scope, s);
  return { defaultAccept, defaultReason, scopes: map };
}

/** `DockerReferenceNamespaces` preceded by the full identity: most specific first. */
export function policyLookupOrder(ref: Reference): string[] {
  const order = [referenceString(ref)];
  let name = referenceName(ref);
  for (;;) {
    order.push(name);
    const slash = name.lastIndexOf('/');
    if (slash === -1) break;
    name = name.slice(0, slash);
  }
  let host = name.includes(':') ? name.slice(0, name.indexOf(':')) : name;
  for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.')) {
    host = host.slice(dot + 1);
    order.push(`*.${host}`);
  }
  return order;
}

export function evaluatePolicy(policy: Policy | undefined, ref: Reference): PolicyDecision {
  if (!policy) return { accept: true, reason: 'no allowedRegistries or blockedRegistries are set' };
  for (const candidate of policyLookupOrder(ref)) {
    const scope = policy.scopes.get(candidate);
    if (scope) return { accept: scope.accept, scope: scope.scope, reason: scope.reason };
  }
  return { accept: policy.defaultAccept, reason: policy.defaultReason };
}
