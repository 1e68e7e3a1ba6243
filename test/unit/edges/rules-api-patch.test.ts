// JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) as the rules API
// applies them, and label/field selectors, against the RFCs' own examples
// and the API server's selector grammar.
import { describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../../src/rules-api/patch.js';
import { fieldSelector, labelSelector } from '../../../src/rules-api/selectors.js';
import { ApiError } from '../../../src/rules-api/status.js';
import type { KubeObject } from '../../../src/rules-api/object.js';

const status = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof ApiError ? err.code : 'other';
  }
  return 'ok';
};

describe('mergePatch (RFC 7386 appendix A)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'foo' }, null, null],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });

  it('strategic merge patch is a merge patch (atomic lists) and refuses directives', () => {
    expect(strategicMergePatch({ l: [1, 2] }, { l: [3] })).toEqual({ l: [3] });
    expect(status(() => strategicMergePatch({}, { spec: { x: [{ $patch: 'delete' }] } }))).toBe(400);
  });
});

describe('jsonPatch (RFC 6902)', () => {
  it('add, remove, replace, move, copy, test, in order, on a copy', () => {
    const doc = { a: { b: [1, 2] }, c: 'x' };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/a/b/1', value: 9 },
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'remove', path: '/a/b/0' },
      { op: 'replace', path: '/c', value: 'y' },
      { op: 'copy', from: '/c', path: '/d' },
      { op: 'move', from: '/d', path: '/e~1f' },
      { op: 'test', path: '/e~1f', value: 'y' },
    ]);
    expect(out).toEqual({ a: { b: [9, 2, 3] }, c: 'y', 'e/f': 'y' });
    expect(doc).toEqual({ a: { b: [1, 2] }, c: 'x' });
  });

  it('errors: a failed test or a missing path is 422, a malformed patch 400', () => {
    expect(status(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]))).toBe(422);
    expect(status(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]))).toBe(422);
    expect(status(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/x/y', value: 1 }]))).toBe(422);
    expect(status(() => jsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 1 }]))).toBe(422);
    expect(status(() => jsonPatch({ a: [1] }, [{ op: 'add', path: '/a/01', value: 1 }]))).toBe(422);
    expect(status(() => jsonPatch({}, { op: 'add' }))).toBe(400);
    expect(status(() => jsonPatch({}, [{ op: 'frobnicate', path: '/a' }]))).toBe(400);
    expect(status(() => jsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]))).toBe(400);
  });
});

describe('selectors', () => {
  const obj = (name: string, labels?: Record<string, string>) => ({ apiVersion: 'v', kind: 'K', metadata: { name, ...(labels ? { labels } : {}) } }) as KubeObject;
  const objects = [obj('a', { env: 'prod', app: 'x' }), obj('b', { env: 'dev' }), obj('c')];
  const names = (f: (o: KubeObject) => boolean) => objects.filter(f).map((o) => o.metadata.name);

  it('label selectors: equality, inequality, sets, existence, combined', () => {
    expect(names(labelSelector('env=prod'))).toEqual(['a']);
    expect(names(labelSelector('env==prod'))).toEqual(['a']);
    expect(names(labelSelector('env!=prod'))).toEqual(['b', 'c']);
    expect(names(labelSelector('env in (prod, dev)'))).toEqual(['a', 'b']);
    expect(names(labelSelector('env notin (prod)'))).toEqual(['b', 'c']);
    expect(names(labelSelector('app'))).toEqual(['a']);
    expect(names(labelSelector('!app'))).toEqual(['b', 'c']);
    expect(names(labelSelector('env,!app'))).toEqual(['b']);
    expect(names(labelSelector(''))).toEqual(['a', 'b', 'c']);
    expect(status(() => labelSelector('env >< x'))).toBe(400);
  });

  it('field selectors: metadata.name only', () => {
    expect(names(fieldSelector('metadata.name=b'))).toEqual(['b']);
    expect(names(fieldSelector('metadata.name!=b'))).toEqual(['a', 'c']);
    expect(names(fieldSelector('metadata.namespace='))).toEqual(['a', 'b', 'c']);
    expect(status(() => fieldSelector('spec.x=y'))).toBe(400);
  });
});
