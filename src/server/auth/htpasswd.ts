// Users from an Apache htpasswd file (`user:hash` a line, `#` comments),
// bcrypt hashes only (`htpasswd -B`), the format distribution's htpasswd
// auth reads too. Verified with bcryptjs: bcrypt done by hand would be
// a worse idea than the dependency, and bcryptjs has no native build step.
//
// bcrypt costs ~100 ms of CPU at the usual cost 10, and a client pull sends
// one request per manifest and blob, each with the same Basic credentials:
// verdicts are remembered per file load, keyed by a hash of user and
// password (never the password), in two bounded sets, accepted and refused.
// Only a right password adds to the accepted set, so a flood of fresh wrong
// passwords (anyone can send one) turns over the refused set only and cannot
// push a real user back to bcrypt and a full WorkGate (429). An unknown user
// is compared with a dummy hash, so answers do not tell names apart by time.
// New comparisons pass a WorkGate: a flood of fresh wrong passwords gets
// TOOMANYREQUESTS instead of queueing the event loop's CPU without bound.
//
// bcrypt reads only the first 72 bytes of a password, so a longer one would
// be matched by its prefix plus any suffix. Such a password is refused
// outright. That is stricter than distribution, whose htpasswd auth calls
// golang.org/x/crypto's CompareHashAndPassword, which has no length check
// (only GenerateFromPassword refuses over 72 bytes, ErrPasswordTooLong), so
// there the prefix wins; no hash can hold the bytes past 72 anyway.
import { createHash } from 'node:crypto';
import { compare, truncates } from 'bcryptjs';
import { SecretFileError, WatchedFile, type FileEvents } from './watched-file.js';
import { WorkGate } from './work-gate.js';

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
// bcrypt of a random string, cost 10: the same work for an unknown user.
const DUMMY = '$2b$10$3VzrNa2ypyx/HIUy6K.IR.4uTfVOObg9xzL5JwSY333PM4dk5CITC';
const MAX_REMEMBERED = 1024;

interface Users {
  readonly hashes: ReadonlyMap<string, string>;
  /** sha256(user NUL password) of right passwords, oldest first; this load of the file only. */
  readonly accepted: Set<string>;
  /** The same of wrong ones, oldest first. */
  readonly refused: Set<string>;
}

/** Adds `key` to `set`, dropping the oldest past MAX_REMEMBERED. */
function remember(set: Set<string>, key: string): void {
  if (set.size >= MAX_REMEMBERED) set.delete(set.values().next().value as string);
  set.add(key);
}

export function parseHtpasswd(text: string, file: string): Users {
  const hashes = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0) problems.push(`line ${index + 1}: expected user:bcrypt-hash`);
    else if (!BCRYPT.test(hash)) problems.push(`line ${index + 1}: the hash of ${JSON.stringify(user)} is not bcrypt (create it with htpasswd -B)`);
    else if (hashes.has(user)) problems.push(`line ${index + 1}: ${JSON.stringify(user)} repeats an earlier line`);
    else hashes.set(user, hash);
  });
  if (problems.length > 0) throw new SecretFileError(file, problems);
  return { hashes, accepted: new Set(), refused: new Set() };
}

export class Htpasswd {
  private constructor(
    private readonly watched: WatchedFile<Users>,
    private readonly gate: WorkGate,
  ) {}

  static async open(file: string, events: FileEvents = {}, gate = new WorkGate(2, 32)): Promise<Htpasswd> {
    return new Htpasswd(await WatchedFile.open(file, parseHtpasswd, events), gate);
  }

  /** Why the file fails to load now (no password accepted), or undefined. */
  problems(): Promise<readonly string[] | undefined> {
    return this.watched.problems();
  }

  /** Whether `password` is `user`'s; the file is re-read first if it changed. Throws GateFullError under a flood. */
  async verify(user: string, password: string): Promise<boolean> {
    if (truncates(password)) return false;
    const users = await this.watched.current();
    // A file that fails to load accepts no password (fail closed: see watched-file.ts).
    if (users === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}`).digest('base64');
    if (users.accepted.has(key)) return true;
    if (users.refused.has(key)) return false;
    const hash = users.hashes.get(user);
    const ok = (await this.gate.run(() => compare(password, hash ?? DUMMY))) && hash !== undefined;
    remember(ok ? users.accepted : users.refused, key);
    return ok;
  }
}
