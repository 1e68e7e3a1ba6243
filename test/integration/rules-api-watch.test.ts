// Watches and history-bound lists of the rules API: ADDED/MODIFIED/DELETED
// from a resourceVersion, resume, BOOKMARK, 410 Expired past the history, and
// an expired continue token.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { IDMS, RW, idms, startApi, type ApiHarness } from '../helpers/rules-api.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({}, {}, { watchHistory: 3, bookmarkIntervalMs: 20 });
});
afterEach(async () => {
  await h.close();
});

interface Event {
  type: string;
  object: { kind: string; code?: number; reason?: string; metadata: { name: string; resourceVersion: string } };
}

/** Opens a watch and collects events until `until` is satisfied or the stream ends (bounded by timeoutSeconds). */
async function watch(query: string, until: (events: Event[]) => boolean, act: () => Promise<void> = async () => {}): Promise<Event[]> {
  const controller = new AbortController();
  const res = await request(`${h.adminUrl}/${IDMS}?watch=true&timeoutSeconds=5&${query}`, { headers: { authorization: `Bearer ${RW}` }, signal: controller.signal });
  expect(res.statusCode).toBe(200);
  const events: Event[] = [];
  let buffer = '';
  const acting = act();
  try {
    for await (const chunk of res.body) {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      events.push(...lines.filter((l) => l !== '').map((l) => JSON.parse(l) as Event));
      if (until(events)) break;
    }
  } finally {
    controller.abort();
    await acting;
  }
  return events;
}

const create = (name: string) => h.call('POST', IDMS, idms(name, `quay.io/${name}`, [`m.example/${name}`]));
const summary = (events: Event[]) => events.map((e) => `${e.type} ${e.object.metadata?.name ?? e.object.reason}`);

describe('rules API watch', () => {
  it('from "now": current objects as ADDED, then live ADDED/MODIFIED/DELETED', async () => {
    await create('a');
    const events = await watch('', (e) => e.length >= 4, async () => {
      await create('b');
      await h.call('PATCH', `${IDMS}/b`, { metadata: { labels: { x: 'y' } } }, { contentType: 'application/merge-patch+json' });
      await h.call('DELETE', `${IDMS}/a`);
    });
    expect(summary(events)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a']);
  });

  it('resumes from a resourceVersion: only the changes after it', async () => {
    await create('a');
    const rv = (await create('b')).json.metadata.resourceVersion as string;
    await create('c');
    const events = await watch(`resourceVersion=${rv}`, (e) => e.length >= 1);
    expect(summary(events)).toEqual(['ADDED c']);
    expect(events[0]?.object.metadata.resourceVersion).toBe(String(Number(rv) + 1));
  });

  it('a resourceVersion older than the history: one ERROR event with a 410 Expired Status', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await create(n);
    const events = await watch('resourceVersion=1', (e) => e.length >= 1);
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
  });

  it('BOOKMARK events carry the current resourceVersion when asked for', async () => {
    await create('a');
    const events = await watch('resourceVersion=1&allowWatchBookmarks=true', (e) => e.some((x) => x.type === 'BOOKMARK'));
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toEqual({ kind: 'ImageDigestMirrorSet', apiVersion: 'config.openshift.io/v1', metadata: { resourceVersion: '1' } });
  });

  it('a fieldSelector watch sees only its object', async () => {
    const events = await watch('fieldSelector=metadata.name%3Db', (e) => e.length >= 1, async () => {
      await create('a');
      await create('b');
    });
    expect(summary(events)).toEqual(['ADDED b']);
  });

  it('timeoutSeconds ends the stream', async () => {
    const res = await request(`${h.adminUrl}/${IDMS}?watch=true&timeoutSeconds=1`, { headers: { authorization: `Bearer ${RW}` } });
    expect(await res.body.text()).toBe('');
  });

  it('a continue token older than the history is 410 Expired', async () => {
    for (const n of ['a', 'b', 'c']) await create(n);
    const page = await h.call('GET', `${IDMS}?limit=1`);
    for (const n of ['d', 'e', 'f', 'g']) await create(n);
    const next = await h.call('GET', `${IDMS}?limit=1&continue=${page.json.metadata.continue}`);
    expect(next.status).toBe(410);
    expect(next.json).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410, message: expect.stringContaining('The provided continue parameter is too old') });
  });
});
