// The state directory: one YAML file per object (<plural>/<name>.yaml, the
// same YAML the rule loader reads), written so that a process killed at any
// instant loses no acknowledged write and leaves no torn file: write a temp
// file, fsync it, rename it over the object, fsync the directory (the rename
// is only durable once the directory entry is; see rename(2), fsync(2)).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Resource } from './kinds.js';
import type { KubeObject } from './object.js';

const COUNTER = 'resource-version';
/** NAME_MAX of Linux file systems (ext4, xfs, tmpfs): longer file names are ENAMETOOLONG. */
const MAX_FILE_NAME = 255;

/**
 * `<name>.yaml`, or for names too long for that (a valid name has up to 253 characters) the
 * name's head and a hash of it; "_" is never in a name, so no other object's file is named so.
 * The loader reads each object's name from its content, not from the file name.
 */
function fileNameOf(name: string): string {
  const plain = `${name}.yaml`;
  if (Buffer.byteLength(plain) <= MAX_FILE_NAME) return plain;
  return `${name.slice(0, 180)}_${createHash('sha256').update(name).digest('hex').slice(0, 32)}.yaml`;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurable(dir: string, file: string, text: string): Promise<void> {
  // Dot-named: the rule loader and the state loader both skip it if a crash leaves it behind.
  // Short and fixed-length, so any file name that fits fits its temp file too.
  const temp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, file));
  await syncDir(dir);
}

export class StateDir {
  constructor(readonly dir: string) {}

  private dirOf = (r: Resource) => join(this.dir, r.plural);

  /** Every stored object and the highest resourceVersion ever handed out; stray temp files are removed. */
  async load(resources: readonly Resource[]): Promise<{ objects: { resource: Resource; object: KubeObject }[]; resourceVersion: number }> {
    await mkdir(this.dir, { recursive: true });
    const objects: { resource: Resource; object: KubeObject }[] = [];
    let rv = Number((await readFile(join(this.dir, COUNTER), 'utf8').catch(() => '0')).trim()) || 0;
    for (const resource of resources) {
      await mkdir(this.dirOf(resource), { recursive: true });
      for (const name of (await readdir(this.dirOf(resource))).sort()) {
        const path = join(this.dirOf(resource), name);
        if (name.startsWith('.')) await rm(path, { force: true });
        else if (name.endsWith('.yaml')) {
          const object = parse(await readFile(path, 'utf8')) as KubeObject;
          rv = Math.max(rv, Number(object.metadata.resourceVersion) || 0);
          objects.push({ resource, object });
        }
      }
    }
    return { objects, resourceVersion: rv };
  }

  /** Durable before it returns. */
  async put(r: Resource, object: KubeObject): Promise<void> {
    await writeDurable(this.dirOf(r), fileNameOf(object.metadata.name), this.text(object));
  }

  /** Records the deletion's resourceVersion first, so versions never go back after a restart. */
  async remove(r: Resource, name: string, resourceVersion: number): Promise<void> {
    await writeDurable(this.dir, COUNTER, `${resourceVersion}\n`);
    await unlink(join(this.dirOf(r), fileNameOf(name))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await syncDir(this.dirOf(r));
  }

  text = (object: KubeObject): string => stringify(object);
}
