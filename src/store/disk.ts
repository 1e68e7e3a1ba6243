// The disk blob cache: content-addressed files under `<dir>/blobs/<alg>/<hex>`,
// bounded in bytes with least-recently-used eviction. A file gets its name
// only after its digest was verified: bytes go to `<dir>/tmp/` (same
// filesystem), are fsynced, renamed and the directory fsynced, so a process
// killed at any instant leaves nothing under `blobs/` that hashes to another
// name. At start the index is rebuilt from `blobs/` and `tmp/` is emptied;
// what is trusted on disk, and when a file is hashed, is in disk-trust.ts.
import { lstat, mkdir, open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ensurePrivateDir, hashesTo, isOwnFile, openOwnFile } from './disk-trust.js';

export interface DiskEvents {
  evicted(bytes: number): void;
  size(bytes: number): void;
  /** A file found at start did not hash to its name (or could not be read whole): removed. */
  discarded(digest: string): void;
}

export interface CachedFile {
  readonly handle: FileHandle;
  readonly size: number;
}

const ALGORITHMS = ['sha256', 'sha384', 'sha512'];

const DIGEST = /^(sha256|sha384|sha512):([a-f0-9]{64,128})$/;

export class BlobDisk {
  private readonly index: LRUCache<string, number>;
  private total = 0;
  /** Blobs indexed at start and not yet hashed: each is verified before its first use. */
  private readonly unchecked = new Set<string>();
  private readonly checking = new Map<string, Promise<boolean>>();

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly events: DiskEvents,
  ) {
    this.index = new LRUCache<string, number>({
      maxSize: maxBytes,
      sizeCalculation: (size) => Math.max(1, size),
      dispose: (size, digest, reason) => {
        this.total -= size;
        this.events.size(this.total);
        this.unchecked.delete(digest);
        if (reason === 'evict') this.events.evicted(size);
        if (reason === 'evict' || reason === 'delete') void unlink(this.pathOf(digest)).catch(() => {});
      },
    });
  }

  /** Opens (creating) the cache directory, refuses one others could write into, empties tmp/ and indexes blobs/ by modification time. */
  static async open(dir: string, maxBytes: number, events: DiskEvents): Promise<BlobDisk> {
    const disk = new BlobDisk(dir, maxBytes, events);
    const folders = ALGORITHMS.map((alg) => join(dir, 'blobs', alg));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await ensurePrivateDir(dir, true);
    for (const folder of [join(dir, 'blobs'), ...folders]) {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await ensurePrivateDir(folder, false);
    }
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { mode: 0o700 });
    const found = (await Promise.all(ALGORITHMS.map((alg) => scan(dir, alg)))).flat();
    for (const f of found.sort((a, b) => a.at - b.at)) {
      disk.add(f.digest, f.size);
      disk.unchecked.add(f.digest);
    }
    return disk;
  }

  pathOf(digest: string): string {
    const [alg, hex] = digest.split(':') as [string, string];
    return join(this.dir, 'blobs', alg, hex);
  }

  /**
   * An open cached blob (marked recently used), or undefined. A blob found
   * at start is hashed first, once however many ask; one that does not hash
   * to its name is removed and reads as not cached.
   */
  async read(digest: string): Promise<CachedFile | undefined> {
    const size = this.index.get(digest);
    if (size === undefined) return undefined;
    if (this.unchecked.has(digest) && !(await this.checkOnce(digest, size))) return undefined;
    const handle = await openOwnFile(this.pathOf(digest), size);
    // Evicted between the lookup and the open, or removed or replaced by hand.
    if (!handle) this.index.delete(digest);
    return handle && { handle, size };
  }

  private checkOnce(digest: string, size: number): Promise<boolean> {
    let pending = this.checking.get(digest);
    if (!pending) {
      pending = this.check(digest, size).finally(() => this.checking.delete(digest));
      this.checking.set(digest, pending);
    }
    return pending;
  }

  private async check(digest: string, size: number): Promise<boolean> {
    const handle = await openOwnFile(this.pathOf(digest), size);
    const good = handle !== undefined && (await hashesTo(handle, digest, size).catch(() => false));
    await handle?.close();
    if (good) this.unchecked.delete(digest);
    else {
      this.events.discarded(digest);
      this.index.delete(digest);
    }
    return good;
  }

  /** A fresh temporary path on the cache's filesystem. */
  tempPath(): string {
    return join(this.dir, 'tmp', randomUUID());
  }

  /**
   * Would `commit` keep this blob? Not one larger than the whole cache, nor one already here (filled meanwhile
   * by a request walking other endpoints: the same verified bytes). A fill asks before it fsyncs its file.
   */
  keeps(digest: string, size: number): boolean {
    return DIGEST.test(digest) && size <= this.maxBytes && !this.index.has(digest);
  }

  /** Gives a verified, fsynced temporary file its content address (true); one the cache does not keep is dropped. */
  async commit(temp: string, digest: string, size: number): Promise<boolean> {
    if (!this.keeps(digest, size)) {
      await unlink(temp).catch(() => {});
      return false;
    }
    await rename(temp, this.pathOf(digest));
    const folder = await open(join(this.dir, 'blobs', digest.split(':')[0] as string), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    this.add(digest, size);
    this.unchecked.delete(digest);
    return true;
  }

  private add(digest: string, size: number): void {
    this.index.set(digest, size);
    this.total += size;
    this.events.size(this.total);
  }
}

/** The blobs under blobs/<alg>/; anything else there (a link, a directory, a file others may change, a name that is no digest) is removed. */
async function scan(dir: string, alg: string): Promise<{ digest: string; size: number; at: number }[]> {
  const folder = join(dir, 'blobs', alg);
  const found: { digest: string; size: number; at: number }[] = [];
  for (const name of await readdir(folder)) {
    const digest = `${alg}:${name}`;
    const s = await lstat(join(folder, name));
    if (DIGEST.test(digest) && isOwnFile(s)) found.push({ digest, size: s.size, at: s.mtimeMs });
    else await rm(join(folder, name), { recursive: true, force: true });
  }
  return found;
}
