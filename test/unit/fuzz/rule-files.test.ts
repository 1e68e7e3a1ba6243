// Property tests for rule files: any text, and any Kubernetes-shaped object
// or registries.conf table, decodes without a crash; problems are
// diagnostics, and compiling throws only InvalidRulesError.
import fc from 'fast-check';
import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DiagnosticSink, InvalidRulesError, compileRules, parseRuleFile } from '../../../src/core/index.js';
import { RUNS, textOver, typedOnly } from './arbitraries.js';

/** Decodes then compiles `text` as `file`; returns how many diagnostics it produced. */
function load(file: string, text: string): number {
  const sink = new DiagnosticSink({ file });
  const objects = parseRuleFile(file, text, sink);
  typedOnly(() => compileRules(objects, sink), InvalidRulesError);
  return sink.errors.length + sink.warnings.length;
}

const scope = fc.constantFrom('quay.io', 'quay.io/ns', '*.example.com', 'mirror.local:5000/x', '', 'http://m.example.com/x', 'UPPER.io', '*', 'a/b/c', 'quay.io@sha256:x');
const kinds = fc.constantFrom('ImageDigestMirrorSet', 'ImageTagMirrorSet', 'ImageContentSourcePolicy', 'ImageContentPolicy', 'Image', 'ClusterVersion', 'ConfigMap', 'List', 'ImageDigestMirrorSetList', 'CatalogSource', 'ImageDigestMirorSet');
const apiVersions = fc.constantFrom('config.openshift.io/v1', 'operator.openshift.io/v1alpha1', 'v1', 'apps/v1', '');
/** JSON values that now and then take the shape the decoders look for. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.jsonValue({ maxDepth: 2 }), scope, fc.array(tie('any'), { maxLength: 3 }), tie('entry'), tie('sources')),
  entry: fc.record({ source: scope, mirrors: fc.array(scope, { maxLength: 3 }), mirrorSourcePolicy: fc.constantFrom('NeverContactSource', 'AllowContactingSource', 'Other') }, { requiredKeys: [] }),
  sources: fc.record({ insecureRegistries: fc.array(scope, { maxLength: 2 }), blockedRegistries: fc.array(scope, { maxLength: 2 }), allowedRegistries: fc.array(scope, { maxLength: 2 }) }, { requiredKeys: [] }),
})).any;
const spec = fc.record(
  {
    imageDigestMirrors: fc.array(value, { maxLength: 3 }),
    imageTagMirrors: fc.array(value, { maxLength: 3 }),
    repositoryDigestMirrors: fc.array(value, { maxLength: 3 }),
    registrySources: value,
    additionalTrustedCA: value,
    other: value,
  },
  { requiredKeys: [] },
);
const k8sObject = fc.record(
  { apiVersion: apiVersions, kind: kinds, metadata: fc.oneof(fc.record({ name: fc.constantFrom('cluster', 'x', '') }), value), spec: fc.oneof(spec, value), items: fc.array(value, { maxLength: 2 }), data: value },
  { requiredKeys: ['kind'] },
);

describe('fuzz: rule files', () => {
  it.each(['r.yaml', 'r.json', 'r.toml', 'registries.conf'])('any text as %s decodes to objects and diagnostics, never a crash', (file) => {
    const text = fc.oneof(textOver('apiVersion: kind\n-[]{}"\'=#.*/\t ', 200), fc.string({ maxLength: 200 }));
    fc.assert(fc.property(text, (t) => void load(file, t)), RUNS);
  });

  it('Kubernetes-shaped objects as YAML and JSON decode without a crash', () => {
    let diagnosed = 0;
    fc.assert(
      fc.property(fc.array(k8sObject, { minLength: 1, maxLength: 3 }), (objects) => {
        diagnosed += load('r.yaml', objects.map((o) => toYaml(o)).join('---\n'));
        load('r.json', JSON.stringify(objects[0]));
      }),
      { numRuns: 150 },
    );
    expect(diagnosed).toBeGreaterThan(0);
  });

  it('registries.conf tables decode without a crash', () => {
    const registry = fc.record(
      { prefix: scope, location: scope, insecure: fc.oneof(fc.boolean(), value), blocked: fc.boolean(), 'mirror-by-digest-only': fc.boolean(), mirror: fc.array(fc.record({ location: scope, insecure: fc.boolean(), 'pull-from-mirror': fc.constantFrom('all', 'digest-only', 'tag-only', 'x') }, { requiredKeys: [] }), { maxLength: 3 }) },
      { requiredKeys: [] },
    );
    const conf = fc.record({ 'unqualified-search-registries': fc.array(scope, { maxLength: 3 }), 'short-name-mode': fc.constantFrom('enforcing', 'permissive', 'x'), registry: fc.array(registry, { maxLength: 3 }), aliases: fc.dictionary(fc.string({ maxLength: 8 }), scope) }, { requiredKeys: [] });
    fc.assert(
      fc.property(conf, (c) => {
        let text: string;
        try {
          text = toToml(c);
        } catch {
          return; // TOML has no null: such a table cannot be written, so it cannot be read either.
        }
        load('registries.conf', text);
      }),
      RUNS,
    );
  });
});

describe('hostile rule files', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
  it.each([
    ['an alias without its anchor', 'r.yaml', 'kind: *nowhere\n', /line 1, column 7: invalid YAML: Unresolved alias/],
    ['an alias bomb', 'r.yaml', bomb, /invalid YAML: Excessive alias count/],
    ['YAML nested 5,000 deep', 'r.yaml', `${'['.repeat(5000)}${']'.repeat(5000)}`, /./],
    ['JSON nested 5,000 deep', 'r.json', `{"kind": ${'['.repeat(5000)}${']'.repeat(5000)}}`, /./],
    ['TOML nested 5,000 deep', 'r.toml', `a = ${'['.repeat(5000)}${']'.repeat(5000)}`, /invalid TOML/],
  ])('%s is a diagnostic, not a crash', (_name, file, text, message) => {
    const sink = new DiagnosticSink({ file });
    parseRuleFile(file, text, sink);
    expect(sink.errors.map((e) => `${e.path}: ${e.message}`).join('\n')).toMatch(message);
  });
});
