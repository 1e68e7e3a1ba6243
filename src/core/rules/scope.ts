// Scope strings as registries.conf and the OpenShift CRs use them:
// `host[:port]`, `host[:port]/ns[/ns…]`, `…/repo`, or `*.host`.
import { DOMAIN_COMPONENT, PATH_COMPONENT } from '../reference/grammar.js';

export const isWildcard = (scope: string): boolean => scope.startsWith('*.');

/** The `host[:port]` part of a scope. */
export const hostOf = (scope: string): string => scope.split('/')[0] ?? scope;

// openshift/api config/v1 types_image_digest_mirror_set.go, `source` and
// `mirrors` kubebuilder patterns (MCO copies them as sourceRegex/mirrorRegex).
// Path components use the same unambiguous rewrite as grammar.ts.
const HOST = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH = `(?:/${PATH_COMPONENT})*`;
const MIRROR_RE = new RegExp(`^${HOST}${PATH}$`);
const SOURCE_RE = new RegExp(`^\\*(?:\\.${DOMAIN_COMPONENT})+$|^${HOST}${PATH}$`);

export const SCOPE_MAX_LENGTH = 256;
const matchesBounded = (re: RegExp, s: string): boolean => s.length <= 4 * SCOPE_MAX_LENGTH && re.test(s);

/** A valid IDMS/ITMS `source`, `registrySources` entry, or (by MCO) ICSP source. */
export const isValidSourceScope = (s: string): boolean => matchesBounded(SOURCE_RE, s);
/** A valid IDMS/ITMS mirror: as a source, but never a wildcard. */
export const isValidMirrorScope = (s: string): boolean => matchesBounded(MIRROR_RE, s);

/** runtime-utils `IsValidRegistriesConfScope`. */
export function isValidRegistriesConfScope(scope: string): boolean {
  if (scope === '') return false;
  if (!scope.includes('*')) return true;
  return isWildcard(scope) && !/[/@:*]/.test(scope.slice(2));
}

/**
 * Length of `prefix` when it matches `ref`, else -1 (containers/image
 * `refMatchingPrefix`). `ref` is a name or a full reference string. A plain
 * prefix matches at a `/`, `:` or `@` boundary, so `example.com` also matches
 * `example.com:5000/…` — unintended upstream, but live (spec §3, §15.6).
 * For `*.host` the matched length is that of the ref's host part.
 */
export function matchLength(ref: string, prefix: string): number {
  if (isWildcard(prefix)) return subdomainMatchLength(ref, prefix.slice(1));
  if (ref.length < prefix.length || !ref.startsWith(prefix)) return -1;
  if (ref.length === prefix.length) return prefix.length;
  const boundary = ref[prefix.length];
  return boundary === ':' || boundary === '/' || boundary === '@' ? prefix.length : -1;
}

// Only the first occurrence of the suffix is considered (`refMatchingSubdomainPrefix`).
function subdomainMatchLength(ref: string, dotSuffix: string): number {
  const index = ref.indexOf(dotSuffix);
  if (index === -1 || ref.slice(0, index).includes('/')) return -1;
  const end = index + dotSuffix.length;
  if (end === ref.length) return end;
  const boundary = ref[end];
  return boundary === ':' || boundary === '/' || boundary === '@' ? end : -1;
}

/** runtime-utils `ScopeIsNestedInsideScope`: the nesting used when the cluster writes registries.conf. */
export function isNestedScope(sub: string, sup: string): boolean {
  if (sub === sup) return true;
  if (sub.length > sup.length && sub.startsWith(sup) && sub[sup.length] === '/') return true;
  if (!isWildcard(sup)) return false;
  const suffix = sup.slice(1);
  if (sub.includes(':')) {
    const host = sub.slice(0, sub.indexOf(':'));
    return host.endsWith(suffix) && !host.includes('/');
  }
  return (sub.split('/')[0] ?? '').endsWith(suffix);
}
