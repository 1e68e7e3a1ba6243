// What containers/image checks and normalizes when it loads a registries.conf
// (pkg/sysregistriesv2 `parseLocation`, `postProcessRegistries`,
// `loadConfigFile`, `updateWithConfigurationFrom`; spec §3, §7). Messages
// are containers/image's own, so users can search for them.
import { DOMAIN_RE } from '../reference/grammar.js';
import type { RawRegistry } from '../formats/objects.js';
import { type Mirror, type Origin, type PullFromMirror, type RegistryEntry } from './model.js';
import { byteOrder } from './topo-sort.js';

const PULL_FROM_MIRROR: readonly string[] = ['', 'all', 'digest-only', 'tag-only'];

export interface LoadedRegistries {
  readonly registries: RegistryEntry[];
  readonly searchRegistries?: string[];
}

/** A file containers/image would refuse; `problem` is its message. */
export class RegistriesConfError extends Error {
  override readonly name = 'RegistriesConfError';
}

function parseLocation(input: string): string {
  const trimmed = input.replace(/\/+$/, '');
  if (trimmed.startsWith('http://') || trimmed.startsWith('https://')) {
    throw new RegistriesConfError(`invalid location '${input}': URI schemes are not supported`);
  }
  return trimmed;
}

/** Raw tables of one file -> entries; throws the first error containers/image would report. */
export function registriesFromFile(raw: readonly RawRegistry[], origin: Origin): RegistryEntry[] {
  return raw.map((r) => {
    if (r.pullFromMirror !== '') {
      throw new RegistriesConfError(`pull-from-mirror must not be set for a non-mirror registry ${JSON.stringify(r.prefix || r.location)}`);
    }
    const mirrors = r.mirrors.map((m): Mirror => ({ ...m, pullFromMirror: m.pullFromMirror as PullFromMirror, origins: [origin] }));
    const { pullFromMirror: _primary, ...entry } = r;
    return { ...entry, mirrors, notes: [`from ${origin.file}`] };
  });
}

/**
 * Validates and normalizes entries in place semantics of `postProcessRegistries`:
 * trims trailing `/`, defaults prefix to location, checks mirrors and
 * conflicting flags per location, then keeps the first entry per prefix,
 * sorted by prefix.
 */
export function postProcess(input: readonly RegistryEntry[], search?: readonly string[]): LoadedRegistries {
  const registries = input.map(normalizeEntry);
  checkConflicts(registries);
  for (const r of registries) {
    if (r.prefix.startsWith('*.') && /[/@:]/.test(r.prefix)) {
      throw new RegistriesConfError(`Wildcarded prefix should be in the format: *.example.com. Current prefix ${JSON.stringify(r.prefix)} is incorrectly formatted`);
    }
  }
  const searchRegistries = search?.map((s) => {
    const registry = parseLocation(s);
    if (!DOMAIN_RE.test(registry)) throw new RegistriesConfError(`Invalid unqualified-search-registries entry ${JSON.stringify(registry)}`);
    return registry;
  });
  return { registries: uniqueByPrefix(registries), ...(searchRegistries ? { searchRegistries } : {}) };
}

function normalizeEntry(r: RegistryEntry): RegistryEntry {
  const location = parseLocation(r.location);
  let prefix: string;
  if (r.prefix === '') {
    if (location === '') throw new RegistriesConfError('invalid condition: both location and prefix are unset');
    prefix = location;
  } else {
    prefix = parseLocation(r.prefix);
    if (!prefix.startsWith('*.') && location === '') {
      throw new RegistriesConfError('invalid condition: location is unset and prefix is not in the format: *.example.com');
    }
  }
  const mirrors = r.mirrors.map((m) => {
    const mirrorLocation = parseLocation(m.location);
    if (mirrorLocation === '') throw new RegistriesConfError('invalid condition: mirror location is unset');
    if (r.mirrorByDigestOnly && m.pullFromMirror !== '') {
      throw new RegistriesConfError(`cannot set mirror usage mirror-by-digest-only for the registry (${JSON.stringify(prefix)}) and pull-from-mirror for per-mirror (${JSON.stringify(mirrorLocation)}) at the same time`);
    }
    if (!PULL_FROM_MIRROR.includes(m.pullFromMirror)) {
      throw new RegistriesConfError(`unsupported pull-from-mirror value ${JSON.stringify(m.pullFromMirror)} for mirror ${JSON.stringify(mirrorLocation)}`);
    }
    return { ...m, location: mirrorLocation };
  });
  return { ...r, prefix, location, mirrors };
}

// Keyed by location (or prefix when the location is empty), not by prefix.
function checkConflicts(registries: readonly RegistryEntry[]): void {
  const first = new Map<string, RegistryEntry>();
  for (const r of registries) {
    const key = r.location || r.prefix;
    const other = first.get(key);
    if (!other) {
      first.set(key, r);
      continue;
    }
    for (const flag of ['insecure', 'blocked'] as const) {
      if (other[flag] !== r[flag]) {
        throw new RegistriesConfError(`registry '${r.location}' is defined multiple times with conflicting '${flag}' setting`);
      }
    }
  }
}

// "the first longest prefix always wins": later tables with the same prefix are dropped.
function uniqueByPrefix(registries: readonly RegistryEntry[]): RegistryEntry[] {
  const byPrefix = new Map<string, RegistryEntry>();
  for (const r of registries) if (!byPrefix.has(r.prefix)) byPrefix.set(r.prefix, r);
  return [...byPrefix.keys()].sort(byteOrder).map((p) => byPrefix.get(p) as RegistryEntry);
}

/** A later file's table replaces an earlier one with the same prefix, whole; a set search list replaces the old one. */
export function overlay(base: LoadedRegistries, update: LoadedRegistries): LoadedRegistries {
  const byPrefix = new Map(base.registries.map((r) => [r.prefix, r]));
  for (const r of update.registries) byPrefix.set(r.prefix, r);
  const registries = [...byPrefix.keys()].sort(byteOrder).map((p) => byPrefix.get(p) as RegistryEntry);
  const searchRegistries = update.searchRegistries ?? base.searchRegistries;
  return { registries, ...(searchRegistries ? { searchRegistries } : {}) };
}
