// Which registries the rules name (sources, mirrors, search registries): a
// proxy that is not open contacts only these and the ones it is told to.
import type { RuleSet } from './model.js';
import { hostOf, isWildcard, matchLength } from './scope.js';

/**
 * With `contactOnly`, a registry the rules name only to refuse it (a whole
 * host or `*.domain` blocked, or its NeverContactSource source) is left out;
 * its mirrors stay. A refusal scoped to a namespace leaves the host named:
 * its other repositories may still be pulled from it.
 */
export function namedRegistries(rules: RuleSet, options: { contactOnly?: boolean } = {}): { hosts: Set<string>; wildcards: string[] } {
  const hosts = new Set<string>(rules.searchRegistries);
  const wildcards: string[] = [];
  for (const entry of rules.registries) {
    const wholeRegistry = isWildcard(entry.prefix) || hostOf(entry.prefix) === entry.prefix;
    const refused = options.contactOnly === true && wholeRegistry && (entry.blocked || (entry.neverContactSource?.length ?? 0) > 0);
    if (!refused) {
      if (isWildcard(entry.prefix)) wildcards.push(entry.prefix);
      else hosts.add(hostOf(entry.prefix));
      if (entry.location) hosts.add(hostOf(entry.location));
    }
    for (const m of entry.mirrors) hosts.add(hostOf(m.location));
  }
  return { hosts, wildcards };
}

/** `registry` (host[:port]) is one of `hosts`, or under one of the `*.host` patterns. */
export function registryMatches(registry: string, hosts: ReadonlySet<string>, patterns: readonly string[]): boolean {
  return hosts.has(registry) || patterns.some((p) => (isWildcard(p) ? matchLength(registry, p) !== -1 : p === registry));
}

/**
 * What mirrorgate may contact when it is not open: the registries the rules
 * name, the default registry and `allow` (host[:port] or `*.domain`).
 */
export function contactableRegistries(rules: RuleSet, defaultRegistry: string, allow: readonly string[], options: { contactOnly?: boolean } = {}): { hosts: Set<string>; patterns: string[] } {
  const named = namedRegistries(rules, options);
  return { hosts: named.hosts.add(defaultRegistry), patterns: [...named.wildcards, ...allow] };
}
