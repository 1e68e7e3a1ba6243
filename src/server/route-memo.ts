// The routes a listener has already parsed. Registry clients ask for the
// same few targets over and over (every node of a cluster checks the same
// tags), and parsing one (the name, reference and host grammars, the
// registry split) was a measurable part of a cached manifest request
// (issue 11). parseRoute is pure and a listener's route options never change
// (they are read once from the settings, like the aliases), so the route of
// a read target is the same for the listener's whole life. Only manifest
// routes parseRoute accepted for GET or HEAD are kept (they do not depend on
// which of the two): a refused target is parsed, and refused, every time, and
// blob targets, each asked for about once per node, would only push the
// manifests out. Targets are client-chosen: what is kept is bounded in count
// and in length, like ./host-memo.ts: keys of at most MAX_TARGET_CHARS, and
// routes made of parts of them (a few KB each at most, a few MB in all).
// Those parts are substrings of the whole request target (query included), so
// key and route are kept as flat copies (./flat-copy.ts): a slice would keep
// its whole target alive, up to 16 KiB an entry (red team).
import { parseRoute, type Route, type RouteOptions } from '../core/oci/route.js';
import { flatCopy } from './flat-copy.js';

const MAX_ROUTES = 1024;

/**
 * Above any real image's target: `/v2/`, a host with its port (259), a
 * 255-character name, `/manifests/` and a sha512 digest (135), and an `ns`
 * query naming the host again.
 */
export const MAX_TARGET_CHARS = 1024;

export class RouteMemo {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly options: RouteOptions) {}

  /** parseRoute's answer for this target: the same route object, or the same error, as a fresh parse. */
  route(method: string, pathname: string, query: URLSearchParams): Route {
    if (method !== 'GET' && method !== 'HEAD') return parseRoute(method, pathname, query, this.options);
    // A pathname never holds a raw `?` (a URL's path ends there, and plain targets have none), so the key is unambiguous.
    const ns = query.get('ns');
    const key = ns === null ? pathname : `${pathname}?ns=${ns}`;
    const known = this.routes.get(key);
    if (known !== undefined) return known;
    const route = parseRoute(method, pathname, query, this.options);
    if (route.kind !== 'manifests' || key.length > MAX_TARGET_CHARS) return route;
    const kept = flatRoute(route);
    const keptKey = flatCopy(key);
    if (kept === undefined || keptKey === undefined) return route;
    if (this.routes.size >= MAX_ROUTES) this.routes.clear();
    this.routes.set(keptKey, kept);
    return kept;
  }

  get size(): number {
    return this.routes.size;
  }
}

/** The route with every string field a flat copy, or undefined when one cannot be copied exactly. */
function flatRoute(route: Route): Route | undefined {
  const fields: [string, unknown][] = [];
  for (const [name, value] of Object.entries(route)) {
    if (typeof value !== 'string') {
      fields.push([name, value]);
      continue;
    }
    const copy = flatCopy(value);
    if (copy === undefined) return undefined;
    fields.push([name, copy]);
  }
  return Object.fromEntries(fields) as Route;
}
