// A read-write token holder sends a JSON Patch whose path walks through "__proto__": the
// patch is applied to the stored object before any check, and parentOf() follows the
// inherited __proto__ accessor to Object.prototype, so add/replace/remove change
// Object.prototype of the whole mirrorgate process (pull path, policy, auth included), even
// when the write itself is then refused.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDMS, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

const JSON_PATCH = 'application/json-patch+json';
let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({});
  expect((await h.call('POST', IDMS, idms('one', 'quay.io/one', ['m.example/one']))).status).toBe(201);
});
afterEach(async () => {
  delete (Object.prototype as Record<string, unknown>).mgRedteamPolluted;
  delete (Object.prototype as Record<string, unknown>).labels;
  await h.close();
});

describe('json patch through __proto__', () => {
  it('"add /__proto__/x" is refused and leaves Object.prototype alone', async () => {
    const res = await h.call('PATCH', `${IDMS}/one`, [{ op: 'add', path: '/__proto__/mgRedteamPolluted', value: 'yes' }], { contentType: JSON_PATCH });
    const polluted = ({} as Record<string, unknown>).mgRedteamPolluted;
    expect(polluted).toBeUndefined();
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it('"add /metadata/__proto__/labels" does not give every object in the process a label', async () => {
    expect((await h.call('POST', IDMS, idms('two', 'quay.io/two', ['m.example/two']))).status).toBe(201);
    await h.call('PATCH', `${IDMS}/one`, [{ op: 'add', path: '/metadata/__proto__/labels', value: { tier: 'gold' } }], { contentType: JSON_PATCH });
    // "two" has no labels; a selector on a label nobody set must not select it.
    const list = await h.call('GET', `${IDMS}?labelSelector=tier%3Dgold`);
    expect(list.status).toBe(200);
    expect(list.json.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual([]);
  });
});
