// The disk blob cache: content-addressed files under `<dir>/blobs/<alg>/<hex>`,
// bounded in bytes with least-recently-used eviction. A file gets its name
// only after its digest was verified: bytes go to `<dir>/tmp/` (same
// filesystem), are fsynced, renamed and the directory fsynced, so a process
// killed at any instant leaves nothing under `blobs/` that hashes to another
// name. At start the index is rebuilt from `blobs/` and `tmp/` is emptied.
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface DiskEvents {
  evicted(bytes: number): void;
  size(bytes: number): void;
}

const DIGEST = /^(sha256|sha384|sha512):([a-f0-9]{64,128})$/;

export class BlobDisk {
  private readonly index: LRUCache<string, number>;
  private total = 0;

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
        if (reason === 'evict' || reason === 'delete') {
          this.events.evicted(size);
          void unlink(this.pathOf(digest)).catch(() => {});
        }
      },
    });
  }

  /** Opens (creating) the cache directory, empties tmp/ and indexes blobs/ by modification time. */
  static async open(dir: string, maxBytes: number, events: DiskEvents): Promise<BlobDisk> {
    const disk = new BlobDisk(dir, maxBytes, events);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Whoever can write here decides what is served under a digest: only this user may.
    const own = await stat(dir);
    if ((own.mode & 0o022) !== 0 || (process.getuid && own.uid !== process.getuid())) {
      throw new Error(`cache.blobs.dir ${dir} must belong to this user and not be writable by group or others`);
    }
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    const found: { digest: string; size: number; at: number }[] = [];
    for (const alg of ['sha256', 'sha384', 'sha512']) {
      const folder = join(dir, 'blobs', alg);
      await mkdir(folder, { recursive: true });
      for (const name of await readdir(folder)) {
        const digest = `${alg}:${name}`;
        const s = await stat(join(folder, name));
        // Only names that are digests: anything else was not put there by us.
        if (DIGEST.test(digest) && s.isFile()) found.push({ digest, size: s.size, at: s.mtimeMs });
        else await rm(join(folder, name), { recursive: true, force: true });
      }
    }
    for (const f of found.sort((a, b) => a.at - b.at)) disk.add(f.digest, f.size);
    return disk;
  }

  pathOf(digest: string): string {
    const [alg, hex] = digest.split(':') as [string, string];
    return join(this.dir, 'blobs', alg, hex);
  }

  /** The size of a cached blob (and marks it recently used), or undefined. */
  lookup(digest: string): number | undefined {
    return this.index.get(digest);
  }

  forget(digest: string): void {
    this.index.delete(digest);
  }

  /** A fresh temporary path on the cache's filesystem. */
  tempPath(): string {
    return join(this.dir, 'tmp', randomUUID());
  }

  /** Gives a verified, fsynced temporary file its content address (true); one larger than the cache, or already cached, is dropped. */
  async commit(temp: string, digest: string, size: number): Promise<boolean> {
    // Already here: filled meanwhile by a request walking other endpoints (the same verified bytes).
    if (!DIGEST.test(digest) || size > this.maxBytes || this.index.has(digest)) {
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
    return true;
  }

  private add(digest: string, size: number): void {
    this.index.set(digest, size);
    this.total += size;
    this.events.size(this.total);
  }
}
