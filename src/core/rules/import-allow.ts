// Image.spec.allowedRegistriesForImport: which registries ImageStream imports
// may use (openshift-apiserver pkg/image/apis/image/validation/whitelist
// `whitelister.go`; spec §14). Pod pulls do not consult it.
import type { ImportRule } from './model.js';

const DOCKER_HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

export interface ImportDecision {
  readonly allowed: boolean;
  readonly error?: string;
}

const withDefaultPort = (hostPort: string, insecure: boolean): string =>
  hostPort.includes(':') ? hostPort : `${hostPort}:${insecure ? 80 : 443}`;

// `*` matches any run of characters, dots included.
const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');

function patternsFor(rule: ImportRule): string[] {
  const hostPort = withDefaultPort(rule.domainName, rule.insecure);
  const [host = '', port = ''] = hostPort.split(':');
  const hosts = DOCKER_HUB_ALIASES.includes(host) ? DOCKER_HUB_ALIASES : [host];
  return hosts.map((h) => `${h}:${port}`);
}

/** `host[:port]` of the image to import; an import is secure unless `insecure` is given. */
export function isImportAllowed(rules: readonly ImportRule[] | undefined, registry: string, insecure = false): ImportDecision {
  if (rules === undefined) return { allowed: true };
  const target = withDefaultPort(registry, insecure);
  for (const rule of rules) {
    if (patternsFor(rule).some((p) => globToRegExp(p).test(target))) return { allowed: true };
  }
  const host = registry.split(':')[0] ?? registry;
  const listed = rules.map((r) => JSON.stringify(withDefaultPort(r.domainName, r.insecure))).join(', ');
  return { allowed: false, error: `registry ${JSON.stringify(host)} not allowed by whitelist: ${listed}` };
}
