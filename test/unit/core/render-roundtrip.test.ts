// rules -> render registries-conf -> load -> resolve gives the same plans as
// the rules themselves, over generated rule sets and references (seeded).
// policy.json decisions (allowed/blocked by name) are not expressible in
// registries.conf: they are rendered as comments and left out of the comparison.
import { describe, expect, it } from 'vitest';
import { InvalidReferenceError, InvalidRulesError, renderRegistriesConf, resolve, type RuleSet } from '../../../src/core/index.js';
import { rulesFrom } from '../../helpers/rules.js';
import { pick, seededRandom } from '../../../src/bench/random.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HOSTS = ['quay.io', 'registry.redhat.io', 'a.example.com', 'example.com', 'docker.io', 'reg.local:5000', 'mirror.local'];
const PATHS = ['', '/ns', '/ns/app', '/library', '/other'];
const SOURCES = [...HOSTS.flatMap((h) => PATHS.map((p) => h + p)), '*.example.com', '*.redhat.io'];
const MIRRORS = ['mirror.local/x', 'mirror.local', 'm2.local:5000/y/z', 'm3.local/ns', 'quay.io/ns', 'example.com:5000/ns', 'a.example.com/m'];
const SCOPES = [...SOURCES, 'mirror.local', 'm2.local:5000', '*.local'];
const POLICIES = ['', 'NeverContactSource', 'AllowContactingSource'];

type Rand = () => number;
const some = <T>(rand: Rand, items: readonly T[], max: number): T[] => [...new Set(Array.from({ length: Math.floor(rand() * (max + 1)) }, () => pick(rand, items)))];

function entries(rand: Rand, withPolicy: boolean): string {
  return some(rand, SOURCES.filter((s) => !withPolicy || true), 3)
    .map((source) => {
      const mirrors = some(rand, MIRRORS, 3);
      const policy = withPolicy ? pick(rand, POLICIES) : '';
      return `  - source: "${source}"\n    mirrors: [${mirrors.map((m) => `"${m}"`).join(', ')}]${policy ? `\n    mirrorSourcePolicy: ${policy}` : ''}`;
    })
    .join('\n');
}

function generateRules(rand: Rand): Record<string, string> {
  const docs: string[] = [];
  const add = (apiVersion: string, kind: string, listField: string, withPolicy: boolean) => {
    for (let i = 0; i < Math.floor(rand() * 3); i++) {
      const body = entries(rand, withPolicy);
      if (body) docs.push(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${kind.toLowerCase()}-${i}}\nspec:\n  ${listField}:\n${body}`);
    }
  };
  add('config.openshift.io/v1', 'ImageDigestMirrorSet', 'imageDigestMirrors', true);
  add('config.openshift.io/v1', 'ImageTagMirrorSet', 'imageTagMirrors', true);
  add('operator.openshift.io/v1alpha1', 'ImageContentSourcePolicy', 'repositoryDigestMirrors', false);
  const insecure = some(rand, SCOPES, 2);
  const blocked = some(rand, SCOPES, 2);
  const list = (name: string, scopes: string[]) => (scopes.length ? `    ${name}: [${scopes.map((s) => `"${s}"`).join(', ')}]\n` : '');
  docs.push(`apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n${list('insecureRegistries', insecure)}${list('blockedRegistries', blocked)}    containerRuntimeSearchRegistries: [quay.io, docker.io]`);
  const files: Record<string, string> = { 'rules.yaml': docs.join('\n---\n') };
  if (rand() < 0.3) files['base.toml'] = '[[registry]]\nprefix = "reg.local:5000/ns"\nlocation = "reg.local:5000/elsewhere"\n[[registry.mirror]]\nlocation = "m3.local/ns"\npull-from-mirror = "tag-only"\n';
  return files;
}

function generateRefs(rand: Rand): string[] {
  return Array.from({ length: 30 }, () => {
    const host = pick(rand, [...HOSTS, 'x.a.example.com', 'registry.redhat.io:8443', 'mirror.local:5000']);
    const path = pick(rand, ['/ns/app', '/ns/app/sub', '/library/busybox', '/other/x', '/nsx/app', '/app']);
    return `${host}${path}${rand() < 0.5 ? `@${D}` : `:v${Math.floor(rand() * 3)}`}`;
  });
}

/** The plan as the registries.conf alone decides it. */
function attempts(image: string, rules: RuleSet): unknown {
  try {
    return resolve(image, rules).attempts.map((a) => [a.reference, a.role, a.insecure, a.blocked !== undefined]);
  } catch (err) {
    if (err instanceof InvalidReferenceError) return `error: ${err.reason}`;
    throw err;
  }
}

describe('render registries-conf round trip', () => {
  it('gives the same plans over 200 generated rule sets x 30 references', () => {
    const rand = seededRandom(0x6d697272);
    let compared = 0;
    let rejected = 0;
    for (let i = 0; i < 200; i++) {
      const files = generateRules(rand);
      let rules: RuleSet;
      try {
        rules = rulesFrom(files);
      } catch (err) {
        if (!(err instanceof InvalidRulesError)) throw err;
        rejected++; // e.g. conflicting mirrorSourcePolicy: the cluster renders nothing either
        continue;
      }
      const rendered = renderRegistriesConf(rules);
      const reloaded = rulesFrom({ 'rendered.toml': rendered });
      expect(reloaded.searchRegistries).toEqual(rules.searchRegistries);
      for (const image of generateRefs(rand)) {
        expect(attempts(image, reloaded), `${image}\n${rendered}`).toEqual(attempts(image, rules));
        compared++;
      }
    }
    // The generator must exercise the comparison, not mostly produce rejected sets.
    expect(compared).toBeGreaterThan(3000);
    expect(rejected).toBeGreaterThan(0);
  });

  it('renders what the machine-config operator writes, policy as comments', () => {
    const rules = rulesFrom({
      'r.yaml': `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: d}
spec:
  imageDigestMirrors:
  - {source: quay.io/x, mirrors: [m.local/x], mirrorSourcePolicy: NeverContactSource}
  - {source: "*.example.com", mirrors: [w.local]}
---
apiVersion: config.openshift.io/v1
kind: Image
metadata: {name: cluster}
spec:
  registrySources:
    insecureRegistries: [m.local]
    blockedRegistries: [bad.io]
`,
    });
    expect(renderRegistriesConf(rules)).toBe(`# Generated by mirrorgate from the rules; containers-registries.conf(5) version 2.
#
# Not expressible in registries.conf: the cluster enforces these in /etc/containers/policy.json
# on the name the user pulls (mirrors cannot serve a rejected name):
#   default: accept (not blocked)
#   reject bad.io (blocked by blockedRegistries "bad.io" in Image/cluster (r.yaml))
unqualified-search-registries = []

[[registry]]
prefix = "*.example.com"

[[registry.mirror]]
location = "w.local"
pull-from-mirror = "digest-only"

[[registry]]
location = "bad.io"
blocked = true

[[registry]]
location = "m.local"
insecure = true

[[registry]]
location = "quay.io/x"
blocked = true

[[registry.mirror]]
location = "m.local/x"
insecure = true
pull-from-mirror = "digest-only"
`);
  });
});
