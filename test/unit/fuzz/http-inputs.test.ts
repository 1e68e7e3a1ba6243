// Property tests for what clients and upstreams send in requests and
// headers: routes, Range, Content-Range and Accept.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedTypes } from '../../../src/core/oci/accept.js';
import { OciError } from '../../../src/core/oci/errors.js';
import { parseNextLink } from '../../../src/core/oci/link.js';
import { parseContentRange, parseRange, resolveRange } from '../../../src/core/oci/range.js';
import { parseRoute } from '../../../src/core/oci/route.js';
import { requestUrl } from '../../../src/server/guard.js';
import { NAME } from '../../../src/core/reference/grammar.js';
import { HEX64, RUNS, joined, textOver, typedOnly } from './arbitraries.js';

const options = { defaultRegistry: 'docker.io', aliases: new Map([['src', 'registry.example.com:5000']]) };
const NAME_RE = new RegExp(`^${NAME}$`);

describe('fuzz: routes', () => {
  const component = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('ns', 'app', 'quay.io') }, fc.constantFrom('quay.io', 'src', 'ns', 'app', 'localhost', 'v2', 'a.b', 'UP', '..', '', 'x__y', 'a--b'), textOver('abz09.-_:%', 12));
  const structured = fc
    .tuple(fc.constantFrom('', '/quay.io', '/src', '/bad prefix'), fc.array(component, { minLength: 1, maxLength: 5 }), fc.constantFrom('manifests/v1', `manifests/sha256:${HEX64}`, `blobs/sha256:${HEX64}`, 'blobs/v1', 'tags/list', `referrers/sha256:${HEX64}`, 'blobs/uploads/', 'manifests/'), fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: textOver('ab09:.', 8) }))
    .map(([prefix, parts, resource, tail]) => `${prefix}/v2/${parts.join('/')}/${resource}${tail}`);
  const pathLike = fc.oneof(
    structured,
    joined(['/', 'v2', '/v2/', 'quay.io', 'src', 'ns', 'app', 'manifests', 'blobs', 'tags', 'list', 'referrers', 'uploads', `sha256:${HEX64}`, 'v1', '..', '%2F', ':', '@', 'UPPER']),
    textOver('/v2abcmnfstlu.:@%-_'),
  );
  const method = fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'get', '');
  const query = fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }).map((ns) => `ns=${encodeURIComponent(ns)}`), joined(['ns=', 'quay.io', ':5000', '&', 'ns=', 'x']));

  it('parseRoute returns a route with a valid repository, or throws OciError', () => {
    let resources = 0;
    fc.assert(
      fc.property(method, pathLike, query, (m, path, q) => {
        const route = typedOnly(() => parseRoute(m, path, new URLSearchParams(q), options), OciError);
        if (route === undefined || route.kind === 'ping' || route.kind === 'unsupported') return;
        resources++;
        if (!NAME_RE.test(route.repository)) throw new Error(`${m} ${path}?${q} -> repository ${route.repository}`);
        if (m !== 'GET' && m !== 'HEAD') throw new Error(`${m} routed to ${route.kind}`);
      }),
      { numRuns: 1000 },
    );
    expect(resources).toBeGreaterThan(0);
  });
});

describe('fuzz: Range', () => {
  const rangeLike = fc.oneof(
    joined(['bytes', '=', ' ', '0', '5', '-', ',', '999999999999999999999', '1e+23', 'BYTES', 'items', '-0', '18446744073709551616']),
    textOver('bytes=0123456789-, '),
    fc.string({ maxLength: 60 }),
  );

  it('parseRange never throws; a resolved span lies inside the blob', () => {
    fc.assert(
      fc.property(rangeLike, fc.nat({ max: 1 << 20 }), (header, size) => {
        const spec = parseRange(header);
        if (spec.kind !== 'single' && spec.kind !== 'suffix') return;
        const span = resolveRange(spec, size);
        if (span === undefined) return;
        const ok = Number.isSafeInteger(span.start) && Number.isSafeInteger(span.end) && span.start >= 0 && span.start <= span.end && span.end < size;
        if (!ok) throw new Error(`${header} on ${size} bytes -> ${JSON.stringify(span)}`);
      }),
      RUNS,
    );
  });

  it('parseContentRange yields safe integers or nothing', () => {
    fc.assert(
      fc.property(fc.oneof(joined(['bytes ', '0', '-', '9', '/', '*', '99999999999999999999', ' ']), fc.string({ maxLength: 40 })), (header) => {
        const r = parseContentRange(header);
        if (r && ![r.start, r.end, r.size ?? 0].every(Number.isSafeInteger)) throw new Error(`${header} -> ${JSON.stringify(r)}`);
      }),
      RUNS,
    );
  });
});

describe('fuzz: Accept', () => {
  it('acceptedTypes lists lowercase media types without separators', () => {
    const header = fc.oneof(textOver('application/vnd.oci+json;q=0.5, *'), fc.string({ maxLength: 80 }));
    fc.assert(
      fc.property(fc.oneof(header, fc.array(header, { maxLength: 4 })), (h) => {
        for (const t of acceptedTypes(h)) {
          if (t === '' || t !== t.toLowerCase() || /[,;]/.test(t) || t !== t.trim()) throw new Error(`${JSON.stringify(h)} -> ${JSON.stringify(t)}`);
        }
      }),
      RUNS,
    );
  });
});

describe('fuzz: Link of a tag list', () => {
  it('parseNextLink never throws and gives the last tag of a next page, or nothing', () => {
    const link = fc.oneof(joined(['<', '>', '/v2/ns/app/tags/list', '?', 'last=', 'v1', '&', 'n=', '5', '; rel="next"', ';rel=next', 'http://[', '%zz', ' ', '#']), fc.string({ maxLength: 80 }));
    fc.assert(
      fc.property(link, (l) => {
        const next = parseNextLink(l);
        if (next !== undefined && typeof next.last !== 'string') throw new Error(`${l} -> ${JSON.stringify(next)}`);
      }),
      RUNS,
    );
    expect(parseNextLink('<http://[/v2/x/tags/list?last=a>; rel="next"')).toBeUndefined();
    expect(parseNextLink('</v2/x/tags/list?last=a&n=2>; rel="next"')).toEqual({ last: 'a', n: '2' });
  });
});

describe('fuzz: request targets', () => {
  // What URL makes of a target, as the request wrapper reads it: an origin-form target (`/...`) as a path after the origin.
  const viaUrl = (target: string) => {
    try {
      const url = target.startsWith('/') ? new URL(`http://client${target}`) : new URL(target, 'http://client');
      return { pathname: url.pathname, query: url.searchParams.toString() };
    } catch {
      return undefined;
    }
  };
  // Paths of segments, where URL's normalisation lives: dot segments, encoded dots, empty segments.
  const segment = fc.oneof(fc.constantFrom('', '.', '..', '%2e', '%2E', '.%2e', '%2e.', '%2e%2e', 'v2', 'ns', 'a:b', '@', "'x'", '~', 'a%2fb', '%00', 'é'), textOver('.%2eE:@~-_!$&*+,;=ab', 6));
  const segmented = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => `/${parts.join('/')}`);
  const target = fc.oneof(
    segmented,
    joined(['/', '//', 'v2', '/v2/', 'quay.io', 'ns', 'app', 'manifests', 'v1', '.', '..', '%2e', '%2E.', '\\', '?', '#', 'ns=x', ' ', '\t', '\n', '@', ':', ';', '~', '!', "'", '(', ')', '*', '+', ',', '=', '$', '&', '"', '<', '>', '`', '{', '}', '|', '^', '[', ']', 'é', '\u0000', '\u007f']),
    textOver('/v2.:@%?#\\ab~-_!$&\'()*+,;=', 30),
    fc.string({ maxLength: 30 }).map((t) => `/${t}`),
  );

  it('a target read without URL reads as URL reads it', () => {
    fc.assert(
      fc.property(target, (t) => {
        const read = requestUrl(t);
        expect(read && { pathname: read.pathname, query: read.searchParams.toString() }).toEqual(viaUrl(t));
      }),
      { numRuns: 3000 },
    );
  });

  it.each(['/v2/src/ns/app/manifests/v1', '/v2/', `/v2/quay.io/a/b/blobs/sha256:${HEX64}`])('%s is a plain path', (t) => {
    expect(requestUrl(t)?.pathname).toBe(t);
  });

  it.each(['//evil/v2/x/manifests/y', '/\\evil/v2/x/manifests/y', '//x:99999/'])('%s is a path, never an authority (RFC 9112 §3.2.1)', (t) => {
    expect(requestUrl(t)?.pathname).toBe(t.replace('\\', '/'));
  });
});
