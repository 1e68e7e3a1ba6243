// Decoding and validating each input format, malformed input of every kind.
import { describe, expect, it } from 'vitest';
import { InvalidRulesError, formatDiagnostic } from '../../../src/core/index.js';
import { decode, rulesFrom } from '../../helpers/rules.js';

const idms = (spec: string, name = 'a') => `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: ${name}
spec:
${spec}`;

/** All error lines of a rule set, formatted as the CLI prints them. */
function errorsOf(files: Record<string, string>): string[] {
  try {
    rulesFrom(files);
  } catch (err) {
    if (err instanceof InvalidRulesError) return err.diagnostics.map(formatDiagnostic);
    throw err;
  }
  return [];
}

describe('Kubernetes documents', () => {
  it('reads multi-document YAML, List and *List wrappers, and JSON', () => {
    const yaml = `${idms('  imageDigestMirrors:\n  - source: quay.io/a\n    mirrors: [m.local/a]', 'one')}
---
apiVersion: v1
kind: List
items:
- apiVersion: config.openshift.io/v1
  kind: ImageTagMirrorSet
  metadata: {name: two}
  spec:
    imageTagMirrors:
    - {source: quay.io/b, mirrors: [m.local/b]}
---
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSetList
items:
- apiVersion: config.openshift.io/v1
  kind: ImageDigestMirrorSet
  metadata: {name: three}
  spec:
    imageDigestMirrors:
    - {source: quay.io/c, mirrors: [m.local/c]}
`;
    const json = JSON.stringify({
      apiVersion: 'operator.openshift.io/v1alpha1',
      kind: 'ImageContentSourcePolicy',
      metadata: { name: 'four' },
      spec: { repositoryDigestMirrors: [{ source: 'quay.io/d', mirrors: ['m.local/d'] }] },
    });
    const rules = rulesFrom({ 'a.yaml': yaml, 'b.json': json });
    expect(rules.objects.map((o) => o.origin.object)).toEqual([
      'ImageDigestMirrorSet/one',
      'ImageTagMirrorSet/two',
      'ImageDigestMirrorSet/three',
      'ImageContentSourcePolicy/four',
    ]);
    expect(rules.registries.map((r) => r.prefix)).toEqual(['quay.io/a', 'quay.io/b', 'quay.io/c', 'quay.io/d']);
  });

  it('reports unknown kinds as ignored, not silently', () => {
    const rules = rulesFrom({ 'cs.yaml': 'apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata: {name: cs}\n' });
    expect(rules.warnings).toEqual(['cs.yaml: CatalogSource/cs: ignored: kind "CatalogSource" holds no mirror rules']);
  });

  it.each([
    ['YAML syntax', 'kind: [unclosed', /x\.yaml: document 1, line 1, column \d+: invalid YAML/],
    ['not an object', '- a\n- b\n', /x\.yaml: document 1: expected a Kubernetes object/],
    ['no kind', 'apiVersion: v1\nmetadata: {name: a}\n', /x\.yaml: document 1: missing kind/],
    ['wrong apiVersion', 'apiVersion: config.openshift.io/v2\nkind: ImageDigestMirrorSet\nmetadata: {name: a}\nspec: {}\n', /x\.yaml: ImageDigestMirrorSet\/a: apiVersion: expected "config\.openshift\.io\/v1" for kind ImageDigestMirrorSet, got "config\.openshift\.io\/v2"/],
    ['no name', 'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nspec: {}\n', /metadata\.name: required field is missing/],
    ['List items not a list', 'apiVersion: v1\nkind: List\nitems: {a: 1}\n', /x\.yaml: document 1: items: expected a list, got an object/],
  ])('%s', (_name, text, expected) => {
    expect(errorsOf({ 'x.yaml': text }).join('\n')).toMatch(expected);
  });
});

describe('mirror sets', () => {
  it.each([
    ['source missing', '  imageDigestMirrors:\n  - mirrors: [m.local/a]', 'spec.imageDigestMirrors[0].source: required field is missing'],
    ['source not a string', '  imageDigestMirrors:\n  - source: 5', 'spec.imageDigestMirrors[0].source: expected a string, got a number 5'],
    ['uppercase path', '  imageDigestMirrors:\n  - source: quay.io/NS\n    mirrors: [m.local/a]', 'spec.imageDigestMirrors[0].source: invalid format for source "quay.io/NS": repository paths must be lowercase'],
    ['tag in source', '  imageDigestMirrors:\n  - source: quay.io/ns:v1\n    mirrors: [m.local/a]', 'invalid format for source "quay.io/ns:v1": a scope cannot contain a tag'],
    ['digest in mirror', '  imageDigestMirrors:\n  - source: quay.io/ns\n    mirrors: ["m.local/a@sha256:abc"]', 'spec.imageDigestMirrors[0].mirrors[0]: invalid format for mirror "m.local/a@sha256:abc": a scope cannot contain a digest'],
    ['wildcard mirror', '  imageDigestMirrors:\n  - source: quay.io/ns\n    mirrors: ["*.m.local"]', 'invalid format for mirror "*.m.local"'],
    ['wildcard with path', '  imageDigestMirrors:\n  - source: "*.quay.io/ns"\n    mirrors: [m.local]', 'invalid format for source "*.quay.io/ns"'],
    ['empty source', '  imageDigestMirrors:\n  - source: ""\n    mirrors: [m.local]', 'invalid format for source "": must not be empty'],
    ['duplicate mirror (listType=set)', '  imageDigestMirrors:\n  - source: quay.io/ns\n    mirrors: [m.local/a, m.local/a]', 'spec.imageDigestMirrors[0].mirrors[1]: duplicate value "m.local/a"'],
    ['bad policy', '  imageDigestMirrors:\n  - source: quay.io/ns\n    mirrors: [m.local/a]\n    mirrorSourcePolicy: Never', 'mirrorSourcePolicy: unsupported value "Never": must be one of NeverContactSource, AllowContactingSource'],
    ['unknown entry field', '  imageDigestMirrors:\n  - source: quay.io/ns\n    mirror: [m.local/a]', 'spec.imageDigestMirrors[0].mirror: unknown field "mirror"'],
    ['unknown spec field', '  repositoryDigestMirrors: []', 'spec.repositoryDigestMirrors: unknown field "repositoryDigestMirrors"'],
    ['list not a list', '  imageDigestMirrors: {source: quay.io}', 'spec.imageDigestMirrors: expected a list, got an object'],
  ])('%s', (_name, spec, expected) => {
    const errors = errorsOf({ 'r.yaml': idms(spec) });
    expect(errors.join('\n')).toContain(expected);
    expect(errors[0]).toMatch(/^r\.yaml: ImageDigestMirrorSet\/a: spec/);
  });

  it('reports every error of every file together', () => {
    const errors = errorsOf({
      'one.yaml': idms('  imageDigestMirrors:\n  - source: quay.io/NS\n    mirrors: ["*.x", "Bad/Path"]'),
      'two.yaml': idms('  imageDigestMirrors:\n  - source: ""', 'b'),
    });
    expect(errors).toEqual([
      'one.yaml: ImageDigestMirrorSet/a: spec.imageDigestMirrors[0].source: invalid format for source "quay.io/NS": repository paths must be lowercase',
      'one.yaml: ImageDigestMirrorSet/a: spec.imageDigestMirrors[0].mirrors[0]: invalid format for mirror "*.x": a wildcard is only allowed as a whole leading "*." label of a source, with no port or path',
      'one.yaml: ImageDigestMirrorSet/a: spec.imageDigestMirrors[0].mirrors[1]: invalid format for mirror "Bad/Path": repository paths must be lowercase',
      'two.yaml: ImageDigestMirrorSet/b: spec.imageDigestMirrors[0].source: invalid format for source "": must not be empty',
    ]);
  });

  it('ICSP allows duplicate mirrors; ICP keys entries by source and forbids wildcards', () => {
    const icsp = 'apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata: {name: p}\nspec:\n  repositoryDigestMirrors:\n  - {source: quay.io/x, mirrors: [m.local/x, m.local/x]}\n';
    expect(errorsOf({ 'p.yaml': icsp })).toEqual([]);
    const icp = 'apiVersion: config.openshift.io/v1\nkind: ImageContentPolicy\nmetadata: {name: c}\nspec:\n  repositoryDigestMirrors:\n  - {source: quay.io/x, mirrors: [m.local/x]}\n  - {source: quay.io/x, mirrors: [n.local/x]}\n  - {source: "*.quay.io", mirrors: [n.local/x]}\n';
    expect(errorsOf({ 'c.yaml': icp })).toEqual([
      'c.yaml: ImageContentPolicy/c: spec.repositoryDigestMirrors[1].source: duplicate source "quay.io/x"',
      'c.yaml: ImageContentPolicy/c: spec.repositoryDigestMirrors[2].source: invalid format for source "*.quay.io": ImageContentPolicy sources cannot be wildcards',
    ]);
  });

  it('warns that mirrorSourcePolicy without mirrors is ignored', () => {
    const rules = rulesFrom({ 'r.yaml': idms('  imageDigestMirrors:\n  - source: quay.io/x\n    mirrorSourcePolicy: NeverContactSource') });
    expect(rules.warnings).toEqual([
      'r.yaml: ImageDigestMirrorSet/a: spec.imageDigestMirrors[0].mirrorSourcePolicy: NeverContactSource has no effect without mirrors and is ignored, as the cluster ignores it',
    ]);
    expect(rules.registries).toEqual([]);
  });
});

describe('Image config', () => {
  const image = (spec: string, name = 'cluster') => `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: ${name}}\nspec:\n${spec}`;

  it.each([
    ['allowed and blocked', '  registrySources:\n    allowedRegistries: [a.io]\n    blockedRegistries: [b.io]', 'spec.registrySources: Only one of blockedRegistries or allowedRegistries may be set'],
    ['bad blocked scope', '  registrySources:\n    blockedRegistries: ["*.b.io:5000"]', 'spec.registrySources.blockedRegistries[0]: invalid entry for blocked registries "*.b.io:5000"'],
    ['bad insecure scope', '  registrySources:\n    insecureRegistries: ["a*.io"]', 'spec.registrySources.insecureRegistries[0]: invalid entry for insecure registries "a*.io"'],
    ['bad allowed scope', '  registrySources:\n    allowedRegistries: ["quay.io/NS"]', 'spec.registrySources.allowedRegistries[0]: invalid entry for allowed registries "quay.io/NS": expected host[:port][/namespace…] or *.host'],
    ['search not a hostname', '  registrySources:\n    containerRuntimeSearchRegistries: ["quay.io:443"]', 'spec.registrySources.containerRuntimeSearchRegistries[0]: "quay.io:443" is not a hostname'],
    ['search empty', '  registrySources:\n    containerRuntimeSearchRegistries: []', 'spec.registrySources.containerRuntimeSearchRegistries: must have at least 1 item'],
    ['search duplicate', '  registrySources:\n    containerRuntimeSearchRegistries: [a.io, a.io]', 'spec.registrySources.containerRuntimeSearchRegistries[1]: duplicate value "a.io"'],
    ['unknown registrySources field', '  registrySources:\n    blocked: [a.io]', 'spec.registrySources.blocked: unknown field "blocked"'],
    ['import too many colons', '  allowedRegistriesForImport:\n  - domainName: "a.io:1:2"', 'spec.allowedRegistriesForImport[0].domainName: "a.io:1:2": too many colons'],
    ['import no domain', '  allowedRegistriesForImport:\n  - insecure: true', 'spec.allowedRegistriesForImport[0].domainName: required field is missing'],
    ['CA ConfigMap missing', '  additionalTrustedCA: {name: cas}', 'spec.additionalTrustedCA.name: ConfigMap "cas" (namespace openshift-config) is not among the rule inputs'],
  ])('%s', (_name, spec, expected) => {
    expect(errorsOf({ 'i.yaml': image(spec) }).join('\n')).toContain(`i.yaml: Image/cluster: ${expected}`);
  });

  it('reads only the object named cluster, and only one', () => {
    expect(errorsOf({ 'i.yaml': image('  registrySources: {}', 'other') }).join('\n')).toContain('metadata.name: the cluster reads only the Image object named "cluster", got "other"');
    expect(errorsOf({ 'i.yaml': image('  {}'), 'j.yaml': image('  {}') }).join('\n')).toContain('j.yaml: Image/cluster: only one Image object may be given');
  });

  it('refuses a CA value that is not PEM', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas, namespace: openshift-config}\ndata:\n  reg.io..5000: not a certificate\n';
    expect(errorsOf({ 'i.yaml': image('  additionalTrustedCA: {name: cas}'), 'cm.yaml': cm })).toEqual([
      'cm.yaml: ConfigMap/cas: data.reg.io..5000: expected a PEM bundle with at least one "-----BEGIN CERTIFICATE-----" block',
    ]);
  });
});

describe('registries.conf', () => {
  it.each([
    ['TOML syntax', 'unqualified-search-registries = [', /r\.toml: line 1, column \d+: invalid TOML/],
    ['v1 format', '[registries.search]\nregistries = ["a.io"]', /the v1 format .* is not supported/],
    ['scheme in location', '[[registry]]\nlocation = "https://quay.io"', /invalid location 'https:\/\/quay\.io': URI schemes are not supported/],
    ['prefix and location unset', '[[registry]]\ninsecure = true', /invalid condition: both location and prefix are unset/],
    ['location unset, prefix not wildcard', '[[registry]]\nprefix = "quay.io"', /invalid condition: location is unset and prefix is not in the format: \*\.example\.com/],
    ['bad wildcard prefix', '[[registry]]\nprefix = "*.quay.io:5000"', /Wildcarded prefix should be in the format: \*\.example\.com\. Current prefix "\*\.quay\.io:5000" is incorrectly formatted/],
    ['mirror location unset', '[[registry]]\nlocation = "quay.io"\n[[registry.mirror]]\ninsecure = true', /invalid condition: mirror location is unset/],
    ['pull-from-mirror on primary', '[[registry]]\nlocation = "quay.io"\npull-from-mirror = "all"', /pull-from-mirror must not be set for a non-mirror registry "quay\.io"/],
    ['conflicting insecure', '[[registry]]\nprefix = "a.io/x"\nlocation = "quay.io"\n[[registry]]\nprefix = "a.io/y"\nlocation = "quay.io"\ninsecure = true', /registry 'quay\.io' is defined multiple times with conflicting 'insecure' setting/],
    ['bad search entry', 'unqualified-search-registries = ["quay.io/ns"]', /Invalid unqualified-search-registries entry "quay\.io\/ns"/],
    ['wrong type', '[[registry]]\nlocation = "quay.io"\ninsecure = "yes"', /r\.toml: registry\[0\]\.insecure: expected true or false, got "yes"/],
  ])('%s', (_name, text, expected) => {
    expect(errorsOf({ 'r.toml': text }).join('\n')).toMatch(expected);
  });

  it('keeps the first table of a prefix within a file; a later file replaces it whole', () => {
    const first = '[[registry]]\nprefix = "quay.io"\nlocation = "one.io"\n[[registry]]\nprefix = "quay.io"\nlocation = "two.io"\n';
    expect(rulesFrom({ 'a.toml': first }).registries.map((r) => r.location)).toEqual(['one.io']);
    const dropIn = '[[registry]]\nprefix = "quay.io"\nlocation = "three.io"\n';
    expect(rulesFrom({ 'a.toml': first, 'b.toml': dropIn }).registries.map((r) => r.location)).toEqual(['three.io']);
  });

  it('warns about keys it does not use', () => {
    const rules = rulesFrom({ 'r.toml': 'short-name-mode = "enforcing"\nfoo = 1\n[[registry]]\nlocation = "quay.io"\nbar = 2\n' });
    expect(rules.warnings).toEqual(['r.toml: foo: unknown key "foo" ignored', 'r.toml: registry[0].bar: unknown key "bar" ignored']);
  });

  it('decoding keeps going after an error to report the others', () => {
    const { sink } = decode({ 'r.toml': '[[registry]]\nlocation = 1\ninsecure = "x"\n' });
    expect(sink.errors.map((e) => e.path)).toEqual(['registry[0].location', 'registry[0].insecure']);
  });
});
