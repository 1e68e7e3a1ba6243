// The order that makes a cached blob survive a power loss: the temporary
// file's bytes reach the disk (fsync) before the file gets its content
// address (rename), and the directory entry is synced after. A SIGKILL test
// cannot see a missing fsync (the page cache survives the process), so the
// file-system calls a fill makes are journalled here instead.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { expect, it, vi } from 'vitest';
import { BlobDisk } from '../../../src/store/disk.js';
import { BlobFill } from '../../../src/store/fill.js';
import { tempDir } from '../../helpers/temp.js';

const journal: string[] = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (path, ...rest) => {
    const handle = await real.open(path, ...rest);
    journal.push(`open ${basename(String(path))}`);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      journal.push(`fsync ${basename(String(path))}`);
      return sync();
    };
    return handle;
  };
  const rename: typeof real.rename = async (from, to) => {
    journal.push(`rename ${basename(String(from))}`);
    return real.rename(from, to);
  };
  return { ...real, default: { ...real, open, rename }, open, rename };
});

it('a verified fill is fsynced before it is named, and its directory after', async () => {
  const disk = await BlobDisk.open(tempDir('durability'), 1 << 20, { evicted: () => {}, size: () => {}, discarded: () => {} });
  const bytes = Buffer.alloc(64 * 1024, 7);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const fill = new BlobFill(disk, digest, 0);
  journal.length = 0;
  await fill.begin(bytes.length, 'mirror');
  const temp = journal[0]?.replace(/^open /, '') ?? '';
  await fill.write(bytes.subarray(0, 40_000));
  journal.length = 0;
  await fill.finish(bytes.subarray(40_000), bytes.length);
  fill.seal();
  expect(journal).toEqual([`fsync ${temp}`, `rename ${temp}`, 'open sha256', 'fsync sha256']);
  const cached = await disk.read(digest);
  await cached?.handle.close();
  expect(cached?.size).toBe(bytes.length);
});
