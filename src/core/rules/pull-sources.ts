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
  let best: RegistryEntry | undefined;
  for (const r of registries) {
    if (matchLength(name, r.prefix) !== -1 && r.prefix.length > (best?.prefix.length ?? 0)) best = r;
  }
  return best;
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
export function rewrite(location: string, ref: Reference, prefix: string): Reference {
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
