// Revoking rules-API access by editing or deleting the token file fails closed: while the
// changed file cannot be read or parsed, no token is accepted (every request 401) and the
// problem is logged by file and line, never content. Keeping the last good tokens would
// leave a leaked token in force when the edit that removed it had a typo on another line,
// or when the file was deleted to revoke everything.
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IDMS, RO, RW, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({});
});
afterEach(async () => {
  await h.close();
});

const problemLogs = () => h.proxy.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('token file failed to load'));

it('a token removed from the file stops working even if another line of the new file is invalid', async () => {
  expect((await h.call('GET', IDMS, undefined, { token: RW })).status).toBe(200);
  // The leaked RW token is removed; the new RO line has a typo in its role.
  writeFileSync(h.tokensFile, `${RO} read-olny viewer\n`);
  expect((await h.call('GET', IDMS, undefined, { token: RW })).status).toBe(401);
  expect((await h.call('GET', IDMS, undefined, { token: RO })).status).toBe(401);
  expect(problemLogs()).toHaveLength(1);
  expect(problemLogs()[0]).toMatchObject({ level: 50, file: h.tokensFile, problems: ['line 1: second field must be the role, read-write or read-only'] });
  expect(JSON.stringify(h.proxy.logs)).not.toContain(RO);
  // Fixed: the tokens now in the file work again.
  writeFileSync(h.tokensFile, `${RO} read-only viewer\n`);
  expect((await h.call('GET', IDMS, undefined, { token: RO })).status).toBe(200);
  expect((await h.call('GET', IDMS, undefined, { token: RW })).status).toBe(401);
});

it('deleting the token file does not leave the old tokens in force', async () => {
  expect((await h.call('GET', IDMS, undefined, { token: RW })).status).toBe(200);
  rmSync(h.tokensFile);
  expect((await h.call('POST', IDMS, idms('after-revoke', 'quay.io/r', ['m.example/r']), { token: RW })).status).toBe(401);
  expect((await h.call('GET', `${IDMS}/after-revoke`, undefined, { token: RO })).status).toBe(401);
  expect(problemLogs()[0]).toMatchObject({ file: h.tokensFile, problems: ['cannot read: ENOENT'] });
});
