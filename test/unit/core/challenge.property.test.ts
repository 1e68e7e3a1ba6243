// WWW-Authenticate is hostile input: properties over generated headers
// (round trip of what registries send, several challenges per header, escapes)
// and over arbitrary text (no throw, bounded output), plus the caps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CHALLENGE_HEADER, parseChallenges } from '../../../src/core/oci/challenge.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const quote = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
const param = fc.record({ name: token, value: fc.string({ maxLength: 40 }), bare: fc.boolean() });
const challenge = fc.record({ scheme: token, params: fc.uniqueArray(param, { maxLength: 8, selector: (p) => p.name.toLowerCase() }) });

const render = (cs: { scheme: string; params: { name: string; value: string; bare: boolean }[] }[]) =>
  cs
    .map(({ scheme, params }) => {
      const ps = params.map(({ name, value, bare }) => `${name}=${bare && /^[^"\\,\s=]+$/.test(value) && [...value].every((c) => TCHARS.includes(c)) ? value : quote(value)}`);
      return ps.length ? `${scheme} ${ps.join(', ')}` : scheme;
    })
    .join(', ');

describe('WWW-Authenticate parsing (properties)', () => {
  it('reads back every challenge and parameter of a generated header, in order', () => {
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 6 }), (cs) => {
        const parsed = parseChallenges(render(cs));
        expect(parsed).toEqual(cs.map(({ scheme, params }) => ({ scheme: scheme.toLowerCase(), params: Object.fromEntries(params.map((p) => [p.name.toLowerCase(), p.value])) })));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same challenges whether they come in one header line or several', () => {
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 6 }), (cs) => {
        expect(parseChallenges(cs.map((c) => render([c])))).toEqual(parseChallenges(render(cs)));
      }),
    );
  });

  it('never throws on arbitrary text and keeps its output bounded', () => {
    const hostile = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: fc.constantFrom('"', '\\', ',', '=', ' ', 'a', 'B'), maxLength: 2000 }));
    fc.assert(
      fc.property(fc.oneof(hostile, fc.array(hostile, { maxLength: 4 })), (header) => {
        const parsed = parseChallenges(header);
        expect(parsed.length).toBeLessThanOrEqual(16);
        for (const c of parsed) expect(Object.keys(c.params).length).toBeLessThanOrEqual(32);
      }),
      { numRuns: 500 },
    );
  });
});

describe('WWW-Authenticate parsing (cases)', () => {
  it.each([
    ['Bearer realm="a", Basic realm="y"', [{ scheme: 'bearer', params: { realm: 'a' } }, { scheme: 'basic', params: { realm: 'y' } }]],
    ['Basic realm="y", Bearer realm="https://a/t",service="s"', [{ scheme: 'basic', params: { realm: 'y' } }, { scheme: 'bearer', params: { realm: 'https://a/t', service: 's' } }]],
    ['Bearer realm="a\\"b\\\\c,d"', [{ scheme: 'bearer', params: { realm: 'a"b\\c,d' } }]],
    ['Bearer  realm = "a" ,, scope=x', [{ scheme: 'bearer', params: { realm: 'a', scope: 'x' } }]],
    ['Bearer realm="a", realm="evil"', [{ scheme: 'bearer', params: { realm: 'a' } }]],
    ['realm="orphan", Basic', [{ scheme: 'basic', params: {} }]],
    ['Bearer realm="never ends', [{ scheme: 'bearer', params: {} }]],
    ['Bearer __proto__="x"', [{ scheme: 'bearer', params: { ['__proto__']: 'x' } }]],
  ])('%s', (header, expected) => {
    const parsed = parseChallenges(header);
    expect(parsed.map((c) => ({ scheme: c.scheme, params: { ...c.params } }))).toEqual(expected.map((c) => ({ scheme: c.scheme, params: { ...c.params } })));
    expect(Object.getPrototypeOf(parsed[0]?.params)).toBe(Object.prototype);
  });

  it('refuses a header over the size cap outright, and keeps at most 32 parameters and 16 challenges', () => {
    expect(parseChallenges(`Bearer realm="${'a'.repeat(MAX_CHALLENGE_HEADER)}"`)).toEqual([]);
    const many = `Bearer ${Array.from({ length: 100 }, (_, i) => `p${i}=v`).join(',')}`;
    expect(Object.keys(parseChallenges(many)[0]?.params ?? {})).toHaveLength(32);
    expect(parseChallenges(Array.from({ length: 100 }, (_, i) => `S${i} realm=x`).join(', '))).toHaveLength(16);
  });

  it('reads a worst-case header under the cap in one pass (escapes, quotes, separators)', () => {
    const n = MAX_CHALLENGE_HEADER / 2 - 16;
    for (const header of [`Bearer realm="${'\\"'.repeat(n)}"`, `Bearer ${'a='.repeat(n)}`, ','.repeat(MAX_CHALLENGE_HEADER), `B ${'"'.repeat(MAX_CHALLENGE_HEADER - 2)}`]) {
      expect(Array.isArray(parseChallenges(header))).toBe(true);
    }
  });
});
