// What the disk cache trusts. Whoever can write into the cache tree decides
// what is served under a digest, so every directory of it must be a real
// directory of this user that nobody else may write to (refused at start,
// naming the path). Entries are looked at with lstat and opened with
// O_NOFOLLOW: a symbolic link is never followed, whatever its name. A file is
// used only if it is regular and only this user may change it, and a file
// found at start is hashed before its first use (it may have been written
// while mirrorgate was down).
import { constants, type Stats } from 'node:fs';
import { lstat, open, stat, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';

/** No symbolic link as the last component; no wait on a FIFO planted under a blob's name. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

const READ_BYTES = 1024 * 1024;

const ownedHere = (s: Stats): boolean => !process.getuid || s.uid === process.getuid();

const writableByOthers = (s: Stats): boolean => (s.mode & 0o022) !== 0;

/**
 * Throws unless `path` is a directory of this user that group and others
 * cannot write to. `follow`: the configured top directory may be a link the
 * operator made; nothing inside it may be.
 */
export async function ensurePrivateDir(path: string, follow: boolean): Promise<void> {
  const problem = dirProblem(follow ? await stat(path) : await lstat(path));
  if (problem) throw new UnsafeCacheDirError(`cache.blobs.dir: ${path} ${problem}; every directory of the cache must belong to mirrorgate's user and not be writable by group or others (who can write there decides what is served under a digest)`);
}

function dirProblem(s: Stats): string | undefined {
  if (s.isSymbolicLink()) return 'is a symbolic link, not a directory';
  if (!s.isDirectory()) return 'is not a directory';
  if (!ownedHere(s)) return `belongs to uid ${s.uid}, not to mirrorgate's user (uid ${process.getuid?.()})`;
  if (writableByOthers(s)) return `has mode ${(s.mode & 0o7777).toString(8).padStart(4, '0')}: chmod go-w it`;
  return undefined;
}

/** A cache directory others could write into: a setting to mend, so the CLI prints it without a stack. */
export class UnsafeCacheDirError extends Error {
  override readonly name = 'UnsafeCacheDirError';
}

/** A regular file that only this user may change. */
export const isOwnFile = (s: Stats): boolean => s.isFile() && ownedHere(s) && !writableByOthers(s);

/** Opens a cached file without following a link, if it is one of ours of the recorded size. */
export async function openOwnFile(path: string, size: number): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch {
    return undefined;
  }
  const s = await handle.stat().catch(() => undefined);
  if (s && isOwnFile(s) && s.size === size) return handle;
  await handle.close().catch(() => {});
  return undefined;
}

/** Whether the first `size` bytes of an open file hash to `digest` (an algorithm `BlobDisk` accepts). */
export async function hashesTo(handle: FileHandle, digest: string, size: number): Promise<boolean> {
  const [algorithm, hex] = digest.split(':') as [string, string];
  const hash = createHash(algorithm);
  const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(1, size)));
  for (let position = 0; position < size; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) return false;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex') === hex;
}
