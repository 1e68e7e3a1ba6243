import { describe, expect, it } from 'vitest';
import { mergeMirrorLists, type MirrorList } from '../../../src/core/rules/mirror-merge.js';
import { seededRandom, shuffle, pick } from '../../../src/bench/random.js';

const S = 'quay.io/x';
const list = (mirrors: string[], object = 'o', neverContactSource = false): MirrorList => ({
  source: S,
  mirrors,
  neverContactSource,
  origin: { file: 'f.yaml', object },
});
const merged = (...lists: string[][]) => mergeMirrorLists(lists.map((m, i) => list(m, `o${i}`)))[0]?.mirrors.map((m) => m.location);

describe('mergeMirrorLists (spec §11 worked examples)', () => {
  it.each([
    ['order kept, not alphabetical', [['zz', 'yy', 'cc'], ['cc', 'bb', 'aa']], ['zz', 'yy', 'cc', 'bb', 'aa']],
    ['a,b,c + c,d,e', [['a', 'b', 'c'], ['c', 'd', 'e']], ['a', 'b', 'c', 'd', 'e']],
    ['conflict broken at the smallest', [['zz', 'aa'], ['aa', 'zz']], ['aa', 'zz']],
    ['conflict, objects reversed', [['aa', 'zz'], ['zz', 'aa']], ['aa', 'zz']],
    ['unrelated lists interleave', [['z1', 'z2'], ['y1', 'y2']], ['y1', 'z1', 'y2', 'z2']],
    ['three objects', [['m3'], ['m1', 'm2'], ['m2', 'm3']], ['m1', 'm2', 'm3']],
    ['two singletons', [['b'], ['a']], ['a', 'b']],
    ['c,a,b + b,c', [['c', 'a', 'b'], ['b', 'c']], ['a', 'b', 'c']],
    ['a,m + b,m', [['a', 'm'], ['b', 'm']], ['a', 'b', 'm']],
    ['explicit trailing source dropped', [['m1', S], ['m2']], ['m1', 'm2']],
    ['source in the middle stays', [['m1', S, 'm2']], ['m1', S, 'm2']],
    ['source first stays', [[S, 'm1']], [S, 'm1']],
    ['duplicate mirror, self edge', [['m1', 'm1']], ['m1']],
    ['a,b,a cycle', [['b', 'a', 'b']], ['a', 'b']],
  ])('%s', (_name, lists, expected) => {
    expect(merged(...lists)).toEqual(expected);
  });

  it('ignores lists with no real mirror, and their NeverContactSource', () => {
    expect(mergeMirrorLists([list([], 'empty', true), list([S], 'self', true)])).toEqual([]);
    const [set] = mergeMirrorLists([list([S], 'self', true), list(['m'], 'real')]);
    expect(set?.neverContactSource).toEqual([]);
  });

  it('ORs NeverContactSource over the lists of one source and keeps who asked', () => {
    const [set] = mergeMirrorLists([list(['a'], 'x', true), list(['b'], 'y', false)]);
    expect(set?.neverContactSource.map((o) => o.object)).toEqual(['x']);
  });

  it('records every object that listed a mirror', () => {
    const [set] = mergeMirrorLists([list(['a', 'b'], 'x'), list(['b'], 'y')]);
    expect(set?.mirrors.find((m) => m.location === 'b')?.origins.map((o) => o.object)).toEqual(['x', 'y']);
  });

  it('explains a broken cycle and a source listed as a mirror', () => {
    const [cycle] = mergeMirrorLists([list(['zz', 'aa'], 'x'), list(['aa', 'zz'], 'y')]);
    expect(cycle?.notes.join()).toContain('breaks the cycle at the byte-wise smallest mirror');
    const [self] = mergeMirrorLists([list([S, 'm1'])]);
    expect(self?.notes.join()).toContain('listed among its own mirrors');
  });

  it('sorts sets by source and keeps sources apart', () => {
    const sets = mergeMirrorLists([
      { ...list(['b']), source: 'z.io/x' },
      { ...list(['a']), source: 'a.io/x' },
    ]);
    expect(sets.map((s) => s.source)).toEqual(['a.io/x', 'z.io/x']);
  });
});

/** Whether the "comes before" edges of all chains form a cycle (the lists disagree). */
function hasCycle(chains: string[][]): boolean {
  const next = new Map<string, Set<string>>();
  for (const c of chains) c.forEach((m, i) => i > 0 && next.set(c[i - 1] as string, (next.get(c[i - 1] as string) ?? new Set()).add(m)));
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string): boolean => {
    if (state.get(n) === 'open') return true;
    if (state.get(n) === 'done') return false;
    state.set(n, 'open');
    const cyclic = [...(next.get(n) ?? [])].some(visit);
    state.set(n, 'done');
    return cyclic;
  };
  return [...next.keys()].some(visit);
}

describe('mergeMirrorLists properties (seeded)', () => {
  const rand = seededRandom(20261122);
  const pool = ['a.local', 'b.local', 'c.local', 'd.local', 'e.local', 'f.local', S];
  const cases = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(rand, pool))),
  );

  it('depends only on the set of edges: object order does not matter', () => {
    for (const lists of cases) expect(merged(...shuffle(rand, lists))).toEqual(merged(...lists));
  });

  it('lists every mirror exactly once, and the source only where it is not last', () => {
    for (const lists of cases) {
      const out = merged(...lists) ?? [];
      const real = new Set(lists.flat().filter((m) => m !== S));
      if (!lists.some((l) => l.some((m) => m !== S))) continue;
      expect(new Set(out.filter((m) => m !== S))).toEqual(real);
      expect(out.length).toBe(new Set(out).size);
    }
  });

  it('keeps the relative order of lists that agree', () => {
    for (const lists of cases) {
      const chains = lists.map((l) => [...new Set(l.filter((m) => m !== S))]);
      if (hasCycle(chains) || lists.some((l) => l.includes(S)) || lists.some((l) => new Set(l).size !== l.length)) continue;
      const out = merged(...lists) ?? [];
      for (const chain of chains) {
        const positions = chain.map((m) => out.indexOf(m));
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
      }
    }
  });
});
