// A rule-file reload that lands while an API write is being stored (the writer awaits the
// fsync of its state file; the holder's file watcher fires on its own timer, at any moment).
// Here the rule file defining the same IDMS name appears and its reload is asked for from
// inside the state-file write, so it lands in that window every time. The write must then be
// either refused with nothing stored, or in force before it is answered -- never acknowledged,
// stored and watched but out of force (issue 9: "Accepted -> in force ... before the response
// is sent"; "a name defined in both is reported, never silently merged").
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { StateDir } from '../../src/rules-api/persistence.js';
import { IDMS, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

const DUP_FILE = 'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: dup}\nspec:\n  imageDigestMirrors:\n  - source: quay.io/file\n    mirrors: [m.example/file]\n';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({});
});
afterEach(async () => {
  vi.restoreAllMocks();
  await h.close();
});

it('a write answered 2xx is in force, even when a rule-file reload is asked for while it is being stored', async () => {
  const holder = h.proxy.proxy.holder;
  const put = StateDir.prototype.put;
  let reloaded: Promise<unknown> | undefined;
  vi.spyOn(StateDir.prototype, 'put').mockImplementationOnce(async function (this: StateDir, ...args) {
    writeFileSync(join(holder.paths[0] as string, 'dup.yaml'), DUP_FILE);
    reloaded = holder.reload();
    return put.apply(this, args);
  });
  const res = await h.call('POST', IDMS, idms('dup', 'quay.io/api', ['m.example/api']));
  await reloaded;
  expect(res.status).toBe(201);
  expect(holder.documents('api').map((d) => d.label)).toContain('api/imagedigestmirrorsets/dup.yaml');
  // The file's reload came second and is the one refused: the same name from two sources.
  expect(holder.lastReload.ok).toBe(false);
  expect(holder.lastReload.errors.join('\n')).toMatch(/dup is also defined by the (files|api) source/);
  // And the API keeps taking writes.
  expect((await h.call('POST', IDMS, idms('later', 'quay.io/later', ['m.example/later']))).status).toBe(201);
});
