// WWW-Authenticate challenges (RFC 9110 §11.6.1, RFC 6750) as registries send
// them: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`
// (distribution docs/content/spec/auth/token.md). The header is hostile input:
// one left-to-right pass (no backtracking regular expression), several
// challenges per header, quoted-string escapes, and caps on the header size,
// the challenges and the parameters kept.

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Headers longer than this are not parsed at all: no registry needs more. */
export const MAX_CHALLENGE_HEADER = 16 * 1024;
const MAX_CHALLENGES = 16;
const MAX_PARAMS = 32;

// tchar (RFC 9110 §5.6.2).
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;
const isTchar = (s: string, i: number) => i < s.length && TCHAR[s.charCodeAt(i)] === 1;
// Character codes: indexing a string makes a one-character string per step, charCodeAt does not.
const SP = 32;
const HTAB = 9;
const COMMA = 44;
const EQUALS = 61;
const DQUOTE = 34;
const BACKSLASH = 92;
const isOws = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c === SP || c === HTAB;
};

class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  skipOws(): void {
    while (isOws(this.s, this.i)) this.i++;
  }

  token(): string {
    const start = this.i;
    while (isTchar(this.s, this.i)) this.i++;
    return this.s.slice(start, this.i);
  }

  /** The content of a quoted-string starting at `"`, or undefined when it never ends. */
  quoted(): string | undefined {
    const parts: string[] = [];
    let start = ++this.i;
    for (; this.i < this.s.length; this.i++) {
      const c = this.s.charCodeAt(this.i);
      if (c === DQUOTE) {
        parts.push(this.s.slice(start, this.i++));
        return parts.join('');
      }
      if (c === BACKSLASH) {
        parts.push(this.s.slice(start, this.i));
        start = ++this.i; // the escaped character is kept as it is
      }
    }
    return undefined;
  }

  /** Skips to the next list separator, after something unreadable. */
  skipElement(): void {
    while (this.i < this.s.length && this.s.charCodeAt(this.i) !== COMMA) this.i++;
  }
}

/** Every challenge of the header (Node gives repeated lines as an array), in order. */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  const text = header === undefined ? '' : typeof header === 'string' ? header : header.join(', ');
  if (text.length > MAX_CHALLENGE_HEADER) return [];
  const scan = new Scanner(text);
  const out: { scheme: string; params: Record<string, string>; count: number }[] = [];
  while (scan.i < text.length && out.length <= MAX_CHALLENGES) {
    while (isOws(text, scan.i) || text.charCodeAt(scan.i) === COMMA) scan.i++;
    if (scan.i >= text.length) break;
    const name = scan.token();
    if (name === '') {
      scan.i++;
      scan.skipElement();
      continue;
    }
    scan.skipOws();
    const current = out.at(-1);
    if (text.charCodeAt(scan.i) !== EQUALS) {
      out.push({ scheme: name.toLowerCase(), params: Object.create(null) as Record<string, string>, count: 0 });
      continue;
    }
    scan.i++;
    scan.skipOws();
    const value = text.charCodeAt(scan.i) === DQUOTE ? scan.quoted() : scan.token();
    if (value === undefined) break;
    const key = name.toLowerCase();
    // A parameter before any scheme belongs to nothing; a repeated one keeps its first value.
    if (current && current.count < MAX_PARAMS && !(key in current.params)) {
      current.params[key] = value;
      current.count++;
    }
  }
  return out.slice(0, MAX_CHALLENGES).map(({ scheme, params }) => ({ scheme, params: { ...params } }));
}

/** The scope that pulling `repository` needs (distribution auth/scope.md). */
export const pullScope = (repository: string): string => `repository:${repository}:pull`;
