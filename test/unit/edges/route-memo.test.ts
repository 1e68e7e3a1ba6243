// The listener's memo of parsed routes (server/route-memo.ts) against
// client-chosen targets: the same answer as a fresh parse (routes and
// refusals), and bounded in count and in length.
import { describe, expect, it } from 'vitest';
import { OciError } from '../../../src/core/oci/errors.js';
import { parseRoute, type RouteOptions } from '../../../src/core/oci/route.js';
import { MAX_TARGET_CHARS, RouteMemo } from '../../../src/server/route-memo.js';

const options: RouteOptions = { defaultRegistry: 'registry-1.docker.io', aliases: new Map([['src', 'quay.io']]) };
const q = (query = '') => new URLSearchParams(query);

describe('RouteMemo', () => {
  it('answers what parseRoute answers, for GET and HEAD alike, by path and ns', () => {
    const memo = new RouteMemo(options);
    const cases: [string, string, string][] = [
      ['GET', '/v2/quay.io/foo/bar/manifests/1.0', ''],
      ['HEAD', '/v2/quay.io/foo/bar/manifests/1.0', ''],
      ['GET', '/v2/foo/bar/manifests/1.0', 'ns=quay.io'],
      ['GET', '/v2/foo/bar/manifests/1.0', 'ns=ghcr.io'],
      ['GET', '/v2/foo/bar/manifests/1.0', ''],
      ['GET', '/v2/src/app/blobs/sha256:' + 'a'.repeat(64), ''],
      ['GET', '/v2/', ''],
      ['GET', '/v2/x/blobs/uploads/', ''],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [method, path, query] of cases) expect(memo.route(method, path, q(query))).toEqual(parseRoute(method, path, q(query), options));
    }
  });

  it('keeps no refusal: a bad target throws the same error every time, and nothing is kept for it', () => {
    const memo = new RouteMemo(options);
    for (let i = 0; i < 3; i++) {
      expect(() => memo.route('GET', '/v2/quay.io/Foo/manifests/1.0', q())).toThrow(OciError);
      expect(() => memo.route('GET', '/v2/foo/manifests/1.0', q('ns=127.1'))).toThrow(/127\.1/);
    }
    expect(memo.size).toBe(0);
  });

  it('keeps manifest routes only: blob targets, asked for about once each, would push them out', () => {
    const memo = new RouteMemo(options);
    memo.route('GET', '/v2/quay.io/foo/manifests/1.0', q());
    for (let i = 0; i < 2000; i++) memo.route('GET', `/v2/quay.io/foo/blobs/sha256:${i.toString(16).padStart(64, '0')}`, q());
    memo.route('GET', '/v2/', q());
    expect(memo.size).toBe(1);
  });

  it('never answers a write method from a read route', () => {
    const memo = new RouteMemo(options);
    memo.route('GET', '/v2/quay.io/foo/manifests/1.0', q());
    expect(memo.route('PUT', '/v2/quay.io/foo/manifests/1.0', q()).kind).toBe('unsupported');
  });

  it('holds at most 1024 routes, none for a target longer than MAX_TARGET_CHARS', () => {
    const memo = new RouteMemo(options);
    for (let i = 0; i < 5000; i++) memo.route('GET', `/v2/quay.io/r${i}/manifests/1.0`, q());
    expect(memo.size).toBeLessThanOrEqual(1024);
    const fresh = new RouteMemo(options);
    const long = `/v2/quay.io/${'a/'.repeat(MAX_TARGET_CHARS / 2)}x/manifests/1.0`;
    expect(() => fresh.route('GET', long, q())).toThrow(OciError); // a name past 255 characters
    const longNs = `/v2/foo/manifests/1.0`;
    fresh.route('GET', longNs, q(`ns=${'a'.repeat(MAX_TARGET_CHARS)}.io`));
    expect(fresh.size).toBe(0);
  });
});
