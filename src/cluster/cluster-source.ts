// The followed cluster as a rule source: its objects become documents that
// the same decoder and compiler read as files, labelled `cluster:Kind/name`.
// Read-only (the cluster is the source of truth; the rules API cannot change
// its objects), and not ready until every followed resource has been listed
// once, so a replica never serves on a partial rule set.
import type { RuleDocument, RuleSource } from '../config/rule-sources.js';
import { ClusterFollower, type FollowedObject, type FollowerOptions, type FollowerStatus } from './follower.js';

export interface ClusterSource extends RuleSource {
  status(): FollowerStatus;
  /** Whether `documents` (what the holder has in force) were read once every kind had been listed. */
  complete(documents: readonly RuleDocument[]): boolean;
  /** Lists and starts watching; resolves once every resource has been listed or has failed once. */
  start(): Promise<void>;
  stop(): void;
}

/**
 * Changes are pushed (`onChange`, debounced), not found by the holder's file
 * watching: a cluster's rules must follow it even where files are not watched.
 */
export function clusterSource(kubeconfig: string, events: Pick<FollowerOptions, 'onChange' | 'onStatus' | 'onProblem'>): ClusterSource {
  const follower = new ClusterFollower({ kubeconfig, ...events });
  // Reads taken after the first full list: only once one of them is in force are the rules the cluster's.
  const completeReads = new WeakSet<readonly RuleDocument[]>();
  return {
    name: 'cluster',
    readOnly: true,
    read: async () => {
      const complete = follower.status().synced;
      const docs = documents(follower.objects());
      if (complete) completeReads.add(docs);
      return docs;
    },
    complete: (docs) => completeReads.has(docs),
    status: () => follower.status(),
    start: () => follower.start(),
    stop: () => follower.stop(),
  };
}

/**
 * Only the CA ConfigMaps that a cluster Image names: openshift-config holds
 * many other ConfigMaps, none of them rules (MCO reads just the one
 * `spec.additionalTrustedCA.name` names).
 */
function documents(objects: readonly FollowedObject[]): RuleDocument[] {
  const caNames = new Set(objects.filter((o) => o.kind === 'Image').map((o) => trustedCaName(o.object)));
  return objects
    .filter((o) => o.kind !== 'ConfigMap' || caNames.has(o.name))
    .map((o) => ({ label: `cluster:${o.kind}/${o.name}.json`, text: JSON.stringify(o.object) }));
}

function trustedCaName(image: Record<string, unknown>): string | undefined {
  const spec = image.spec as { additionalTrustedCA?: { name?: unknown } } | undefined;
  const name = spec?.additionalTrustedCA?.name;
  return typeof name === 'string' ? name : undefined;
}
