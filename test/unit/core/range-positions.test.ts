// Range positions past 2^53 (red-team finding "range-forwarding"): digits of
// any length parse to safe integers, so a range printed back upstream is
// digits again, never `1e+23` (the forwarded header itself is checked in
// test/integration/range-positions.test.ts); a first position no blob reaches is
// unsatisfiable whatever the size, answered without asking upstream.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRange, resolveRange, type RangeSpec } from '../../../src/core/oci/range.js';

const HUGE = '99999999999999999999999';
const MAX = Number.MAX_SAFE_INTEGER;

const positions = (spec: RangeSpec): number[] => (spec.kind === 'single' ? [spec.start, ...(spec.end === undefined ? [] : [spec.end])] : spec.kind === 'suffix' ? [spec.length] : []);

describe('Range positions of any length', () => {
  it.each([
    [`bytes=0-${HUGE}`, { kind: 'single', start: 0, end: MAX }],
    [`bytes=-${HUGE}`, { kind: 'suffix', length: MAX }],
    [`bytes=${HUGE}-`, { kind: 'unsatisfiable' }],
    [`bytes=${HUGE}-${HUGE}9`, { kind: 'unsatisfiable' }],
    [`bytes=${MAX}-`, { kind: 'unsatisfiable' }],
    [`bytes=${MAX - 1}-`, { kind: 'single', start: MAX - 1 }],
    // Still last < first when both are past 2^53: ignored, as any backwards range is.
    [`bytes=${HUGE}9-${HUGE}`, { kind: 'ignored' }],
    [`bytes=${HUGE}-5`, { kind: 'ignored' }],
    ['bytes=0000000000000000000000000007-0000000000000000000000000009', { kind: 'single', start: 7, end: 9 }],
  ])('%s', (header, spec) => {
    expect(parseRange(header)).toEqual(spec);
  });

  it.each([
    [`bytes=0-${HUGE}`, { start: 0, end: 999 }],
    [`bytes=-${HUGE}`, { start: 0, end: 999 }],
    [`bytes=${HUGE}-`, undefined],
  ])('%s of a 1000-byte blob -> %j', (header, span) => {
    expect(resolveRange(parseRange(header), 1000)).toEqual(span);
  });

  it('every parsed position is a safe integer, so it prints as digits', () => {
    // Small numbers, numbers around 2^53, up to 40 digits, with leading zeros or none at all.
    const number = fc.oneof(fc.nat(2000), fc.bigInt({ min: 2n ** 53n - 10n, max: 2n ** 53n + 10n }), fc.bigInt({ min: 0n, max: 10n ** 40n }));
    const digits = fc.oneof(fc.constant(''), fc.tuple(fc.constantFrom('', '0', '000'), number).map(([zeros, n]) => `${zeros}${n}`));
    const part = fc.tuple(digits, digits).map(([a, b]) => `${a}-${b}`);
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), (parts) => {
        const spec = parseRange(`bytes=${parts.join(',')}`);
        const bad = positions(spec).filter((p) => !Number.isSafeInteger(p) || p < 0 || !/^\d+$/.test(String(p)));
        if (bad.length > 0) throw new Error(`${parts.join(',')} -> ${JSON.stringify(spec)}`);
      }),
      { numRuns: 2000 },
    );
  });
});
