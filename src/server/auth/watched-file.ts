// A parsed file kept current by a stat on use: each read compares the file's
// identity (inode, size, mtime, ctime) with the loaded one and re-reads only
// when it moved. This follows Kubernetes Secret volumes, whose updates swap a
// symlink (fs.watch on the old inode would miss them).
//
// A file that fails to load after a change (unreadable, deleted, one bad
// line) fails closed: it has no content in force -- every credential it held
// is refused -- until it loads again, and the problem is reported once. Unlike
// a failed rules reload, keeping the last good content would fail open: a
// leaked token removed from the file in the same edit as a typo on another
// line, or a file deleted to revoke everything, would stay accepted; a
// revocation must not depend on the rest of the file being valid. A file that
// never loaded is a start-up error. Problems name lines, never content: these
// files hold secrets. A failing file is also told apart from a good one
// (`problems`) so /readyz and a metric can say so, and its recovery is told
// once, like its failure.
//
// A parse error belongs to the bytes: it is remembered by the file's identity
// and not re-read until the file moves. An I/O error (EMFILE or ENFILE in a
// connection burst, EIO, ENOMEM) says nothing about the bytes: the next use
// reads again (one re-read at a time, shared by concurrent callers), or a
// burst during a password change would refuse everyone until the next edit
// (red-team finding).
import { readFile, stat } from 'node:fs/promises';

export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export type Parse<T> = (text: string, file: string) => T;

/** The file-system calls a load makes (tests give ones that fail). */
export interface FileIo {
  readonly stat: (file: string) => Promise<{ ino: number; size: number; mtimeMs: number; ctimeMs: number }>;
  readonly readFile: (file: string, encoding: 'utf8') => Promise<string>;
}

const FS: FileIo = { stat, readFile };

/** Told when a changed file fails to load (once per failure), and when it loads again after failing. */
export interface FileEvents {
  readonly onProblem?: (error: SecretFileError) => void;
  readonly onRecovered?: (file: string) => void;
}

export class WatchedFile<T> {
  /** Undefined while the file fails to load. */
  private value: T | undefined;
  private identity = '';
  /** The last problem reported, so a broken file is reported once, not on every request. */
  private problem = '';
  /** Why the file fails to load now; undefined while its content is in force. */
  private failure: SecretFileError | undefined;
  private pending: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private readonly parse: Parse<T>,
    private readonly events: FileEvents,
    private readonly io: FileIo,
  ) {}

  /** Loads the file; throws SecretFileError when it cannot be read or is invalid. */
  static async open<T>(file: string, parse: Parse<T>, events: FileEvents = {}, io: FileIo = FS): Promise<WatchedFile<T>> {
    const watched = new WatchedFile(file, parse, events, io);
    await watched.reload(true);
    return watched;
  }

  /** Why the file fails to load (by line, never content), re-read first if it changed; undefined when it loads. */
  async problems(): Promise<readonly string[] | undefined> {
    await this.current();
    return this.failure?.problems;
  }

  /**
   * The content in force, re-read first if the file changed; concurrent callers share one
   * re-read. Undefined while the file fails to load: the caller accepts no credential then.
   */
  async current(): Promise<T | undefined> {
    this.pending ??= this.reload(false).finally(() => {
      this.pending = undefined;
    });
    await this.pending;
    return this.value;
  }

  private async reload(initial: boolean): Promise<void> {
    let identity = '';
    try {
      const s = await this.io.stat(this.file);
      identity = `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
      if (identity === this.identity || identity === this.problem) return;
      this.value = this.parse(await this.io.readFile(this.file, 'utf8'), this.file);
      this.identity = identity;
      this.problem = '';
      if (this.failure) this.events.onRecovered?.(this.file);
      this.failure = undefined;
    } catch (err) {
      const error = err instanceof SecretFileError ? err : new SecretFileError(this.file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]);
      if (initial) throw error;
      this.value = undefined;
      this.identity = '';
      // Only a parse error pins the identity; an unreadable file is read again on the next use.
      const problem = err instanceof SecretFileError ? identity : `unreadable:${(err as NodeJS.ErrnoException).code}`;
      if (problem === this.problem) return;
      this.problem = problem;
      this.failure = error;
      this.events.onProblem?.(error);
    }
  }
}
