// Legacy (unaggregated) discovery, which clients fall back to when /api and
// /apis answer plain application/json instead of the aggregated
// apidiscovery.k8s.io document (client-go discovery_client.go: the response
// Content-Type decides). Shapes: k8s.io/apimachinery/pkg/apis/meta/v1 types.go
// (APIVersions, APIGroupList, APIGroup, APIResourceList).
import { type Resource, RESOURCES, groups, resourcesOf } from './kinds.js';

const versionsOf = (group: string) => [...new Set(RESOURCES.filter((r) => r.group === group).map((r) => r.version))];

function apiGroup(name: string) {
  const versions = versionsOf(name).map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions, preferredVersion: versions[0] };
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const resourceEntries = (r: Resource) => [
  { name: r.plural, singularName: r.singular, namespaced: false, kind: r.kind, verbs: VERBS },
  ...(r.hasStatus ? [{ name: `${r.plural}/status`, singularName: '', namespaced: false, kind: r.kind, verbs: ['get', 'patch', 'update'] }] : []),
];

/** The discovery document at `path`, or undefined when it is not a discovery path. */
export function discovery(path: string): object | undefined {
  // No core group: an empty /api/v1 resource list makes kubectl report a broken discovery.
  if (path === '/api') return { kind: 'APIVersions', versions: [], serverAddressByClientCIDRs: [] };
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map(apiGroup) };
  // The API server reports its Kubernetes version; mirrorgate serves these kinds as of OpenShift 4.x on Kubernetes 1.3x.
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0-mirrorgate', platform: 'linux/amd64' };
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m || !groups().includes(m[1] as string)) return undefined;
  const [, group = '', version] = m;
  if (version === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
  const resources = resourcesOf(group, version);
  if (resources.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources: resources.flatMap(resourceEntries) };
}
