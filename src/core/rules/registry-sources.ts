// Image.spec.registrySources -> which scopes registries.conf blocks and what
// policy.json decides, with the release-payload exception (MCO helpers.go
// `getValidBlockedAndAllowedRegistries`, `payloadRepoHasUnblockedMirror`,
// `updatePolicyJSON`; spec §14).
import type { ClusterVersionObject, ImageConfigObject } from '../formats/objects.js';
import { InvalidReferenceError, type Reference, parseCanonical, referenceName } from '../reference/index.js';
import type { DiagnosticSink } from './diagnostics.js';
import type { ScopeRule } from './edit-registries.js';
import { type Policy, type PolicyScope, type RegistryEntry, originLabel } from './model.js';
import { buildPolicy } from './policy.js';
import { findRegistry, pullSources } from './pull-sources.js';
import { isNestedScope } from './scope.js';

export interface BlockedScopes {
  /** Written as `blocked = true` into registries.conf: refuses contact. */
  readonly registriesBlocked: readonly ScopeRule[];
  /** Written as `reject` into policy.json: refuses the logical name, mirrors or not. */
  readonly policyBlocked: readonly ScopeRule[];
  /** The payload repository, accepted by policy.json when its registry is blocked. */
  readonly payloadAllowed?: ScopeRule;
}

export function releasePayload(clusterVersion: ClusterVersionObject | undefined, sink: DiagnosticSink): Reference | undefined {
  const image = clusterVersion?.releaseImage;
  if (!clusterVersion || image === undefined) return undefined;
  try {
    return parseCanonical(image);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    sink.withOrigin(clusterVersion.origin).error('status.desired.image', `error parsing reference of release image: ${err.reason}`);
    return undefined;
  }
}

/**
 * A blocked scope that contains the payload repository stays blocked only if
 * some pull source of the payload lies outside every blocked scope; otherwise
 * the cluster drops it (and only logs an error). `registries` is the
 * registries.conf rendered with every blocked scope.
 */
export function applyPayloadException(
  blocked: readonly ScopeRule[],
  payload: Reference | undefined,
  registries: readonly RegistryEntry[],
  sink: DiagnosticSink,
): BlockedScopes {
  if (!payload) return { registriesBlocked: blocked, policyBlocked: blocked };
  const payloadRepo = referenceName(payload);
  const usable = hasUnblockedSource(payload, blocked, registries);
  const registriesBlocked: ScopeRule[] = [];
  const policyBlocked: ScopeRule[] = [];
  let payloadAllowed: ScopeRule | undefined;
  for (const rule of blocked) {
    if (!isNestedScope(payloadRepo, rule.scope)) {
      registriesBlocked.push(rule);
      policyBlocked.push(rule);
    } else if (!usable) {
      sink.withOrigin(rule.origin).warn('spec.registrySources.blockedRegistries', `error adding [${JSON.stringify(rule.scope)}] to blocked registries, cannot block the repository being used by the payload (${payloadRepo}): it has no unblocked mirror, so the scope is dropped`);
    } else {
      registriesBlocked.push(rule);
      if (rule.scope !== payloadRepo) policyBlocked.push(rule);
      payloadAllowed = { scope: payloadRepo, origin: rule.origin };
    }
  }
  return { registriesBlocked, policyBlocked, ...(payloadAllowed ? { payloadAllowed } : {}) };
}

function hasUnblockedSource(payload: Reference, blocked: readonly ScopeRule[], registries: readonly RegistryEntry[]): boolean {
  const entry = findRegistry(registries, referenceName(payload));
  let refs: Reference[];
  try {
    refs = entry ? pullSources(entry, payload).map((s) => s.ref) : [payload];
  } catch {
    return false;
  }
  return refs.some((ref) => !blocked.some((b) => isNestedScope(referenceName(ref), b.scope)));
}

export function policyFor(image: ImageConfigObject | undefined, blocked: BlockedScopes): Policy | undefined {
  if (!image) return undefined;
  const where = originLabel(image.origin);
  const payload: PolicyScope[] = blocked.payloadAllowed
    ? [{ scope: blocked.payloadAllowed.scope, accept: true, reason: 'the release payload repository stays pullable through its mirrors: the cluster adds it to the accepted scopes' }]
    : [];
  if ((image.allowedRegistries?.length ?? 0) > 0) {
    const allowed = (image.allowedRegistries ?? []).map((scope) => ({ scope, accept: true, reason: `allowed by allowedRegistries ${JSON.stringify(scope)} in ${where}` }));
    return buildPolicy([...payload, ...allowed], false, `not in allowedRegistries of ${where}`);
  }
  if (blocked.policyBlocked.length === 0 && payload.length === 0) return undefined;
  const rejected = blocked.policyBlocked.map((r) => ({ scope: r.scope, accept: false, reason: `blocked by blockedRegistries ${JSON.stringify(r.scope)} in ${where}` }));
  return buildPolicy([...payload, ...rejected], true, 'not blocked');
}
