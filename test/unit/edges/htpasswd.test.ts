import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Htpasswd, parseHtpasswd } from '../../../src/server/auth/htpasswd.js';
import { GateFullError, WorkGate } from '../../../src/server/auth/work-gate.js';

describe('htpasswd', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mirrorgate-htpasswd-'));
    file = join(dir, 'htpasswd');
    await writeFile(file, `alice:${hashSync('pw-alice', 4)}\n# comment\n\nbob:${hashSync('pw:bob', 4).replace('$2b$', '$2y$')}\n`);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('verifies bcrypt users ($2b$ and htpasswd -B $2y$), nothing else', async () => {
    const users = await Htpasswd.open(file);
    expect(await users.verify('alice', 'pw-alice')).toBe(true);
    expect(await users.verify('bob', 'pw:bob')).toBe(true);
    expect(await users.verify('alice', 'pw:bob')).toBe(false);
    expect(await users.verify('carol', 'pw-alice')).toBe(false);
    expect(await users.verify('', '')).toBe(false);
  });

  it('refuses a password over 72 bytes (bcrypt reads 72), so no suffix is accepted after the first 72', async () => {
    const long = `${'p'.repeat(72)}-the-part-that-matters`;
    const multibyte = `${'ü'.repeat(36)}x`; // 37 characters, 73 bytes in UTF-8
    const at72 = 'q'.repeat(72);
    await writeFile(file, `alice:${hashSync(long, 4)}\nbob:${hashSync(multibyte, 4)}\ncarol:${hashSync(at72, 4)}\n`);
    const users = await Htpasswd.open(file);
    expect(await users.verify('alice', `${'p'.repeat(72)}WRONG`)).toBe(false);
    expect(await users.verify('alice', long)).toBe(false);
    expect(await users.verify('bob', `${'ü'.repeat(36)}y`)).toBe(false);
    expect(await users.verify('carol', at72)).toBe(true);
  });

  it('refuses non-bcrypt hashes, lines without a user and repeats, by line number and user only', () => {
    const text = `a:$apr1$xyz$abc\n:${hashSync('x', 4)}\nb:${hashSync('x', 4)}\nb:${hashSync('y', 4)}\nplain-secret\n`;
    expect(() => parseHtpasswd(text, 'f')).toThrow(/line 1: the hash of "a" is not bcrypt[\s\S]*line 2: expected user:bcrypt-hash[\s\S]*line 4: "b" repeats an earlier line[\s\S]*line 5: expected user:bcrypt-hash/);
    expect(() => parseHtpasswd(text, 'f')).not.toThrow(/apr1|plain-secret/);
  });

  it('follows edits: a changed password works at once, the old one no longer', async () => {
    const users = await Htpasswd.open(file);
    expect(await users.verify('alice', 'pw-alice')).toBe(true);
    await writeFile(file, `alice:${hashSync('new-pw', 4)}\n`);
    expect(await users.verify('alice', 'pw-alice')).toBe(false);
    expect(await users.verify('alice', 'new-pw')).toBe(true);
  });

  // Fail closed: removing a user must not depend on the rest of the file being valid.
  it('accepts no password while the file is broken or gone, even one remembered before', async () => {
    const problems: string[] = [];
    const users = await Htpasswd.open(file, { onProblem: (e) => problems.push(e.problems.join('; ')) });
    expect(await users.verify('alice', 'pw-alice')).toBe(true);
    await writeFile(file, `alice:${hashSync('pw-alice', 4)}\nbob:not-bcrypt\n`); // another line broken
    expect(await users.verify('alice', 'pw-alice')).toBe(false);
    await rm(file);
    expect(await users.verify('alice', 'pw-alice')).toBe(false);
    expect(problems).toEqual(['line 2: the hash of "bob" is not bcrypt (create it with htpasswd -B)', 'cannot read: ENOENT']);
    await writeFile(file, `alice:${hashSync('pw-alice', 4)}\n`);
    expect(await users.verify('alice', 'pw-alice')).toBe(true);
  });

  it('a flood of fresh wrong passwords is bounded; remembered good credentials still pass', async () => {
    const users = await Htpasswd.open(file, undefined, new WorkGate(1, 2));
    expect(await users.verify('alice', 'pw-alice')).toBe(true);
    const flood = Array.from({ length: 10 }, (_, i) => users.verify('alice', `wrong-${i}`).then((ok) => (ok ? 'ok' : 'no'), (err: unknown) => (err instanceof GateFullError ? 'full' : 'error')));
    const good = await users.verify('alice', 'pw-alice');
    const results = await Promise.all(flood);
    expect(good).toBe(true);
    expect(results.filter((r) => r === 'no').length).toBe(3);
    expect(results.filter((r) => r === 'full').length).toBe(7);
  });
});

describe('WorkGate', () => {
  it('runs at most `concurrent`, queues at most `waiting`, refuses the rest, and hands slots on', async () => {
    const gate = new WorkGate(2, 1);
    const releases: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const job = () =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const jobs = [job(), job(), job()];
    await expect(job()).rejects.toBeInstanceOf(GateFullError);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      releases.shift()?.();
    }
    await Promise.all(jobs);
    expect(most).toBe(2);
  });
});
