// The cluster follower against a hostile or broken API server (found by a red
// team): an event without metadata, watches that end at once, 410 storms and a
// list that never answers must neither crash the process, nor spin, nor hang.
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterFollower } from '../../src/cluster/follower.js';
import { hostileKube, pause, until, type HostileKube } from '../fakes/hostile-kube-api.js';

let kube: HostileKube | undefined;
let follower: ClusterFollower | undefined;
afterEach(async () => {
  follower?.stop();
  follower = undefined;
  await kube?.close();
  kube = undefined;
});

const problems: string[] = [];
const follow = (k: HostileKube) => new ClusterFollower({ kubeconfig: k.kubeconfig, onChange: () => undefined, onProblem: (p) => problems.push(p), retryMs: { min: 200, max: 1000 }, debounceMs: 10, deadlineMs: 1000 });

describe('follower vs a hostile API server', () => {
  it('a watch event whose object has no metadata does not reject unhandled (which kills the process)', async () => {
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      kube = await hostileKube((path, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        if (path.endsWith('/imagedigestmirrorsets')) res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'ImageDigestMirrorSet' } })}\n`);
        // then stays open
      });
      follower = follow(kube);
      await follower.start();
      await until(() => rejections.length > 0 || problems.length > 0, 1000);
      expect(rejections.map(String)).toEqual([]);
      expect(problems).toContain('ignored a ADDED event whose object has no metadata.name');
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('watches that end at once are re-opened with a backoff, not in a hot loop', async () => {
    kube = await hostileKube((_path, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
    });
    follower = follow(kube);
    await follower.start();
    const before = kube.watches();
    await pause(1000);
    // 7 followed resources; with a backoff of at least 200 ms, a second allows a handful each.
    expect(kube.watches() - before).toBeLessThan(7 * 10);
  });

  it('a 410 on every watch does not relist in a hot loop', async () => {
    kube = await hostileKube((_path, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' } })}\n`);
    });
    follower = follow(kube);
    await follower.start();
    const before = kube.lists();
    await pause(1000);
    expect(kube.lists() - before).toBeLessThan(7 * 10);
  });

  it('a list that never answers does not hold start() (and mirrorgate start-up) forever', async () => {
    kube = await hostileKube(
      (_path, res) => res.writeHead(200).flushHeaders(),
      () => undefined, // accepts, never answers
    );
    follower = follow(kube);
    const started = await Promise.race([follower.start().then(() => 'settled'), pause(8000).then(() => 'still waiting')]);
    expect(started).toBe('settled');
    expect(follower.status()).toMatchObject({ synced: false, connected: false });
    expect(follower.status().resources[0]?.error).toContain('list: no answer within 1000 ms');
  }, 15_000);
});
