import type { Reference } from '../reference/index.js';
import type { Origin, TrustedCA } from '../rules/model.js';
import type { PolicyDecision } from '../rules/policy.js';

type Role = 'mirror' | 'source';

/** One repository containers/image would try, in order. */
export interface Attempt {
  readonly reference: string;
  readonly ref: Reference;
  readonly role: Role;
  readonly insecure: boolean;
  readonly ca?: TrustedCA;
  /** Set when the attempt is refused without contact: the blocked entry's prefix and why. */
  readonly blocked?: string;
  /** What refused it: a NeverContactSource policy, or a blocked scope. */
  readonly refusedBy?: 'never_contact_source' | 'blocked';
  /** The objects that listed this mirror. */
  readonly origins: readonly Origin[];
}

export interface ExcludedMirror {
  readonly location: string;
  readonly reason: string;
}

/** The resolution of one fully qualified reference. */
export interface Plan {
  /** The logical reference, normalized. */
  readonly image: string;
  readonly pullBy: 'digest' | 'tag';
  /** The registries.conf entry that matched, if any. */
  readonly matchedPrefix?: string;
  readonly entryNotes: readonly string[];
  /** Every source in order, including refused ones. */
  readonly attempts: readonly Attempt[];
  /** What will really be contacted, in order; empty when denied. */
  readonly endpoints: readonly Attempt[];
  readonly excludedMirrors: readonly ExcludedMirror[];
  readonly policy: PolicyDecision;
  readonly denied?: string;
  /** Where the cluster's code departs from the API documents for this pull, in words. */
  readonly divergences: readonly string[];
  /** For a short name: one plan per search-registry candidate, tried in order. */
  readonly candidates?: readonly Plan[];
}
