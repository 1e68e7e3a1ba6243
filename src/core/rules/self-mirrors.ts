// Rules read back from a cluster can list mirrorgate as a mirror of the very
// sources it serves: the ImageDigestMirrorSets `mirrorgate generate openshift`
// writes put it first. Followed, such a mirror sends mirrorgate's upstream
// request back to itself, a loop that ends only at a timeout. The addresses
// clients use for mirrorgate (`server.advertise`) name those mirrors; they are
// left out of every plan, with a note, and the rest keep their order.
import type { RegistryEntry, RuleSet } from './model.js';

/** `host[:port]` as compared: lower case, HTTPS's default port dropped. */
const normalize = (host: string): string => host.toLowerCase().replace(/:443$/, '');

export function withoutSelf(rules: RuleSet, advertised: readonly string[]): RuleSet {
  if (advertised.length === 0) return rules;
  const self = new Set(advertised.map(normalize));
  const isSelf = (location: string) => self.has(normalize(location.split('/')[0] ?? location));
  let changed = false;
  const registries = rules.registries.map((entry): RegistryEntry => {
    const own = entry.mirrors.filter((m) => isSelf(m.location));
    if (own.length === 0) return entry;
    changed = true;
    return {
      ...entry,
      mirrors: entry.mirrors.filter((m) => !isSelf(m.location)),
      notes: [...entry.notes, ...own.map((m) => `mirror ${m.location} left out: it is mirrorgate itself (server.advertise)`)],
    };
  });
  return changed ? { ...rules, registries } : rules;
}
