import { describe, expect, it } from 'vitest';
import { OCI_ERRORS, OciError } from '../../../src/core/oci/errors.js';
import { parseRoute, type Route } from '../../../src/core/oci/route.js';
import { contentRange, parseContentRange, parseRange, resolveRange } from '../../../src/core/oci/range.js';
import { parseChallenges } from '../../../src/core/oci/challenge.js';
import { acceptedTypes } from '../../../src/core/oci/accept.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const options = { defaultRegistry: 'docker.io', aliases: new Map([['reg5000', 'registry.local:5000']]) };
const route = (method: string, url: string): Route => {
  const u = new URL(url, 'http://proxy');
  return parseRoute(method, u.pathname, u.searchParams, options);
};
const failure = (method: string, url: string): [string, number] => {
  try {
    route(method, url);
  } catch (err) {
    return [(err as OciError).code, (err as OciError).status];
  }
  return ['none', 0];
};

describe('OCI error catalogue', () => {
  it('declares every code once with a status, and renders the envelope', () => {
    expect(Object.keys(OCI_ERRORS)).toHaveLength(21);
    for (const [code, { status }] of Object.entries(OCI_ERRORS)) expect(new OciError(code as keyof typeof OCI_ERRORS).status).toBe(status);
    expect(new OciError('BLOB_UNKNOWN', 'no such blob', { digest: D }).body()).toBe(`{"errors":[{"code":"BLOB_UNKNOWN","message":"no such blob","detail":{"digest":"${D}"}}]}`);
  });
});

describe('parseRoute', () => {
  it.each([
    ['GET', '/v2/', { kind: 'ping' }],
    ['HEAD', '/v2', { kind: 'ping' }],
    ['GET', '/v2/quay.io/libpod/busybox/manifests/latest', { kind: 'manifests', registry: 'quay.io', repository: 'libpod/busybox', reference: 'latest', clientPrefix: '' }],
    ['GET', '/v2/libpod/busybox/manifests/latest?ns=quay.io', { kind: 'manifests', registry: 'quay.io', repository: 'libpod/busybox', ns: 'quay.io' }],
    ['HEAD', '/quay.io/v2/libpod/busybox/manifests/latest?ns=quay.io', { kind: 'manifests', registry: 'quay.io', repository: 'libpod/busybox', ns: 'quay.io', clientPrefix: 'quay.io' }],
    ['GET', '/v2/quay.io/libpod/busybox/manifests/latest?ns=quay.io', { registry: 'quay.io', repository: 'libpod/busybox', ns: 'quay.io' }],
    ['GET', '/quay.io/v2/libpod/busybox/manifests/latest', { registry: 'quay.io', repository: 'libpod/busybox', clientPrefix: 'quay.io' }],
    ['GET', '/v2/library/busybox/manifests/latest', { registry: 'docker.io', repository: 'library/busybox' }],
    ['GET', '/v2/busybox/manifests/latest', { registry: 'docker.io', repository: 'busybox' }],
    ['GET', '/v2/library/busybox/manifests/latest?ns=docker.io', { registry: 'docker.io', repository: 'library/busybox', ns: 'docker.io' }],
    ['GET', '/v2/reg5000/ns/app/blobs/' + D, { kind: 'blobs', registry: 'registry.local:5000', repository: 'ns/app', reference: D }],
    ['GET', '/v2/app/manifests/v1?ns=registry.local:5000', { registry: 'registry.local:5000', repository: 'app', ns: 'registry.local:5000' }],
    ['GET', '/v2/localhost/app/tags/list', { kind: 'tags', registry: 'localhost', repository: 'app' }],
    ['GET', `/v2/quay.io/a/referrers/${D}`, { kind: 'referrers', registry: 'quay.io', repository: 'a', reference: D }],
    ['PUT', '/v2/quay.io/a/manifests/latest', { kind: 'unsupported' }],
    ['DELETE', `/v2/quay.io/a/blobs/${D}`, { kind: 'unsupported' }],
    ['POST', '/v2/quay.io/a/blobs/uploads/', { kind: 'unsupported' }],
    ['GET', '/v2/quay.io/a/blobs/uploads/1234', { kind: 'unsupported' }],
    ['PATCH', '/v2/', { kind: 'unsupported' }],
  ])('%s %s', (method, url, expected) => {
    expect(route(method, url)).toMatchObject(expected);
  });

  // Host names are case-insensitive (RFC 4343): every later decision sees the lower-case form.
  it.each([
    ['/v2/libpod/busybox/manifests/latest?ns=QUAY.IO', { registry: 'quay.io', repository: 'libpod/busybox', ns: 'QUAY.IO' }],
    ['/v2/app/manifests/v1?ns=LOCALHOST:5000', { registry: 'localhost:5000', repository: 'app' }],
    ['/v2/Quay.Io/libpod/busybox/manifests/latest', { registry: 'quay.io', repository: 'libpod/busybox' }],
    ['/QUAY.IO/v2/libpod/busybox/manifests/latest', { registry: 'quay.io', repository: 'libpod/busybox', clientPrefix: 'QUAY.IO' }],
    ['/v2/LOCALHOST/app/tags/list', { registry: 'localhost', repository: 'app' }],
    ['/v2/REG5000/ns/app/manifests/v1', { registry: 'registry.local:5000', repository: 'ns/app' }],
  ])('GET %s names the registry in lower case', (url, expected) => {
    expect(route('GET', url)).toMatchObject(expected);
  });

  it('lower-cases the default registry and alias targets too', () => {
    const upper = { defaultRegistry: 'Docker.IO', aliases: new Map([['src', 'Registry.Local:5000']]) };
    const at = (url: string) => {
      const u = new URL(url, 'http://proxy');
      return parseRoute('GET', u.pathname, u.searchParams, upper);
    };
    expect(at('/v2/library/busybox/manifests/latest')).toMatchObject({ registry: 'docker.io', qualified: false });
    expect(at('/v2/src/ns/app/manifests/v1')).toMatchObject({ registry: 'registry.local:5000', repository: 'ns/app' });
  });

  // The connection writes these hosts another way (WHATWG URL), so rules written for that form would not
  // judge them (src/core/reference/host-form.ts): refused at the route, naming the form to write.
  it.each([
    ['/v2/x/app/manifests/v1?ns=quay.io:443', '"quay.io"'],
    ['/v2/quay.io:443/x/app/manifests/v1', '"quay.io"'],
    ['/QUAY.IO:443/v2/x/app/manifests/v1', '"quay.io"'],
    ['/v2/x/app/manifests/v1?ns=registry.local:80', '"registry.local"'],
    ['/v2/x/app/manifests/v1?ns=registry.local:05000', '"registry.local:5000"'],
    ['/v2/127.1:5000/x/app/manifests/v1', '"127.0.0.1:5000"'],
    ['/v2/x/app/manifests/v1?ns=10.1.2:5000', '"10.1.0.2:5000"'],
    ['/v2/x/app/manifests/v1?ns=0x0a.0.0.1', '"10.0.0.1"'],
    ['/v2/x/app/manifests/v1?ns=999.0.0.1', 'not a host a URL accepts'],
  ])('GET %s is refused with NAME_INVALID naming %s', (url, named) => {
    expect(() => route('GET', url)).toThrow(expect.objectContaining({ code: 'NAME_INVALID', message: expect.stringContaining(named) }));
  });

  it('a refused spelling is refused every time it is asked (canonical hosts are remembered, refusals never)', () => {
    for (let i = 0; i < 3; i++) expect(() => route('GET', '/v2/127.1:5000/x/app/manifests/v1')).toThrow(expect.objectContaining({ code: 'NAME_INVALID' }));
    for (let i = 0; i < 3; i++) expect(route('GET', '/v2/QUAY.io/x/app/manifests/v1')).toMatchObject({ registry: 'quay.io' });
  });

  it('a numeric Docker Hub namespace is a repository, not a host to judge', () => {
    expect(route('GET', '/v2/1234/app/manifests/v1')).toMatchObject({ registry: 'docker.io', repository: '1234/app' });
    expect(route('GET', '/v2/0x7f/app/manifests/v1')).toMatchObject({ registry: 'docker.io', repository: '0x7f/app' });
  });

  it('an alias whose target the connection writes another way is refused as that target', () => {
    const odd = { defaultRegistry: 'docker.io', aliases: new Map([['src', 'registry.local:443']]) };
    expect(() => parseRoute('GET', '/v2/src/ns/app/manifests/v1', new URLSearchParams(), odd)).toThrow(expect.objectContaining({ code: 'NAME_INVALID' }));
  });

  it.each([
    ['GET', '/v2/quay.io/Upper/manifests/latest', 'NAME_INVALID', 400],
    ['GET', '/v2/quay.io/a//b/manifests/latest', 'NAME_INVALID', 400],
    ['GET', '/v2/a/manifests/latest?ns=bad_host!', 'NAME_INVALID', 400],
    ['GET', '/v2/quay.io/a/manifests/.INVALID_MANIFEST_NAME', 'MANIFEST_UNKNOWN', 404],
    ['GET', '/v2/quay.io/a/manifests/sha256:totallywrong', 'DIGEST_INVALID', 400],
    ['GET', '/v2/quay.io/a/blobs/latest', 'DIGEST_INVALID', 400],
    ['GET', '/v2/quay.io/a/referrers/latest', 'DIGEST_INVALID', 400],
    ['GET', '/v2/quay.io/a/whatever', 'NAME_UNKNOWN', 404],
    ['GET', '/metrics-not-here', 'NAME_UNKNOWN', 404],
    ['GET', '/notahost/v2/a/manifests/x', 'NAME_UNKNOWN', 404],
  ])('%s %s -> %s %i', (method, url, code, status) => {
    expect(failure(method, url)).toEqual([code, status]);
  });
});

describe('Range', () => {
  it.each([
    [undefined, { kind: 'none' }],
    ['bytes=500-1499', { kind: 'single', start: 500, end: 1499 }],
    ['bytes=500-', { kind: 'single', start: 500 }],
    ['bytes=-500', { kind: 'suffix', length: 500 }],
    ['bytes=0-1, 5-9, 20-', { kind: 'multi', count: 3 }],
    ['items=0-1', { kind: 'ignored' }],
    ['bytes=abc', { kind: 'ignored' }],
    ['bytes=-', { kind: 'ignored' }],
    // last < first is syntactically invalid: the header is ignored (RFC 9110 §14.1.1).
    ['bytes=500-0', { kind: 'ignored' }],
    ['bytes=1e+23-', { kind: 'ignored' }],
  ])('%s', (header, expected) => {
    expect(parseRange(header)).toEqual(expected);
  });

  it.each([
    ['bytes=500-1499', 2048, 'bytes 500-1499/2048'],
    ['bytes=500-', 2048, 'bytes 500-2047/2048'],
    ['bytes=-500', 2048, 'bytes 1548-2047/2048'],
    ['bytes=-5000', 2048, 'bytes 0-2047/2048'],
    ['bytes=2000-5000', 2048, 'bytes 2000-2047/2048'],
    ['bytes=5000-10000', 2048, undefined],
    ['bytes=-0', 2048, undefined],
  ])('%s of %i -> %s', (header, size, expected) => {
    const span = resolveRange(parseRange(header), size);
    expect(span && contentRange(span, size)).toBe(expected);
  });

  it('parses upstream Content-Range', () => {
    expect(parseContentRange('bytes 10-19/100')).toEqual({ start: 10, end: 19, size: 100 });
    expect(parseContentRange('bytes 10-19/*')).toEqual({ start: 10, end: 19 });
    expect(parseContentRange('bytes */100')).toBeUndefined();
    // Found by the fuzz test: numbers past 2^53 cannot be compared exactly, so the answer is unusable.
    expect(parseContentRange('bytes 0-0/99999999999999999999')).toBeUndefined();
    expect(parseContentRange('bytes 99999999999999999999-0/1')).toBeUndefined();
  });
});

describe('challenges and Accept', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    expect(parseChallenges(['Basic realm="r \\"q\\""', 'Bearer realm=x'])).toEqual([
      { scheme: 'basic', params: { realm: 'r "q"' } },
      { scheme: 'bearer', params: { realm: 'x' } },
    ]);
    expect(parseChallenges(undefined)).toEqual([]);
  });

  it('negotiates repeated lines and q-values identically', () => {
    const a = acceptedTypes(['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json;q=0.9']);
    const b = acceptedTypes('application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json; q=0.9');
    expect(a).toEqual(b);
  });
});

describe('parseRoute with known hosts (the caller keeps the memo: core holds no state)', () => {
  const recording = () => {
    const remembered: [string, string][] = [];
    const known = { get: (s: string) => (s === 'memo.example' ? 'from-memo.example' : undefined), remember: (s: string, h: string) => void remembered.push([s, h]) };
    const parse = (url: string) => {
      const u = new URL(url, 'http://proxy');
      return parseRoute('GET', u.pathname, u.searchParams, { ...options, knownHosts: known });
    };
    return { remembered, parse };
  };

  it('tells the memo the spelling of an accepted route, and takes a remembered one without checking it again', () => {
    const { remembered, parse } = recording();
    expect(parse('/v2/QUAY.IO/libpod/busybox/manifests/latest')).toMatchObject({ registry: 'quay.io' });
    expect(parse('/v2/memo.example/a/manifests/latest')).toMatchObject({ registry: 'from-memo.example' });
    expect(remembered).toEqual([['quay.io', 'quay.io'], ['memo.example', 'from-memo.example']]);
  });

  it.each([
    ['a refused repository name', '/v2/quay.io/Bad_Name!/manifests/latest'],
    ['a refused reference', '/v2/quay.io/libpod/busybox/manifests/bad:tag!'],
    ['a refused host spelling', '/v2/a/manifests/latest?ns=127.1'],
  ])('remembers nothing of a route refused for %s', (_why, url) => {
    const { remembered, parse } = recording();
    expect(() => parse(url)).toThrow(OciError);
    expect(remembered).toEqual([]);
  });
});
