// A rule-file reload that lands between a write's check and its adopt (the writer awaits the
// fsync of the state file in between; the holder's file watcher fires on its own debounce
// timer, at any moment). Here the reload is triggered right after check() to hit that
// window every time. The file defines the same name as the API write: adopt() recompiles,
// the pair is refused, the swap does not happen -- yet the write is answered 201, stored and
// persisted: acknowledged but not in force (issue 9: "Accepted -> in force ... before the
// response is sent"; "a name defined in both is reported, never silently merged").
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { IDMS, RW, idms } from '../helpers/rules-api.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

it('a write answered 2xx is in force, even when a rule-file reload lands while it is being persisted', async () => {
  const rulesDir = tempDir('race-rules');
  const dir = tempDir('race-api');
  writeFileSync(join(dir, 'tokens'), `${RW} read-write admin\n`);
  proxy = await startTestProxy({}, {}, { rules: { paths: [rulesDir] }, admin: { listen: ['127.0.0.1:0'] }, api: { enabled: true, state_dir: join(dir, 'state'), tokens: join(dir, 'tokens'), watch_history: 100 } });
  const holder = proxy.proxy.holder;
  const check = holder.check.bind(holder);
  // The file appears and its watcher's reload fires just after the write was checked.
  holder.check = (replaced) => {
    const candidate = check(replaced);
    writeFileSync(join(rulesDir, 'dup.yaml'), 'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: dup}\nspec:\n  imageDigestMirrors:\n  - source: quay.io/file\n    mirrors: [m.example/file]\n');
    void holder.reload();
    holder.check = check;
    return candidate;
  };
  const res = await request(`${proxy.proxy.adminUrls[0]}/${IDMS}`, { method: 'POST', headers: { authorization: `Bearer ${RW}`, 'content-type': 'application/json' }, body: JSON.stringify(idms('dup', 'quay.io/api', ['m.example/api'])) });
  await res.body.text();
  const inForce = holder.documents('api').some((d) => d.label.includes('imagedigestmirrorsets/dup'));
  // Either refused (409/422) or in force: never acknowledged and not in force.
  if (res.statusCode < 300) expect(inForce).toBe(true);
  else expect(res.statusCode).toBeGreaterThanOrEqual(400);
});
