// What an operator reads when a rule file is wrong, and what `resolve`
// explains: one table per message family, whole lines as the CLI prints them.
import { describe, expect, it } from 'vitest';
import { DiagnosticSink, InvalidReferenceError, InvalidRulesError, RULE_FILE_EXTENSIONS, explainPlan, formatDiagnostic, parseRuleFile, resolve } from '../../../src/core/index.js';
import { nearestKind } from '../../../src/core/formats/kind-hint.js';
import { rulesFrom } from '../../helpers/rules.js';

const D = `sha256:${'a'.repeat(64)}`;
const obj = (apiVersion: string, kind: string, name: string, body: string) => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\n${body}`;
const idms = (mirrors: string, name = 'd', source = 'quay.io/app') => obj('config.openshift.io/v1', 'ImageDigestMirrorSet', name, `spec:\n  imageDigestMirrors:\n  - source: ${source}\n    mirrors: ${mirrors}\n`);
const itms = (mirrors: string, name = 't', source = 'quay.io/app') => obj('config.openshift.io/v1', 'ImageTagMirrorSet', name, `spec:\n  imageTagMirrors:\n  - source: ${source}\n    mirrors: ${mirrors}\n`);

/** Every diagnostic of decoding and compiling `files`, errors first, as the CLI prints them. */
function diagnostics(files: Record<string, string>): { errors: string[]; warnings: string[] } {
  const sink = new DiagnosticSink({ file: '(test)' });
  for (const [name, text] of Object.entries(files)) parseRuleFile(name, text, sink);
  try {
    rulesFrom(files);
  } catch (err) {
    if (!(err instanceof InvalidRulesError)) throw err;
    return { errors: err.diagnostics.map(formatDiagnostic), warnings: sink.warnings.map(formatDiagnostic) };
  }
  return { errors: sink.errors.map(formatDiagnostic), warnings: sink.warnings.map(formatDiagnostic) };
}

describe('rule file names', () => {
  it('lists *.conf among rule files, read as TOML like *.toml', () => {
    expect(RULE_FILE_EXTENSIONS).toContain('.conf');
    const conf = '[[registry]]\nprefix = "quay.io/app"\nlocation = "quay.io/app"\n[[registry.mirror]]\nlocation = "m.example.com/app"\n';
    for (const name of ['registries.conf', '99-mirrors.toml']) {
      expect(diagnostics({ [name]: conf }).errors, name).toEqual([]);
      expect(resolve('quay.io/app:v1', rulesFrom({ [name]: conf })).endpoints.map((e) => e.reference)).toEqual(['m.example.com/app:v1', 'quay.io/app:v1']);
    }
  });
});

describe('syntax errors give line and column', () => {
  it.each([
    ['YAML', 'r.yaml', 'kind: ImageDigestMirrorSet\nspec: [a, b\nc: d\n', 'r.yaml: document 1, line 3, column 1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['YAML in the second document', 'r.yaml', 'kind: List\nitems: []\n---\nkind: x\n  bad: indent\n', 'r.yaml: document 2, line 4, column 7: invalid YAML: Nested mappings are not allowed in compact mappings'],
    ['a YAML alias without its anchor', 'r.yaml', 'kind: List\nitems: *missing\n', 'r.yaml: document 1, line 2, column 8: invalid YAML: Unresolved alias'],
    ['TOML', 'registries.conf', '[[registry]]\nprefix = "quay.io"\nlocation = \n', 'registries.conf: line 3, column 12: invalid TOML: '],
  ])('%s', (_name, file, text, start) => {
    const { errors } = diagnostics({ [file]: text });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toContain(start);
  });
});

describe('kinds', () => {
  it.each([
    ['a typo', 'config.openshift.io/v1', 'ImageDigestMirorSet', 'did you mean "ImageDigestMirrorSet"?'],
    ['a plural', 'config.openshift.io/v1', 'ImageTagMirrorSets', 'did you mean "ImageTagMirrorSet"?'],
    ['another case', 'operator.openshift.io/v1alpha1', 'imagecontentsourcepolicy', 'did you mean "ImageContentSourcePolicy"?'],
  ])('%s of a known kind in a known group is an error with a hint', (_name, apiVersion, kind, hint) => {
    const { errors } = diagnostics({ 'r.yaml': obj(apiVersion, kind, 'x', 'spec: {}\n') });
    expect(errors).toEqual([`r.yaml: ${kind}/x: kind: unknown kind "${kind}" in ${apiVersion.split('/')[0]}: did you mean ${hint.slice('did you mean '.length)}`]);
  });

  it.each([
    ['another group', 'operators.coreos.com/v1alpha1', 'CatalogSource'],
    ['a real kind of a known group', 'config.openshift.io/v1', 'Proxy'],
    ['a near miss outside the known groups', 'example.com/v1', 'ImageDigestMirorSet'],
  ])('a kind of %s stays an ignored warning', (_name, apiVersion, kind) => {
    const { errors, warnings } = diagnostics({ 'r.yaml': obj(apiVersion, kind, 'x', 'spec: {}\n') });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([`r.yaml: ${kind}/x: ignored: kind "${kind}" holds no mirror rules`]);
  });

  it.each([
    ['Node', undefined],
    ['Images', 'Image'],
    ['ImageDigestMirrorSet', 'ImageDigestMirrorSet'],
    ['ClusterVersions', 'ClusterVersion'],
  ])('nearestKind(%s) = %s', (kind, near) => {
    expect(nearestKind(kind, ['Image', 'ImageDigestMirrorSet', 'ClusterVersion', 'ConfigMap'])).toBe(near);
  });
});

describe('one mistake, one error', () => {
  it.each([
    ['a mirror with a URI scheme', idms('["http://m.example.com/x"]'), 'r.yaml: ImageDigestMirrorSet/d: spec.imageDigestMirrors[0].mirrors[0]: invalid format for mirror "http://m.example.com/x": a scope has no URI scheme'],
    ['a source with a URI scheme', idms('[m.example.com/x]', 'd', '"https://quay.io/app"'), 'r.yaml: ImageDigestMirrorSet/d: spec.imageDigestMirrors[0].source: invalid format for source "https://quay.io/app": a scope has no URI scheme'],
    ['a mirror with a tag', itms('["m.example.com/x:v1"]'), 'r.yaml: ImageTagMirrorSet/t: spec.imageTagMirrors[0].mirrors[0]: invalid format for mirror "m.example.com/x:v1": a scope cannot contain a tag'],
  ])('%s is reported once, with its file, object and field', (_name, text, line) => {
    const { errors } = diagnostics({ 'r.yaml': text });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(line);
  });
});

describe('resolve explains truthfully', () => {
  it('attributes a registries.conf mirror to its file and setting, not to IDMS/ICSP', () => {
    const conf = '[[registry]]\nprefix = "quay.io/app"\nlocation = "quay.io/app"\n[[registry.mirror]]\nlocation = "m.example.com/app"\npull-from-mirror = "digest-only"\n';
    const text = explainPlan(resolve('quay.io/app:v1', rulesFrom({ 'registries.conf': conf })));
    expect(text).toContain('not used: m.example.com/app: serves digest pulls only (pull-from-mirror = "digest-only", from registries.conf)');
    expect(text).not.toMatch(/ImageDigestMirrorSet|ImageContentSourcePolicy/);
  });

  it.each([
    ['digest', `quay.io/app@${D}`, 'ImageDigestMirrorSet/d (r.yaml)'],
    ['tag', 'quay.io/app:v1', 'ImageTagMirrorSet/t (r.yaml)'],
  ])('a mirror listed by an IDMS and an ITMS is used for a %s pull and not also "not used"', (_name, image, from) => {
    const text = explainPlan(resolve(image, rulesFrom({ 'r.yaml': `${idms('[m.example.com/app]')}---\n${itms('[m.example.com/app]')}` })));
    expect(text).toContain(`mirror from ${from}`);
    expect(text).not.toContain('not used');
  });

  it('names the IDMS that makes a mirror digest-only for a tag pull', () => {
    const text = explainPlan(resolve('quay.io/app:v1', rulesFrom({ 'r.yaml': idms('[m.example.com/app]') })));
    expect(text).toContain('not used: m.example.com/app: serves digest pulls only (pull-from-mirror = "digest-only", from ImageDigestMirrorSet/d (r.yaml))');
  });

  it.each([
    ['an empty', ''],
    ['a blank', '   '],
  ])('%s reference is named as such', (_name, input) => {
    for (const rules of [rulesFrom({}), rulesFrom({ 'registries.conf': 'unqualified-search-registries = ["docker.io"]\n' })]) {
      expect(() => resolve(input, rules)).toThrow(InvalidReferenceError);
      expect(() => resolve(input, rules)).toThrow(`invalid reference ${JSON.stringify(input)}: the image reference is empty`);
    }
  });
});
