import { describe, expect, it } from 'vitest';
import { isNestedScope, isValidMirrorScope, isValidRegistriesConfScope, isValidSourceScope, matchLength } from '../../../src/core/rules/scope.js';

describe('matchLength (containers/image refMatchingPrefix)', () => {
  it.each([
    ['quay.io/libpod/busybox', 'quay.io/libpod', 14],
    ['quay.io/libpod', 'quay.io/libpod', 14],
    ['quay.io/libpodx/busybox', 'quay.io/libpod', -1],
    ['quay.io/libpod/busybox:tag', 'quay.io/libpod/busybox', 22],
    ['quay.io/libpod/busybox@sha256:x', 'quay.io/libpod/busybox', 22],
    ['quay.io/libpod/busyboxx', 'quay.io/libpod/busybox', -1],
    ['simple-prefix.comx/a', 'simple-prefix.com', -1],
    ['example.com:5000/a', 'example.com', 11],
    ['example.com:50000/a', 'example.com:5000', -1],
    ['quay.io', 'quay.io/libpod', -1],
    ['a.example.com/x', '*.example.com', 13],
    ['a.b.example.com:5000/x', '*.example.com', 15],
    ['example.com/x', '*.example.com', -1],
    ['quay.io/a.example.com/x', '*.example.com', -1],
    ['a.example.comx/x', '*.example.com', -1],
    ['a.example.comx.example.com/x', '*.example.com', -1],
    ['a.example.com', '*.example.com', 13],
  ])('%s against %s -> %i', (ref, prefix, expected) => {
    expect(matchLength(ref, prefix)).toBe(expected);
  });
});

describe('isNestedScope (runtime-utils ScopeIsNestedInsideScope)', () => {
  it.each([
    ['quay.io', 'quay.io', true],
    ['quay.io/ns', 'quay.io', true],
    ['quay.io/ns/app', 'quay.io/ns', true],
    ['quay.io/nsx', 'quay.io/ns', false],
    ['quay.io:443', 'quay.io', false],
    ['a.example.com', '*.example.com', true],
    ['a.example.com/ns', '*.example.com', true],
    ['*.b.example.com', '*.example.com', true],
    ['a.example.com:5000', '*.example.com', true],
    ['example.com', '*.example.com', false],
    ['quay.io/bar.example.com', '*.example.com', false],
    ['quay.io/bar.example.com:400', '*.example.com', false],
  ])('%s inside %s: %s', (sub, sup, expected) => {
    expect(isNestedScope(sub, sup)).toBe(expected);
  });
});

describe('scope validity', () => {
  it.each([
    ['quay.io', true, true],
    ['quay.io:443/ns/repo', true, true],
    ['localhost', true, true],
    ['Quay.io/x', true, true],
    ['*.example.com', true, false],
    ['*.example.com:5000', false, false],
    ['*.example.com/ns', false, false],
    ['quay.*.com', false, false],
    ['quay.io/NS', false, false],
    ['quay.io/ns:tag', false, false],
    ['quay.io/ns@sha256:abc', false, false],
    ['quay.io/ns/', false, false],
    ['', false, false],
    ['https://quay.io', false, false],
  ])('%s: source %s, mirror %s', (scope, source, mirror) => {
    expect(isValidSourceScope(scope)).toBe(source);
    expect(isValidMirrorScope(scope)).toBe(mirror);
  });

  it.each([
    ['quay.io', true],
    ['*.example.com', true],
    ['*.example.com:5000', false],
    ['*.example.com/x', false],
    ['foo*.com', false],
    ['', false],
  ])('registries.conf scope %s: %s', (scope, valid) => {
    expect(isValidRegistriesConfScope(scope)).toBe(valid);
  });
});
