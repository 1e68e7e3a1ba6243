// The registries.conf the machine-config operator writes from the CRs:
// openshift/runtime-utils pkg/registries/registries.go `EditRegistriesConfig`
// (spec §10), applied in place to a base list of entries.
import { type Mirror, type Origin, type PullFromMirror, type RegistryEntry, entryScope, originLabel } from './model.js';
import type { MergedMirrorSet } from './mirror-merge.js';
import { isNestedScope, isWildcard } from './scope.js';

export interface ScopeRule {
  readonly scope: string;
  readonly origin: Origin;
}

export interface RegistryEdits {
  readonly digestSets: readonly MergedMirrorSet[];
  readonly tagSets: readonly MergedMirrorSet[];
  readonly insecure: readonly ScopeRule[];
  readonly blocked: readonly ScopeRule[];
}

/** runtime-utils fails the whole render with this; the cluster then keeps its previous config (spec §9.5). */
export class EditRegistriesError extends Error {
  override readonly name = 'EditRegistriesError';
}

function newEntry(scope: string): RegistryEntry {
  // A wildcard can only be a prefix; anything else is written as a location.
  return {
    prefix: isWildcard(scope) ? scope : '',
    location: isWildcard(scope) ? '' : scope,
    insecure: false,
    blocked: false,
    mirrorByDigestOnly: false,
    mirrors: [],
    notes: [],
  };
}

export function editRegistries(registries: RegistryEntry[], edits: RegistryEdits): void {
  const entryFor = (scope: string): RegistryEntry => {
    const found = registries.find((r) => entryScope(r) === scope);
    if (found) return found;
    const created = newEntry(scope);
    registries.push(created);
    return created;
  };
  addMirrors(entryFor, edits.digestSets, 'digest-only');
  addMirrors(entryFor, edits.tagSets, 'tag-only');
  // Blocked entries exist before the insecure pass so nested wildcards get both flags.
  for (const { scope } of edits.blocked) entryFor(scope);
  for (const rule of edits.insecure) markInsecure(registries, entryFor(rule.scope), rule);
  for (const rule of edits.blocked) markBlocked(registries, entryFor(rule.scope), rule);
  for (const set of [...edits.digestSets, ...edits.tagSets]) propagateMirrors(registries, entryFor(set.source));
}

function addMirrors(entryFor: (scope: string) => RegistryEntry, sets: readonly MergedMirrorSet[], pullFromMirror: PullFromMirror): void {
  for (const set of sets) {
    const entry = entryFor(set.source);
    if (set.neverContactSource.length > 0) {
      entry.blocked = true;
      entry.neverContactSource = [...(entry.neverContactSource ?? []), ...set.neverContactSource];
      entry.notes.push(`source blocked by mirrorSourcePolicy NeverContactSource in ${set.neverContactSource.map(originLabel).join(', ')}`);
    }
    entry.notes.push(...set.notes);
    for (const m of set.mirrors) entry.mirrors.push({ location: m.location, insecure: false, pullFromMirror, origins: m.origins });
  }
}

function markInsecure(registries: RegistryEntry[], own: RegistryEntry, rule: ScopeRule): void {
  own.insecure = true;
  for (const entry of registries) {
    if (isNestedScope(entryScope(entry), rule.scope)) {
      entry.insecure = true;
      entry.notes.push(`insecure by insecureRegistries ${JSON.stringify(rule.scope)} in ${originLabel(rule.origin)}`);
    }
    for (const mirror of entry.mirrors) if (isNestedScope(mirror.location, rule.scope)) mirror.insecure = true;
  }
}

function markBlocked(registries: RegistryEntry[], own: RegistryEntry, rule: ScopeRule): void {
  own.blocked = true;
  for (const entry of registries) {
    if (!isNestedScope(entryScope(entry), rule.scope)) continue;
    entry.blocked = true;
    entry.notes.push(`blocked by blockedRegistries ${JSON.stringify(rule.scope)} in ${originLabel(rule.origin)}`);
  }
}

/**
 * Only the most specific entry is used at pull time, so the cluster copies a
 * source's mirrors, path-adjusted, into every nested entry that has none
 * (e.g. an insecure or blocked sub-scope; runtime-utils `mirrorsAdjustedForNestedScope`).
 */
function propagateMirrors(registries: RegistryEntry[], source: RegistryEntry): void {
  const sourceScope = entryScope(source);
  for (const entry of registries) {
    const scope = entryScope(entry);
    if (scope === sourceScope || !isNestedScope(scope, sourceScope) || entry.mirrors.length > 0) continue;
    if (isWildcard(sourceScope)) {
      throw new EditRegistriesError(`internal error: mirrorsAdjustedForNestedScope for a wildcard scope ${JSON.stringify(sourceScope)}`);
    }
    const suffix = scope.slice(sourceScope.length);
    entry.mirrors = source.mirrors.map((m): Mirror => ({ ...m, location: m.location + suffix }));
    entry.notes.push(`mirrors copied from ${JSON.stringify(sourceScope)}: the cluster writes a nested entry's mirrors into it`);
  }
}
