import { IDENTIFIER_RE, NAME_TOTAL_LENGTH_MAX, REFERENCE_INPUT_MAX, REFERENCE_RE } from './grammar.js';
import { parseDigest } from './digest.js';
import { InvalidReferenceError } from './errors.js';

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API is served (containers/image `dockerRegistry`, containerd hosts.go). */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const OFFICIAL_REPO_NAMESPACE = 'library';
const DEFAULT_TAG = 'latest';

/** A fully qualified image reference; only the parse functions below create one. */
export interface Reference {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** `host[:port]/path`: what registries.conf prefixes are matched against (containers/image `ref.Name()`). */
export const referenceName = (r: Reference): string => `${r.domain}/${r.path}`;

export const referenceString = (r: Reference): string =>
  referenceName(r) + (r.tag === undefined ? '' : `:${r.tag}`) + (r.digest === undefined ? '' : `@${r.digest}`);

export const isDigested = (r: Reference): boolean => r.digest !== undefined;

/** True when the first component is a registry host: it has a `.` or `:`, or is `localhost` (splitDockerDomain). */
export function hasRegistryHost(input: string): boolean {
  const slash = input.indexOf('/');
  if (slash === -1) return false;
  const first = input.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost';
}

function splitDockerDomain(input: string): { domain: string; remainder: string } {
  let domain = DOCKER_HUB;
  let remainder = input;
  if (hasRegistryHost(input)) {
    const slash = input.indexOf('/');
    domain = input.slice(0, slash);
    remainder = input.slice(slash + 1);
  }
  if (domain === LEGACY_DOCKER_HUB) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = `${OFFICIAL_REPO_NAMESPACE}/${remainder}`;
  return { domain, remainder };
}

/** distribution `reference.Parse` on a string that already carries its domain. */
function parseQualified(input: string): Reference {
  const match = REFERENCE_RE.exec(input);
  if (!match) {
    const reason = REFERENCE_RE.test(input.toLowerCase()) ? 'repository name must be lowercase' : 'invalid reference format';
    throw new InvalidReferenceError(input, reason, 'name');
  }
  const [, name = '', tag, digest] = match;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(input, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`, 'name');
  }
  if (digest !== undefined) parseDigest(digest);
  const slash = name.indexOf('/');
  return {
    domain: name.slice(0, slash),
    path: name.slice(slash + 1),
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/**
 * containers/image `ParseNormalizedNamed`: adds `docker.io` and `library/`
 * where Docker would; the path must be lowercase, the host keeps its case.
 */
export function parseNormalized(input: string): Reference {
  if (input === '') throw new InvalidReferenceError(input, 'repository name must have at least one component', 'name');
  if (input.length > REFERENCE_INPUT_MAX) throw new InvalidReferenceError(input.slice(0, 64) + '…', 'reference is too long', 'name');
  if (IDENTIFIER_RE.test(input)) {
    throw new InvalidReferenceError(input, 'cannot specify 64-byte hexadecimal strings', 'name');
  }
  const { domain, remainder } = splitDockerDomain(input);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep === -1 ? remainder : remainder.slice(0, tagSep);
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidReferenceError(input, 'repository name must be lowercase', 'name');
  }
  return parseQualified(`${domain}/${remainder}`);
}

/**
 * containers/image `ParseNamed`: the input must already be in normalized form.
 * A mirror rewrite goes through this, so `docker.io/busybox` or a dotless host
 * as a mirror location fails the pull (spec §4).
 */
export function parseCanonical(input: string): Reference {
  const ref = parseNormalized(input);
  if (referenceString(ref) !== input) throw new InvalidReferenceError(input, 'repository name must be canonical', 'name');
  return ref;
}

/**
 * What the docker transport pulls (containers/image docker_transport.go
 * `ParseReference`/`newReference`): normalized, `:latest` when neither tag nor
 * digest, and never both a tag and a digest.
 */
export function parsePullReference(input: string): Reference {
  const ref = parseNormalized(input);
  if (ref.tag !== undefined && ref.digest !== undefined) {
    throw new InvalidReferenceError(input, 'Docker references with both a tag and digest are currently not supported');
  }
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}
