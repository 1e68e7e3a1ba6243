// Static bearer tokens from a file named in the settings, re-read when the
// file changes. Format, one token a line (`#` starts a comment line):
//
//   <token> <role> [name]
//
// role is `read-write` or `read-only`; name labels the token in logs (the
// default is `line N`). A token is at least 16 characters with no whitespace.
//
// Only SHA-256 hashes of the tokens are kept in memory; a presented token is
// hashed and compared with every entry by crypto.timingSafeEqual, so neither
// the match nor its position leaks through timing. No token ever reaches a
// log or an error message: problems name the line, never its content.
//
// The file is re-read when it changes (watched-file.ts); while a changed file
// fails to load, no token from it is accepted.
import { createHash, timingSafeEqual } from 'node:crypto';
import { SecretFileError, WatchedFile, type FileEvents } from './watched-file.js';

const TOKEN_ROLES = ['read-write', 'read-only'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** Who a valid token belongs to. */
export interface TokenIdentity {
  readonly name: string;
  readonly role: TokenRole;
}

interface Entry extends TokenIdentity {
  readonly hash: Buffer;
}

const MIN_TOKEN_LENGTH = 16;

/** A token file's problems, each by line number. */
export { SecretFileError as TokenFileError };

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Parses the file's text; every problem is reported at once, by line number only. */
export function parseTokenFile(text: string, file: string): Entry[] {
  const entries: Entry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${index + 1}`;
    const [token = '', role = '', ...rest] = line.split(/\s+/);
    const name = rest.join(' ') || where;
    if (token.length < MIN_TOKEN_LENGTH) problems.push(`${where}: token shorter than ${MIN_TOKEN_LENGTH} characters`);
    else if (!(TOKEN_ROLES as readonly string[]).includes(role)) problems.push(`${where}: second field must be the role, ${TOKEN_ROLES.join(' or ')}`); // not echoed: it may be a misplaced token
    else {
      const hash = sha256(token);
      if (seen.has(hash.toString('hex'))) problems.push(`${where}: token repeats an earlier line`);
      seen.add(hash.toString('hex'));
      entries.push({ hash, role: role as TokenRole, name });
    }
  });
  if (problems.length > 0) throw new SecretFileError(file, problems);
  return entries;
}

/** The first matching entry, after comparing with all of them in constant time. */
function match(entries: readonly Entry[], token: string): TokenIdentity | undefined {
  const presented = sha256(token);
  let found: Entry | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(entry.hash, presented) && !found) found = entry;
  }
  return found && { name: found.name, role: found.role };
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 9110 §11.1). */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^bearer +(\S+) *$/i.exec(authorization ?? '');
  return m?.[1];
}

/** Read-only tokens may read (GET/HEAD: get, list, watch); anything else needs read-write. */
export function roleAllows(role: TokenRole, method: string): boolean {
  return role === 'read-write' || method === 'GET' || method === 'HEAD';
}

/** Told when a changed file fails to load (no token is accepted until it loads again), and when it loads again. */
export type TokenFileOptions = FileEvents;

/** A token file kept current: `check` re-reads it when it changed on disk. */
export class TokenFile {
  private constructor(private readonly watched: WatchedFile<readonly Entry[]>) {}

  /** Loads the file; throws TokenFileError when it cannot be read or is invalid, so start-up fails. */
  static async open(file: string, options: TokenFileOptions = {}): Promise<TokenFile> {
    return new TokenFile(await WatchedFile.open(file, parseTokenFile, options));
  }

  /** Why the file fails to load now (no token accepted), or undefined. */
  problems(): Promise<readonly string[] | undefined> {
    return this.watched.problems();
  }

  /** The identity a presented token belongs to, or undefined; the file is re-read first if it changed. */
  async check(token: string | undefined): Promise<TokenIdentity | undefined> {
    const entries = await this.watched.current();
    // A file that fails to load accepts no token (fail closed: see watched-file.ts).
    return token === undefined || token === '' || entries === undefined ? undefined : match(entries, token);
  }
}

/** A request's verdict: the caller answers 401 (with a challenge) or 403, or goes on as `identity`. */
export type TokenVerdict = { readonly ok: true; readonly identity: TokenIdentity } | { readonly ok: false; readonly status: 401 | 403 };

/** Checks `Authorization: Bearer …` and the role against the method (read-only: GET and HEAD only). */
export async function authorizeBearer(tokens: TokenFile, authorization: string | undefined, method: string): Promise<TokenVerdict> {
  const identity = await tokens.check(bearerToken(authorization));
  if (!identity) return { ok: false, status: 401 };
  return roleAllows(identity.role, method) ? { ok: true, identity } : { ok: false, status: 403 };
}
