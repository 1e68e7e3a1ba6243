// Which registries the rules name (sources, mirrors, search registries): a
// proxy that is not open contacts only these and the ones it is told to.
import type { RuleSet } from './model.js';
import { hostOf, isWildcard, matchLength } from './scope.js';

export function namedRegistries(rules: RuleSet): { hosts: Set<string>; wildcards: string[] } {
  const hosts = new Set<string>(rules.searchRegistries);
  const wildcards: string[] = [];
  for (const entry of rules.registries) {
    if (isWildcard(entry.prefix)) wildcards.push(entry.prefix);
    else hosts.add(hostOf(entry.prefix));
    if (entry.location) hosts.add(hostOf(entry.location));
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
export function contactableRegistries(rules: RuleSet, defaultRegistry: string, allow: readonly string[]): { hosts: Set<string>; patterns: string[] } {
  const named = namedRegistries(rules);
  return { hosts: named.hosts.add(defaultRegistry), patterns: [...named.wildcards, ...allow] };
}
