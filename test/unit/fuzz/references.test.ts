// Property tests: references, digests and scopes never crash, throw only
// InvalidReferenceError, and what they accept round-trips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidReferenceError, parseCanonical, parseDigest, parseNormalized, parsePullReference, referenceString } from '../../../src/core/reference/index.js';
import { isNestedScope, isValidMirrorScope, isValidRegistriesConfScope, isValidSourceScope, matchLength } from '../../../src/core/rules/scope.js';
import { HEX64, REFERENCE_CHARS, RUNS, joined, textOver, typedOnly } from './arbitraries.js';

const wellFormed = fc
  .tuple(fc.constantFrom('', 'quay.io/', 'localhost:5000/', 'docker.io/', 'Reg.Example.com/'), fc.array(fc.constantFrom('ns', 'app', 'library', 'a.b', 'x__y', 'UP'), { minLength: 1, maxLength: 3 }), fc.constantFrom('', ':v1', ':latest', ':-bad'), fc.constantFrom('', `@sha256:${HEX64}`, '@sha256:abc'))
  .map(([host, path, tag, digest]) => `${host}${path.join('/')}${tag}${digest}`);
const referenceLike = fc.oneof(
  wellFormed,
  textOver(REFERENCE_CHARS),
  joined(['quay.io', 'localhost', ':5000', '/', 'ns', 'app', ':', 'v1.0', '@', `sha256:${HEX64}`, 'sha512:', 'A', '-', '__', '.', '*.']),
  fc.string({ maxLength: 1100 }),
);

describe('fuzz: references', () => {
  it.each([
    ['parseNormalized', parseNormalized],
    ['parseCanonical', parseCanonical],
    ['parsePullReference', parsePullReference],
  ])('%s returns a reference that round-trips, or throws InvalidReferenceError', (_name, parse) => {
    let parsed = 0;
    fc.assert(
      fc.property(referenceLike, (input) => {
        const ref = typedOnly(() => parse(input), InvalidReferenceError);
        if (ref === undefined) return;
        parsed++;
        const again = parseNormalized(referenceString(ref));
        if (referenceString(again) !== referenceString(ref)) throw new Error(`${input} -> ${referenceString(ref)} -> ${referenceString(again)}`);
      }),
      RUNS,
    );
    expect(parsed).toBeGreaterThan(0);
  });

  it('parseDigest accepts only known algorithms with hex of their length', () => {
    const digestLike = fc.oneof(textOver('sha256:0123456789abcdefABCDEF+._-', 140), joined(['sha256', 'sha512', 'sha384', 'md5', ':', HEX64, 'a', 'F', '+x']));
    fc.assert(
      fc.property(digestLike, (input) => {
        const d = typedOnly(() => parseDigest(input), InvalidReferenceError);
        if (d && !{ sha256: 64, sha384: 96, sha512: 128 }[d.algorithm as 'sha256']) throw new Error(`accepted ${input}`);
      }),
      RUNS,
    );
  });
});

describe('fuzz: scopes', () => {
  const scopeLike = fc.oneof(textOver('abz09.-_/:*@'), joined(['*.', 'example', '.com', ':5000', '/ns', '/', '*', 'a']));

  it('validators answer a boolean and never throw', () => {
    fc.assert(
      fc.property(scopeLike, (s) => {
        for (const v of [isValidSourceScope(s), isValidMirrorScope(s), isValidRegistriesConfScope(s)]) if (typeof v !== 'boolean') throw new Error('not a boolean');
        // A mirror is a source that is not a wildcard.
        if (isValidMirrorScope(s) && !isValidSourceScope(s)) throw new Error(`mirror but not source: ${s}`);
      }),
      RUNS,
    );
  });

  it('matchLength is -1 or a length within the reference; a scope is nested in itself', () => {
    fc.assert(
      fc.property(scopeLike, scopeLike, (ref, prefix) => {
        const n = matchLength(ref, prefix);
        if (n !== -1 && (n < 0 || n > ref.length)) throw new Error(`matchLength(${ref}, ${prefix}) = ${n}`);
        if (!isNestedScope(prefix, prefix)) throw new Error(`not nested in itself: ${prefix}`);
      }),
      RUNS,
    );
  });
});
