// Revoking API access by removing the token file, or by rewriting it with a mistake in one
// line, leaves every previous token -- the revoked ones included -- in force
// (watched-file.ts: "a file that fails to load keeps the last good content in force").
// For credentials that is fail-open: an operator who deletes the file, or who removes a
// leaked token and makes a typo on another line, still has the leaked token accepted.
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IDMS, RO, RW, startApi, type ApiHarness } from '../helpers/rules-api.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({});
});
afterEach(async () => {
  await h.close();
});

it('a token removed from the file stops working even if another line of the new file is invalid', async () => {
  expect((await h.call('GET', IDMS, undefined, { token: RW })).status).toBe(200);
  // The leaked RW token is removed; the new RO line has a typo in its role.
  writeFileSync(h.tokensFile, `${RO} read-olny viewer\n`);
  expect((await h.call('GET', IDMS, undefined, { token: RW })).status).toBe(401);
});

it('deleting the token file does not leave the old tokens in force', async () => {
  expect((await h.call('GET', IDMS, undefined, { token: RW })).status).toBe(200);
  rmSync(h.tokensFile);
  expect((await h.call('POST', IDMS, { metadata: { name: 'after-revoke' }, spec: { imageDigestMirrors: [{ source: 'quay.io/r', mirrors: ['m.example/r'] }] } }, { token: RW })).status).toBe(401);
});
