// containers/image pkg/sysregistriesv2 at pull time: `FindRegistry`,
// `PullSourcesFromReference`, `Endpoint.rewriteReference` (spec §3–§5).
import { InvalidReferenceError, type Reference, isDigested, parseCanonical, referenceString } from '../reference/index.js';
import type { Mirror, RegistryEntry } from './model.js';
import { matchLength } from './scope.js';

/**
 * The one entry used for `name` (`host[:port]/path`): the longest prefix
 * string, `*.` included; entries are sorted, so a tie keeps the one that sorts
 * first (`*.bar.com` beats `x.bar.com`, vector V093).
 */
export function findRegistry(registries: readonly RegistryEntry[], name: string): RegistryEntry | undefined {
  const index = indexOf(registries);
  let best: RegistryEntry | undefined;
  // Candidates stay in prefix order, so the tie rule is unchanged.
  for (const r of index.get(hostKey(name)) ?? index.get(WILDCARDS) ?? []) {
    if (matchLength(name, r.prefix) !== -1 && r.prefix.length > (best?.prefix.length ?? 0)) best = r;
  }
  return best;
}

// A plain prefix can only match a name whose host, port aside, is its own
// (names have no tag or digest, so `:` appears only before a port), so
// entries are grouped by that host; wildcards can match any host and join
// every group. The index is derived data, memoized per (immutable) list.
const WILDCARDS = '*';
const hostKey = (scope: string): string => scope.split('/')[0]?.split(':')[0] ?? scope;
const indexes = new WeakMap<readonly RegistryEntry[], Map<string, RegistryEntry[]>>();

function indexOf(registries: readonly RegistryEntry[]): Map<string, RegistryEntry[]> {
  let index = indexes.get(registries);
  if (index) return index;
  index = new Map([[WILDCARDS, []]]);
  for (const r of registries) {
    const key = r.prefix.startsWith('*.') ? WILDCARDS : hostKey(r.prefix);
    if (key === WILDCARDS) for (const group of index.values()) group.push(r);
    else index.set(key, [...(index.get(key) ?? index.get(WILDCARDS) ?? []), r]);
  }
  indexes.set(registries, index);
  return index;
}

export interface PullSource {
  readonly role: 'mirror' | 'source';
  readonly ref: Reference;
  readonly insecure: boolean;
  readonly mirror?: Mirror;
}

/** Mirrors allowed for this kind of pull, in order. */
export function eligibleMirrors(entry: RegistryEntry, digested: boolean): Mirror[] {
  if (entry.mirrorByDigestOnly) return digested ? entry.mirrors : [];
  return entry.mirrors.filter((m) => !(m.pullFromMirror === 'digest-only' && !digested) && !(m.pullFromMirror === 'tag-only' && digested));
}

/** Mirrors then the primary, each with its rewritten reference; any bad rewrite fails the whole list. */
export function pullSources(entry: RegistryEntry, ref: Reference): PullSource[] {
  const mirrors = eligibleMirrors(entry, isDigested(ref)).map(
    (mirror): PullSource => ({ role: 'mirror', ref: rewrite(mirror.location, ref, entry.prefix), insecure: mirror.insecure, mirror }),
  );
  return [...mirrors, { role: 'source', ref: rewrite(entry.location, ref, entry.prefix), insecure: entry.insecure }];
}

/**
 * Replaces the matched prefix with `location` and re-parses the result, which
 * must be canonical; for `*.host` prefixes only the host is replaced, so an
 * explicit `:port` is carried onto the mirror (spec §4).
 */
function rewrite(location: string, ref: Reference, prefix: string): Reference {
  if (location === '') return ref;
  const full = referenceString(ref);
  const rewritten = location + full.slice(matchLength(full, prefix));
  try {
    return parseCanonical(rewritten);
  } catch (err) {
    const reason = err instanceof InvalidReferenceError ? err.reason : String(err);
    throw new InvalidReferenceError(rewritten, `rewriting reference: ${reason}`);
  }
}
