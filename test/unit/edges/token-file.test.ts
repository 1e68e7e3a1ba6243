import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeBearer, bearerToken, parseTokenFile, roleAllows, TokenFile, TokenFileError } from '../../../src/server/auth/token-file.js';

const RW = 'rw-token-0123456789abcdef';
const RO = 'ro-token-0123456789abcdef';

describe('token file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mirrorgate-tokens-'));
    file = join(dir, 'tokens');
    await writeFile(file, `# admins\n${RW} read-write ci robot\n\n${RO}   read-only\n`);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('maps each token to its role and name (line number when unnamed)', async () => {
    const tokens = await TokenFile.open(file);
    expect(await tokens.check(RW)).toEqual({ name: 'ci robot', role: 'read-write' });
    expect(await tokens.check(RO)).toEqual({ name: 'line 4', role: 'read-only' });
  });

  it('admits no wrong, empty, absent or prefix token', async () => {
    const tokens = await TokenFile.open(file);
    for (const wrong of [undefined, '', RW.slice(0, -1), `${RW}x`, RW.toUpperCase(), 'read-write']) expect(await tokens.check(wrong)).toBeUndefined();
  });

  it('reports every bad line by number and never echoes a token', () => {
    const text = `tiny-tok read-write\n${RW} admin\n${RO} read-only\n${RO} read-write\n`;
    let error: unknown;
    try {
      parseTokenFile(text, 'f');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TokenFileError);
    expect((error as TokenFileError).problems).toEqual([
      'line 1: token shorter than 16 characters',
      'line 2: second field must be the role, read-write or read-only',
      'line 4: token repeats an earlier line',
    ]);
    expect((error as Error).message).not.toMatch(/tiny-tok|rw-token|ro-token|admin/);
  });

  it('refuses to start on a missing or invalid file', async () => {
    await expect(TokenFile.open(join(dir, 'absent'))).rejects.toThrow(/cannot read: ENOENT/);
    await writeFile(file, 'x read-write\n');
    await expect(TokenFile.open(file)).rejects.toBeInstanceOf(TokenFileError);
  });

  it('follows edits: a removed token stops working, an added one works', async () => {
    const tokens = await TokenFile.open(file);
    const added = 'new-token-0123456789abcdef';
    await writeFile(file, `${added} read-only\n`);
    expect(await tokens.check(RW)).toBeUndefined();
    expect(await tokens.check(added)).toEqual({ name: 'line 1', role: 'read-only' });
  });

  it('follows an atomic replace (how Kubernetes updates a mounted Secret)', async () => {
    const tokens = await TokenFile.open(file);
    const next = join(dir, 'tokens.next');
    await writeFile(next, `${RO} read-write\n`);
    await rename(next, file);
    expect(await tokens.check(RO)).toEqual({ name: 'line 1', role: 'read-write' });
    expect(await tokens.check(RW)).toBeUndefined();
  });

  // Fail closed: a revocation must not depend on the rest of the file being valid.
  it('accepts no token while the file is broken or gone, reports each problem once, and recovers when fixed', async () => {
    const problems: string[] = [];
    const tokens = await TokenFile.open(file, { onProblem: (e) => problems.push(e.problems.join('; ')) });
    await writeFile(file, `${RO} read-olny\n`); // RW revoked, and a typo on the line kept
    expect(await tokens.check(RW)).toBeUndefined();
    expect(await tokens.check(RO)).toBeUndefined();
    await writeFile(file, `${RO} read-only\n`);
    expect(await tokens.check(RO)).toEqual({ name: 'line 1', role: 'read-only' });
    expect(await tokens.check(RW)).toBeUndefined();
    await rm(file);
    expect(await tokens.check(RO)).toBeUndefined();
    expect(await tokens.check(RO)).toBeUndefined();
    expect(problems).toEqual(['line 1: second field must be the role, read-write or read-only', 'cannot read: ENOENT']);
    expect(problems.join()).not.toContain(RO);
  });

  it('shares one re-read between concurrent checks', async () => {
    const tokens = await TokenFile.open(file);
    await writeFile(file, `${RO} read-write\n`);
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.check(RO)));
    expect(new Set(results.map((r) => r?.role))).toEqual(new Set(['read-write']));
  });
});

describe('bearer header and roles', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER   abc ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('%j -> %j', (header, token) => expect(bearerToken(header)).toBe(token));

  it('read-only reads, read-write does anything', () => {
    expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => roleAllows('read-only', m))).toEqual(['GET', 'HEAD']);
    expect(['GET', 'POST', 'DELETE'].every((m) => roleAllows('read-write', m))).toBe(true);
  });
});

describe('authorizeBearer', () => {
  it('401 without a valid token, 403 for a read-only write, ok otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mirrorgate-tokens-'));
    try {
      const file = join(dir, 'tokens');
      await writeFile(file, `${RW} read-write\n${RO} read-only\n`);
      const tokens = await TokenFile.open(file);
      const verdict = (auth: string | undefined, method: string) => authorizeBearer(tokens, auth, method).then((v) => (v.ok ? v.identity.role : v.status));
      expect(await verdict(undefined, 'GET')).toBe(401);
      expect(await verdict(`Basic ${Buffer.from(`x:${RW}`).toString('base64')}`, 'GET')).toBe(401);
      expect(await verdict('Bearer wrong-token-0123456789', 'GET')).toBe(401);
      expect(await verdict(`Bearer ${RO}`, 'GET')).toBe('read-only');
      expect(await verdict(`Bearer ${RO}`, 'DELETE')).toBe(403);
      expect(await verdict(`Bearer ${RW}`, 'PATCH')).toBe('read-write');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
