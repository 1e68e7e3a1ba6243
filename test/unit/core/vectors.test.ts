// Every vector of ../shared/spec/vectors.jsonl (copied to test/fixtures/vectors),
// with its rules written as the CR YAML or registries.conf a user would write.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  InvalidReferenceError,
  InvalidRulesError,
  isImportAllowed,
  parsePullReference,
  resolve,
  resolveReference,
  type Plan,
  type RuleSet,
} from '../../../src/core/index.js';
import { mergeMirrorLists } from '../../../src/core/rules/mirror-merge.js';
import { editRegistries } from '../../../src/core/rules/edit-registries.js';
import { postProcess } from '../../../src/core/rules/post-process.js';
import type { MirrorSetObject } from '../../../src/core/formats/objects.js';
import { decode, rulesFrom, vectorFiles } from '../../helpers/rules.js';

const DIR = 'test/fixtures/vectors';

interface Source { ref: string; blocked?: boolean; insecure?: boolean }
interface Vector {
  id: string;
  case: string;
  title: string;
  rules: Record<string, unknown>;
  pull: string;
  expect: {
    outcome: string;
    sources?: Source[];
    registriesConfSources?: Source[];
    sourcesIfRenderedByRuntimeUtilsAlone?: Source[];
    matchedPrefix?: string;
    policyScope?: string;
    policy?: string;
    error?: string;
    candidates?: string[];
    note?: string;
  };
}

const vectors: Vector[] = readFileSync(`${DIR}/vectors.jsonl`, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Vector);

const attemptsOf = (plan: Plan): Source[] =>
  plan.attempts.map((a) => ({ ref: a.reference, ...(a.blocked !== undefined ? { blocked: true } : {}), ...(a.insecure ? { insecure: true } : {}) }));

const prefixOf = (plan: Plan): string => plan.matchedPrefix ?? '(none)';

function load(v: Vector): RuleSet {
  return rulesFrom(vectorFiles(DIR, v.id));
}

/** What runtime-utils plus containers/image would do if MCO's validation were skipped. */
function renderedByRuntimeUtilsAlone(v: Vector): RuleSet {
  const { objects } = decode(vectorFiles(DIR, v.id));
  const sets = objects.filter((o): o is MirrorSetObject => o.kind !== 'Image' && o.kind !== 'ConfigMap' && o.kind !== 'ClusterVersion' && o.kind !== 'registries.conf');
  const lists = (kinds: string[]) =>
    sets.filter((s) => kinds.includes(s.kind)).flatMap((s) => s.entries.map((e) => ({ source: e.source, mirrors: e.mirrors, neverContactSource: e.policy === 'NeverContactSource', origin: e.origin })));
  const registries: Parameters<typeof editRegistries>[0] = [];
  editRegistries(registries, {
    digestSets: mergeMirrorLists(lists(['ImageDigestMirrorSet', 'ImageContentSourcePolicy'])),
    tagSets: mergeMirrorLists(lists(['ImageTagMirrorSet'])),
    insecure: [],
    blocked: [],
  });
  return { ...postProcess(registries), searchRegistries: [], policy: undefined, trustedCAs: new Map(), importAllow: undefined, objects: [], warnings: [] };
}

function expectPrefix(plan: Plan, v: Vector): void {
  if (v.expect.matchedPrefix !== undefined) expect(prefixOf(plan)).toBe(v.expect.matchedPrefix);
}

const checks: Record<string, (v: Vector) => void> = {
  'try-in-order': (v) => {
    const plan = resolve(v.pull, load(v));
    expect(attemptsOf(plan)).toEqual(v.expect.sources);
    expectPrefix(plan, v);
    expect(plan.denied).toBeUndefined();
    expect(plan.endpoints.map((e) => e.reference)).toEqual(v.expect.sources?.filter((s) => !s.blocked).map((s) => s.ref));
    const via = v.expect.policy?.match(/accept via scope (\S+)/)?.[1];
    if (via !== undefined) expect(plan.policy).toMatchObject({ accept: true, scope: via });
    if (v.expect.note?.includes('cannot block the repository being used by the payload')) {
      expect(load(v).warnings.join('\n')).toContain('cannot block the repository being used by the payload');
    }
  },
  'fails-all-blocked': (v) => {
    const plan = resolve(v.pull, load(v));
    expect(attemptsOf(plan)).toEqual(v.expect.sources);
    expectPrefix(plan, v);
    expect(plan.endpoints).toEqual([]);
    expect(plan.denied).toMatch(/every endpoint is blocked/);
  },
  'denied-by-policy': (v) => {
    const plan = resolve(v.pull, load(v));
    expect(attemptsOf(plan)).toEqual(v.expect.registriesConfSources);
    expectPrefix(plan, v);
    expect(plan.endpoints).toEqual([]);
    expect(plan.denied).toMatch(/rejected by policy/);
    expect(plan.policy.accept).toBe(false);
    expect(plan.policy.scope ?? '(default: reject)').toBe(v.expect.policyScope);
  },
  'pull-error': (v) => {
    const rules = load(v);
    expect(() => resolve(v.pull, rules)).toThrow(InvalidReferenceError);
    expect(() => resolve(v.pull, rules)).toThrow(v.expect.error);
  },
  'config-rejected': (v) => {
    expect(() => load(v)).toThrow(InvalidRulesError);
    const messages = (() => {
      try {
        load(v);
      } catch (err) {
        return (err as InvalidRulesError).diagnostics.map((d) => d.message).join('\n');
      }
      return '';
    })();
    // V154 quotes both the CRD's and MCO's wording; mirrorgate gives the CRD's.
    const expected = v.expect.error?.startsWith('CRD: ') ? (v.expect.error.match(/^CRD: ([^;]+);/)?.[1] ?? '') : v.expect.error;
    expect(messages).toContain(expected);
    const alone = v.expect.sourcesIfRenderedByRuntimeUtilsAlone;
    if (alone) {
      const plan = resolveReference(parsePullReference(v.pull), renderedByRuntimeUtilsAlone(v));
      expect(attemptsOf(plan)).toEqual(alone);
      expectPrefix(plan, v);
    }
  },
  'config-invalid': (v) => {
    expect(() => load(v)).toThrow(InvalidRulesError);
    expect(() => load(v)).toThrow(v.expect.error);
  },
  candidates: (v) => {
    const plan = resolve(v.pull, load(v));
    expect(plan.candidates?.map((c) => c.image)).toEqual(v.expect.candidates);
  },
  allowed: (v) => {
    const ref = parsePullReference(v.pull);
    expect(isImportAllowed(load(v).importAllow, ref.domain)).toEqual({ allowed: true });
  },
  denied: (v) => {
    const ref = parsePullReference(v.pull);
    const decision = isImportAllowed(load(v).importAllow, ref.domain);
    expect(decision.allowed).toBe(false);
    if (v.expect.error) expect(decision.error).toBe(v.expect.error);
  },
};

describe('spec vectors', () => {
  it('covers every outcome kind the vectors use', () => {
    const outcomes = new Set(vectors.map((v) => v.expect.outcome));
    expect([...outcomes].filter((o) => !(o in checks))).toEqual([]);
    expect(vectors.length).toBe(98);
  });

  it.each(vectors.map((v) => [`${v.id} ${v.case}: ${v.expect.outcome}`, v] as const))('%s', (_name, v) => {
    checks[v.expect.outcome]?.(v);
  });
});
