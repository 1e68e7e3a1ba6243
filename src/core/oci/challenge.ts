// WWW-Authenticate challenges (RFC 7235 / RFC 6750) as registries send them:
// `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`
// (distribution docs/content/spec/auth/token.md).

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const PARAM_RE = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;

/** One challenge per header line (Node gives repeated lines as an array). */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  const lines = header === undefined ? [] : typeof header === 'string' ? [header] : header;
  return lines.flatMap((line) => {
    const m = /^\s*([A-Za-z][\w-]*)(?:\s+(.*))?$/s.exec(line);
    if (!m?.[1]) return [];
    const params: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(PARAM_RE)) params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    return [{ scheme: m[1].toLowerCase(), params }];
  });
}

/** The scope that pulling `repository` needs (distribution auth/scope.md). */
export const pullScope = (repository: string): string => `repository:${repository}:pull`;
