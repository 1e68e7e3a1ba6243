import { describe, expect, it } from 'vitest';
import {
  InvalidReferenceError,
  expandShortName,
  isShortName,
  parseCanonical,
  parseDigest,
  parseNormalized,
  parsePullReference,
  referenceName,
  referenceString,
} from '../../../src/core/index.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const D512 = `sha512:${'ab'.repeat(64)}`;

describe('parsePullReference (docker transport)', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['myorg/app', 'docker.io/myorg/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b:v1', 'localhost:5000/a/b:v1'],
    ['quay.io/libpod/busybox', 'quay.io/libpod/busybox:latest'],
    [`quay.io/x/app@${D}`, `quay.io/x/app@${D}`],
    [`quay.io/x/app@${D512}`, `quay.io/x/app@${D512}`],
    ['Quay.io/x/app:V1.0_rc-2', 'Quay.io/x/app:V1.0_rc-2'],
    ['mirror/ns/app', 'docker.io/mirror/ns/app:latest'],
    ['a.b/c__d/e--f/g.h_i:t', 'a.b/c__d/e--f/g.h_i:t'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest'],
  ])('%s -> %s', (input, expected) => {
    expect(referenceString(parsePullReference(input))).toBe(expected);
  });

  it.each([
    ['', 'repository name must have at least one component'],
    ['quay.io/X/app', 'repository name must be lowercase'],
    ['Busybox', 'repository name must be lowercase'],
    ['quay.io/x/app:', 'invalid reference format'],
    ['quay.io/x/app:-bad', 'invalid reference format'],
    [`quay.io/x/app:${'t'.repeat(129)}`, 'invalid reference format'],
    ['quay.io/x//app', 'invalid reference format'],
    ['quay.io/x/app/', 'invalid reference format'],
    ['quay.io/-x/app', 'invalid reference format'],
    ['quay.io/x_/app', 'invalid reference format'],
    ['quay.io/x/a p', 'invalid reference format'],
    ['-quay.io/x', 'invalid reference format'],
    [`quay.io/x/app:v1@${D}`, 'Docker references with both a tag and digest are currently not supported'],
    ['quay.io/x/app@sha256:abc', 'invalid reference format'],
    [`quay.io/x/app@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`quay.io/x/app@sha256:${'a'.repeat(63)}0a`, 'invalid checksum digest length'],
    [`quay.io/x/app@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    ['a'.repeat(64), 'cannot specify 64-byte hexadecimal strings'],
    [`quay.io/${'a'.repeat(250)}`, 'repository name must not be more than 255 characters'],
    [`quay.io/${'a'.repeat(2000)}`, 'reference is too long'],
  ])('%s is rejected: %s', (input, reason) => {
    expect(() => parsePullReference(input)).toThrow(InvalidReferenceError);
    expect(() => parsePullReference(input)).toThrow(reason);
  });

  it('rejects pathological inputs without catastrophic backtracking', () => {
    // A backtracking regex would take minutes on these; the rewritten grammar is linear.
    for (const input of [`quay.io/${'a-'.repeat(120)}!`, `${'a.'.repeat(200)}/x!`, `quay.io/${'a__'.repeat(80)}_`]) {
      expect(() => parsePullReference(input)).toThrow(InvalidReferenceError);
    }
  });

  it('names the part that was wrong', () => {
    const err = (() => {
      try {
        parseDigest('sha256:zz');
      } catch (e) {
        return e as InvalidReferenceError;
      }
      return undefined;
    })();
    expect(err?.part).toBe('digest');
  });
});

describe('parseNormalized / parseCanonical', () => {
  it('keeps the host case and has no default tag', () => {
    const ref = parseNormalized('Quay.io/x/app');
    expect(referenceName(ref)).toBe('Quay.io/x/app');
    expect(ref.tag).toBeUndefined();
  });

  it.each([
    ['docker.io/library/busybox', true],
    ['docker.io/busybox', false],
    ['index.docker.io/library/busybox', false],
    ['mirror/ns/app', false],
    ['mirror.local/ns/app', true],
    [`mirror.local:443/a/b@${D}`, true],
  ])('%s canonical: %s', (input, canonical) => {
    if (canonical) expect(referenceString(parseCanonical(input))).toBe(input);
    else expect(() => parseCanonical(input)).toThrow('repository name must be canonical');
  });
});

describe('short names', () => {
  it.each([
    ['busybox', true],
    ['library/busybox', true],
    ['quay.io/busybox', false],
    ['localhost/busybox', false],
    ['host:5000/busybox', false],
  ])('%s is short: %s', (input, short) => {
    expect(isShortName(input)).toBe(short);
  });

  it('expands through the search registries in order', () => {
    expect(expandShortName('busybox:1', ['registry.access.redhat.com', 'docker.io', 'quay.io'])).toEqual([
      'registry.access.redhat.com/busybox:1',
      'docker.io/library/busybox:1',
      'quay.io/busybox:1',
    ]);
  });
});
