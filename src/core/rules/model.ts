// The compiled rule set. Its registry entries are the registries.conf model
// that containers/image resolves pulls with; the CRs are compiled into it the
// way the machine-config operator does, so both paths give the same plans.

/** Where a rule came from: a file and, for Kubernetes objects, `Kind/name`. */
export interface Origin {
  readonly file: string;
  readonly object?: string;
}

export const originLabel = (o: Origin): string => (o.object === undefined ? o.file : `${o.object} (${o.file})`);

export type PullFromMirror = '' | 'all' | 'digest-only' | 'tag-only';

export interface Mirror {
  location: string;
  insecure: boolean;
  pullFromMirror: PullFromMirror;
  /** The objects whose lists contributed this mirror. */
  origins: Origin[];
}

export interface RegistryEntry {
  /** Empty until post-processing defaults it to `location`. */
  prefix: string;
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: Mirror[];
  /** Why the entry looks as it does, for `resolve` explanations. */
  notes: string[];
  /** The objects whose NeverContactSource blocked this source. */
  neverContactSource?: Origin[];
}

/** The scope under which a registries.conf entry is found (runtime-utils `registryScope`). */
export const entryScope = (e: Pick<RegistryEntry, 'prefix' | 'location'>): string => e.prefix || e.location;

export interface PolicyScope {
  readonly scope: string;
  readonly accept: boolean;
  readonly reason: string;
}

/** What `/etc/containers/policy.json` decides for the logical reference (spec §14). */
export interface Policy {
  readonly defaultAccept: boolean;
  readonly defaultReason: string;
  readonly scopes: ReadonlyMap<string, PolicyScope>;
}

export interface TrustedCA {
  /** `host[:port]` as containers/image looks it up in certs.d. */
  readonly host: string;
  readonly pem: string;
  readonly origin: Origin;
}

export interface ImportRule {
  readonly domainName: string;
  readonly insecure: boolean;
}

interface LoadedObject {
  readonly kind: string;
  readonly origin: Origin;
}

export interface RuleSet {
  /** Sorted by prefix, one entry per prefix, as containers/image keeps them after loading. */
  readonly registries: readonly RegistryEntry[];
  readonly searchRegistries: readonly string[];
  readonly policy: Policy | undefined;
  readonly trustedCAs: ReadonlyMap<string, TrustedCA>;
  readonly importAllow: readonly ImportRule[] | undefined;
  readonly objects: readonly LoadedObject[];
  readonly warnings: readonly string[];
}
