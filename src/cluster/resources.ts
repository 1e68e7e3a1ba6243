// What a replica follows on the cluster it serves: the kinds the machine-config
// operator reads to write a node's registries.conf and policy.json (MCO
// pkg/controller/container-runtime-config: the IDMS/ITMS/ICSP listers, the
// cluster Image config, the additionalTrustedCA ConfigMap in openshift-config,
// and ClusterVersion for the release payload), plus ImageContentPolicy.

export interface FollowedResource {
  readonly kind: string;
  readonly apiVersion: string;
  readonly plural: string;
  /** Namespaced resources are followed in this namespace only. */
  readonly namespace?: string;
}

export const FOLLOWED: readonly FollowedResource[] = [
  { kind: 'ImageDigestMirrorSet', apiVersion: 'config.openshift.io/v1', plural: 'imagedigestmirrorsets' },
  { kind: 'ImageTagMirrorSet', apiVersion: 'config.openshift.io/v1', plural: 'imagetagmirrorsets' },
  { kind: 'ImageContentPolicy', apiVersion: 'config.openshift.io/v1', plural: 'imagecontentpolicies' },
  { kind: 'ImageContentSourcePolicy', apiVersion: 'operator.openshift.io/v1alpha1', plural: 'imagecontentsourcepolicies' },
  { kind: 'Image', apiVersion: 'config.openshift.io/v1', plural: 'images' },
  { kind: 'ClusterVersion', apiVersion: 'config.openshift.io/v1', plural: 'clusterversions' },
  // MCO reads the CA bundle from this namespace only (ctrlcommon.OpenShiftConfigNamespace).
  { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', namespace: 'openshift-config' },
];

/** The API path of a resource's collection, as list and watch address it. */
export function collectionPath(r: FollowedResource): string {
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return r.namespace === undefined ? `${base}/${r.plural}` : `${base}/namespaces/${r.namespace}/${r.plural}`;
}
