// An incoming request -> what it asks for, from which registry (pure).
// Accepted forms (spec oci-wire.md §4.5):
//   /v2/quay.io/foo/bar/manifests/1.0          registry in the path (CRI-O, podman, skopeo mirrors)
//   /v2/foo/bar/manifests/1.0?ns=quay.io      containerd hosts.toml host
//   /quay.io/v2/foo/bar/manifests/1.0?ns=…    containerd host URL with a path
//   /v2/library/busybox/manifests/latest       no registry: the default one (Docker registry-mirrors)
//
// The registry host is lower-cased here, before anything decides on it. Host
// names are case-insensitive (RFC 4343): DNS and the address filter take
// `QUAY.IO` for `quay.io`, so the rules (blockedRegistries, mirror sources,
// NeverContactSource), the allow list, cache keys and the connection must see
// one form too, or an upper-case spelling walks past every rule. The node is
// laxer: distribution/reference's grammar allows upper case in a domain and
// keeps it (splitDockerDomain even takes an upper-case first component for
// a domain), and containers/image matches registries.conf prefixes and
// policy.json scopes byte by byte (sysregistriesv2 refMatchingPrefix), so
// there `LOCALHOST:5000/x` escapes a block on `localhost:5000`. A rule whose
// host has upper case matches no pull here (README, "Where the API documents
// and the cluster disagree").
//
// A spelling the connection would write another way (127.1, 0x7f.0.0.1,
// a port with a leading zero, quay.io:443: ../reference/host-form.ts) is
// refused, not rewritten: `?ns=127.1:P` matched no rule for 127.0.0.1:P (a
// NeverContactSource, a block) and still connected there (red-team finding).
// Refusing makes the client write the one form the rules judge; the node,
// matching text as here, would contact the host under the other name.
import { DIGEST, DOMAIN, PATH_COMPONENT, TAG } from '../reference/grammar.js';
import { respelledHost } from '../reference/host-form.js';
import { OciError } from './errors.js';

type Resource = 'manifests' | 'blobs' | 'tags' | 'referrers';

export type Route =
  | { readonly kind: 'ping' }
  | { readonly kind: 'unsupported'; readonly reason: string }
  | {
      readonly kind: Resource;
      /** Registry host[:port] of the logical image, already resolved from aliases. */
      readonly registry: string;
      /** Repository path inside that registry, as the client sent it (before Docker Hub normalization). */
      readonly repository: string;
      /** Tag or digest for manifests and blobs and referrers; absent for tags/list. */
      readonly reference?: string;
      /** False when the client named no registry and the default one was chosen. */
      readonly qualified: boolean;
      /** The `ns` query value when the client routed by it (echoed as OCI-Namespace). */
      readonly ns?: string;
      /** The path prefix the client used before /v2 or after it, to write Link headers back in its form. */
      readonly clientPrefix: string;
      readonly clientRepository: string;
    };

/**
 * Registry spellings already found canonical, kept by the caller: every
 * request names a registry, and checking one parses two URLs (issue 11: a
 * cached manifest request's CPU). parseRoute tells it only the spellings of
 * routes it accepted; the caller bounds what it keeps (`ns` is client-chosen).
 */
export interface KnownHosts {
  get(spelling: string): string | undefined;
  remember(spelling: string, host: string): void;
}

export interface RouteOptions {
  readonly defaultRegistry: string;
  /** Alias -> registry host[:port] for registries that cannot be a path component. */
  readonly aliases: ReadonlyMap<string, string>;
  readonly knownHosts?: KnownHosts;
}

/**
 * The one form of a registry host[:port] every later decision sees: lower
 * case, and exactly what the upstream URL will say, or NAME_INVALID.
 */
function canonicalHost(spelling: string, known: KnownHosts | undefined): string {
  const remembered = known?.get(spelling);
  if (remembered !== undefined) return remembered;
  const host = spelling.toLowerCase();
  const respelled = respelledHost(host);
  if (respelled === undefined) return host;
  throw new OciError('NAME_INVALID', `registry ${JSON.stringify(spelling)} ${respelled}: name the registry in that form (mirrorgate refuses other spellings so that the rules judge the host it contacts)`);
}

const NAME_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const HOST_RE = new RegExp(`^${DOMAIN}$`);
const READ_METHODS = ['GET', 'HEAD'];

const looksLikeHost = (component: string, aliases: ReadonlyMap<string, string>): boolean =>
  aliases.has(component) || component.includes('.') || component === 'localhost';

export function parseRoute(method: string, pathname: string, query: URLSearchParams, options: RouteOptions): Route {
  const v2 = pathname.indexOf('/v2/');
  if (v2 === -1) {
    if (pathname === '/v2') return routePing(method);
    throw new OciError('NAME_UNKNOWN', `not a registry API path: ${pathname}`);
  }
  const outerPrefix = pathname.slice(1, v2);
  const rest = pathname.slice(v2 + 4);
  if (rest === '') return routePing(method);
  if (!READ_METHODS.includes(method)) return { kind: 'unsupported', reason: `${method} is not supported: mirrorgate is a read-only pull-through proxy` };
  if (/\/blobs\/uploads(\/|$)/.test(rest)) return { kind: 'unsupported', reason: 'blob uploads are not supported: mirrorgate is a read-only pull-through proxy' };
  const match = /^(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(rest) ?? /^(.+)\/(tags)\/list$/.exec(rest);
  if (!match) throw new OciError('NAME_UNKNOWN', `unknown registry API path: ${pathname}`);
  const [, fullName = '', resource = '', reference] = match;
  const { registry, spelling, repository, clientPrefix, ns, qualified } = splitRegistry(outerPrefix, fullName, query.get('ns') ?? undefined, options);
  checkName(repository, fullName);
  if (reference !== undefined) checkReference(resource as Resource, reference);
  options.knownHosts?.remember(spelling, registry);
  return {
    kind: resource as Resource,
    registry,
    repository,
    qualified,
    clientPrefix,
    clientRepository: fullName,
    ...(reference === undefined ? {} : { reference }),
    ...(ns === undefined ? {} : { ns }),
  };
}

function routePing(method: string): Route {
  if (!READ_METHODS.includes(method)) return { kind: 'unsupported', reason: `${method} /v2/ is not supported` };
  return { kind: 'ping' };
}

/** The registry of a route, with the spelling its canonical form came from. */
interface Registry {
  registry: string;
  spelling: string;
}

function splitRegistry(outerPrefix: string, fullName: string, ns: string | undefined, options: RouteOptions): Registry & { repository: string; clientPrefix: string; qualified: boolean; ns?: string } {
  const canonical = (spelling: string): Registry => ({ registry: canonicalHost(spelling, options.knownHosts), spelling });
  const resolveAlias = (host: string): Registry => {
    // Lower case only to look the alias up: an alias is a path name, not a host.
    const named = host.toLowerCase();
    return canonical(options.aliases.get(named) ?? named);
  };
  if (ns !== undefined) {
    if (!HOST_RE.test(ns)) throw new OciError('NAME_INVALID', `invalid ns query parameter ${JSON.stringify(ns)}: expected host[:port]`);
    // A host URL with a path (`/quay.io/v2/…`) or override_path (`/v2/quay.io/…`) repeats the namespace.
    const repeated = fullName.startsWith(`${ns}/`) ? ns : undefined;
    return {
      ...resolveAlias(ns),
      repository: repeated ? fullName.slice(repeated.length + 1) : fullName,
      clientPrefix: outerPrefix,
      qualified: true,
      ns,
    };
  }
  if (outerPrefix !== '') {
    if (!looksLikeHost(outerPrefix.toLowerCase(), options.aliases)) throw new OciError('NAME_UNKNOWN', `unknown path prefix ${JSON.stringify(outerPrefix)}: expected a registry host`);
    return { ...resolveAlias(outerPrefix), repository: fullName, clientPrefix: outerPrefix, qualified: true };
  }
  const slash = fullName.indexOf('/');
  const first = slash === -1 ? '' : fullName.slice(0, slash);
  if (first !== '' && looksLikeHost(first.toLowerCase(), options.aliases)) {
    return { ...resolveAlias(first), repository: fullName.slice(slash + 1), clientPrefix: '', qualified: true };
  }
  return { ...canonical(options.defaultRegistry), repository: fullName, clientPrefix: '', qualified: false };
}

function checkName(repository: string, fullName: string): void {
  if (!NAME_RE.test(repository) || fullName.length > 255) {
    throw new OciError('NAME_INVALID', `invalid repository name ${JSON.stringify(fullName)}`);
  }
}

function checkReference(resource: Resource, reference: string): void {
  const isDigest = reference.includes(':');
  if (resource === 'manifests') {
    if (isDigest ? !DIGEST_RE.test(reference) : !TAG_RE.test(reference)) {
      // distribution-spec v1.1.1 conformance wants 404 for a malformed tag, 400 for a malformed digest.
      throw isDigest ? new OciError('DIGEST_INVALID', `invalid digest ${JSON.stringify(reference)}`) : new OciError('MANIFEST_UNKNOWN', `invalid tag ${JSON.stringify(reference)}`);
    }
    return;
  }
  if (!isDigest || !DIGEST_RE.test(reference)) throw new OciError('DIGEST_INVALID', `invalid digest ${JSON.stringify(reference)}`);
}
