// Inputs for the parser fuzz tests: random strings biased toward each
// grammar's own characters, so that runs reach deep into the parsers
// instead of failing at the first byte.
import fc from 'fast-check';

/** Strings over `alphabet` (single characters) mixed with any unicode, up to `maxLength`. */
export function textOver(alphabet: string, maxLength = 80): fc.Arbitrary<string> {
  const unit = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...alphabet.split('')) }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) });
  return fc.string({ unit, maxLength });
}

/** Strings joining pieces from `tokens` (whole words of a grammar). */
export function joined(tokens: readonly string[], maxPieces = 12): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...tokens), { maxLength: maxPieces }).map((parts) => parts.join(''));
}

export const REFERENCE_CHARS = 'abcxyz019ABZ._-/:@';
export const HEX64 = 'a'.repeat(64);

/** Enough runs to find the shallow bugs, few enough that the whole fuzz suite stays well under 10 s. */
export const RUNS = { numRuns: 300 } as const;

/** Runs `f`; a throw is fine only when it is one of `allowed` (typed errors), anything else fails the property. */
export function typedOnly<T>(f: () => T, ...allowed: (abstract new (...args: never[]) => Error)[]): T | undefined {
  try {
    return f();
  } catch (err) {
    if (allowed.some((c) => err instanceof c)) return undefined;
    throw err;
  }
}
