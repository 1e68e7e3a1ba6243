// A pull -> an ordered plan (spec §16): normalize, find the one registries.conf
// entry, list its pull sources, mark refused ones, and apply policy.json.
import { InvalidReferenceError, type Reference, isDigested, isShortName, expandShortName, parsePullReference, referenceName, referenceString } from '../reference/index.js';
import { findRegistry, pullSources, eligibleMirrors, type PullSource } from '../rules/pull-sources.js';
import { type Mirror, type RegistryEntry, type RuleSet, originLabel } from '../rules/model.js';
import { evaluatePolicy } from '../rules/policy.js';
import type { Attempt, ExcludedMirror, Plan } from './plan.js';
import { divergences } from './divergences.js';

/**
 * Resolves a user's reference. A short name goes through the search
 * registries in order when any are configured; without them it is normalized
 * as the docker transport does (`busybox` -> `docker.io/library/busybox`).
 * Throws InvalidReferenceError for a bad reference or a bad rewrite.
 */
export function resolve(input: string, rules: RuleSet): Plan {
  if (input.trim() === '') throw new InvalidReferenceError(input, 'the image reference is empty: expected [registry/]repository[:tag|@digest]', 'name');
  if (isShortName(input) && rules.searchRegistries.length > 0) return resolveShortName(input, rules);
  return resolveReference(parsePullReference(input), rules);
}

function resolveShortName(input: string, rules: RuleSet): Plan {
  const candidates = expandShortName(input, rules.searchRegistries).map((c) => resolveReference(parsePullReference(c), rules));
  const first = candidates[0] as Plan;
  const endpoints = candidates.flatMap((c) => c.endpoints);
  const denied = endpoints.length === 0 ? `every search-registry candidate is denied: ${candidates.map((c) => `${c.image}: ${c.denied}`).join('; ')}` : undefined;
  return {
    image: input,
    pullBy: first.pullBy,
    entryNotes: [`short name: tried as ${candidates.map((c) => c.image).join(', ')} (unqualified-search-registries)`],
    attempts: candidates.flatMap((c) => c.attempts),
    endpoints,
    excludedMirrors: [],
    policy: first.policy,
    divergences: candidates.flatMap((c) => c.divergences),
    candidates,
    ...(denied ? { denied } : {}),
  };
}

export function resolveReference(ref: Reference, rules: RuleSet): Plan {
  const entry = findRegistry(rules.registries, referenceName(ref));
  const sources: PullSource[] = entry ? pullSources(entry, ref) : [{ role: 'source', ref, insecure: false }];
  const attempts = sources.map((s) => toAttempt(s, rules));
  const policy = evaluatePolicy(rules.policy, ref);
  const endpoints = policy.accept ? attempts.filter((a) => a.blocked === undefined) : [];
  const denied = !policy.accept
    ? `rejected by policy: ${policy.reason} (the logical name is checked, so mirrors cannot serve it either)`
    : endpoints.length === 0
      ? `every endpoint is blocked: ${attempts.map((a) => `${a.reference} (${a.blocked})`).join(', ')}`
      : undefined;
  return {
    image: referenceString(ref),
    pullBy: isDigested(ref) ? 'digest' : 'tag',
    ...(entry ? { matchedPrefix: entry.prefix } : {}),
    entryNotes: entry?.notes ?? [],
    attempts,
    endpoints,
    excludedMirrors: entry ? excludedMirrors(entry, isDigested(ref)) : [],
    policy,
    divergences: divergences(entry, isDigested(ref), attempts, policy),
    ...(denied ? { denied } : {}),
  };
}

// Blocked and CA are looked up on the physical reference, not the logical one:
// a blocked registry's mirrors still serve, a mirror under a blocked scope is
// refused (containers/image docker_client.go `newDockerClient`; spec §6).
function toAttempt(source: PullSource, rules: RuleSet): Attempt {
  const own = findRegistry(rules.registries, referenceName(source.ref));
  const ca = rules.trustedCAs.get(source.ref.domain);
  return {
    reference: referenceString(source.ref),
    ref: source.ref,
    role: source.role,
    insecure: source.insecure,
    origins: source.mirror?.origins ?? [],
    ...(ca ? { ca } : {}),
    ...(own?.blocked
      ? { blocked: `registry ${own.prefix} is blocked${blockReason(own)}`, refusedBy: own.neverContactSource?.length ? 'never_contact_source' : 'blocked' }
      : {}),
  };
}

function blockReason(entry: RegistryEntry): string {
  const why = entry.notes.filter((n) => n.includes('blocked'));
  return why.length > 0 ? `: ${why.join('; ')}` : '';
}

/**
 * Mirrors of the entry this pull does not use, each with the setting that
 * excludes it and the objects or files that listed it. A location that is
 * used anyway (listed by an IDMS and an ITMS alike) is not "not used".
 */
function excludedMirrors(entry: RegistryEntry, digested: boolean): ExcludedMirror[] {
  const used = new Set(eligibleMirrors(entry, digested).map((m) => m.location));
  return entry.mirrors.filter((m) => !used.has(m.location)).map((m) => ({ location: m.location, reason: exclusionReason(entry, m, digested) }));
}

function exclusionReason(entry: RegistryEntry, mirror: Mirror, digested: boolean): string {
  const setting = entry.mirrorByDigestOnly ? 'mirror-by-digest-only = true' : `pull-from-mirror = ${JSON.stringify(mirror.pullFromMirror)}`;
  const from = mirror.origins.length > 0 ? `, from ${mirror.origins.map(originLabel).join(', ')}` : '';
  return `${digested ? 'serves tag pulls only' : 'serves digest pulls only'} (${setting}${from})`;
}
