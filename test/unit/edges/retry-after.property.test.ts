// Retry-After is hostile input: whatever an upstream sends, the wait is a
// number between 0 and the cap, or nothing; dates are read against the wall clock.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/upstream/retry-after.js';

const CAP = 300_000;
const wallNow = fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) });

describe('Retry-After (properties)', () => {
  it('any text gives undefined or a wait within [0, cap]', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^\d{1,400}$/), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())), wallNow, (header, now) => {
        const ms = parseRetryAfter(header, now, CAP);
        if (ms !== undefined) {
          expect(Number.isFinite(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(CAP);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('delta-seconds are a duration, whatever the wall clock says', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), wallNow, (seconds, now) => {
        expect(parseRetryAfter(String(seconds), now, CAP)).toBe(Math.min(CAP, seconds * 1000));
      }),
    );
  });

  it('an HTTP-date is the distance from the wall clock, never negative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), wallNow, (epochSeconds, now) => {
        const at = epochSeconds * 1000;
        expect(parseRetryAfter(new Date(at).toUTCString(), now, CAP)).toBe(Math.min(CAP, Math.max(0, at - now)));
      }),
    );
  });
});
