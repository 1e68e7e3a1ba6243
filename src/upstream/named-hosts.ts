// The hosts the address filter lets through at any address: those the rules
// in force name, the default registry and upstream.allow — the same list that
// decides which registries may be pulled from (core/rules/named-registries).
// Read at every request and connection, so a reload that drops a host also
// drops its exemption, for pooled connections too (./agents.ts).
import { contactableRegistries, registryMatches } from '../core/rules/named-registries.js';
import type { RuleSet } from '../core/rules/model.js';
import { DOCKER_HUB, DOCKER_HUB_API } from '../core/reference/reference.js';
import type { NamedHost } from './connect-guard.js';

export function namedHosts(rules: () => RuleSet, defaultRegistry: string, allow: readonly string[]): NamedHost {
  // Derived once per (immutable) rule set.
  const derived = new WeakMap<RuleSet, { hosts: Set<string>; patterns: string[] }>();
  return (host) => {
    const current = rules();
    let names = derived.get(current);
    if (!names) {
      // A registry the rules block is named only to be refused: it gets no exemption.
      const written = contactableRegistries(current, defaultRegistry, allow, { contactOnly: true });
      // Compared with URL.host, which is lower case; rules may write Reg.Example:5000.
      names = { hosts: new Set([...written.hosts].map((h) => h.toLowerCase())), patterns: written.patterns.map((p) => p.toLowerCase()) };
      // Docker Hub is pulled from its API host (see client.ts).
      if (names.hosts.has(DOCKER_HUB)) names.hosts.add(DOCKER_HUB_API);
      derived.set(current, names);
    }
    return registryMatches(host, names.hosts, names.patterns);
  };
}
