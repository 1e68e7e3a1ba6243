// The bounded state behind /metrics and /status, driven by an injected clock.
import { describe, expect, it } from 'vitest';
import { EndpointLabels } from '../../../src/observability/endpoint-labels.js';
import { BUCKET_MS, BUCKETS, EndpointSeries } from '../../../src/observability/endpoint-series.js';
import { type RecentPull, RecentPulls } from '../../../src/observability/recent-pulls.js';
import { filterGroups, groupPulls } from '../../../src/server/status/pull-groups.js';

describe('EndpointLabels', () => {
  it('gives the first max endpoints their own label and folds the rest into other', () => {
    const labels = new EndpointLabels(3);
    expect(['a', 'b', 'c', 'd', 'e', 'a'].map((e) => labels.label(e))).toEqual(['a', 'b', 'c', 'other', 'other', 'a']);
  });

  it('seeds the endpoints the rules name before clients can claim the room', () => {
    const labels = new EndpointLabels(2);
    labels.seed(['mirror:5000']);
    expect(['x:1', 'y:2', 'mirror:5000'].map((e) => labels.label(e))).toEqual(['x:1', 'other', 'mirror:5000']);
  });
});

describe('RecentPulls', () => {
  it('keeps the last n, newest first, however many were added', () => {
    const recent = new RecentPulls(3, 2);
    const listed: number[][] = [];
    for (let i = 0; i < 8; i++) {
      recent.failovers.add({ at: i, reqId: String(i), image: 'x', failed: [], servedBy: 'm' });
      listed.push(recent.failovers.list().map((f) => f.at));
    }
    expect(listed).toEqual([[0], [1, 0], [2, 1], [3, 2], [4, 3], [5, 4], [6, 5], [7, 6]]);
  });
});

describe('EndpointSeries', () => {
  const setup = (max = 10) => {
    const clock = { t: 1_000_000, now: () => clock.t };
    return { clock, series: new EndpointSeries(clock, new EndpointLabels(max)) };
  };

  it('keeps 15 minutes in 30 s buckets, oldest first, and forgets what is older', () => {
    const { clock, series } = setup();
    series.attempt('m:1', false, 40);
    clock.t += BUCKET_MS;
    series.attempt('m:1', true, 40);
    series.attempt('m:1', true, 400);
    series.served('m:1', 1000);
    let { points, window } = series.snapshot().get('m:1')!;
    expect(points).toHaveLength(BUCKETS);
    expect(points.at(-2)).toMatchObject({ attempts: 1, successRate: 0 });
    expect(points.at(-1)).toMatchObject({ attempts: 2, successRate: 1, bytes: 1000, p50Ms: 50, p95Ms: 500 });
    expect(window).toMatchObject({ attempts: 3, bytes: 1000 });
    clock.t += (BUCKETS - 1) * BUCKET_MS;
    ({ points, window } = series.snapshot().get('m:1')!);
    expect(points.at(0)).toMatchObject({ attempts: 2 });
    expect(window.attempts).toBe(2);
    clock.t += BUCKET_MS;
    ({ window } = series.snapshot().get('m:1')!);
    expect(window.attempts).toBe(0);
  });

  it('reuses a ring slot after a full turn instead of adding to stale counts', () => {
    const { clock, series } = setup();
    series.attempt('m:1', true, 1);
    clock.t += BUCKETS * BUCKET_MS;
    series.attempt('m:1', false, 1);
    expect(series.snapshot().get('m:1')!.window).toMatchObject({ attempts: 1, successRate: 0 });
  });

  it('holds at most max endpoints plus other', () => {
    const { series } = setup(4);
    for (let port = 1; port <= 500; port++) series.attempt(`127.0.0.1:${port}`, false, 1);
    const snapshot = series.snapshot();
    expect(snapshot.size).toBe(5);
    expect(snapshot.get('other')!.window.attempts).toBe(496);
  });
});

describe('pull groups', () => {
  let at = 0;
  const pull = (route: RecentPull['route'], image: string, client = '10.0.0.1'): RecentPull => ({ at: (at += 100), reqId: `r${at}`, route, image, client, userAgent: 'containerd', code: 200, ms: 5, bytes: 1 });

  it('folds the digest manifests and blobs a client fetches after a tag under it', () => {
    const newestFirst = [
      pull('manifests', 'r.io/ns/app:v1'),
      pull('manifests', 'r.io/ns/app@sha256:aa'),
      pull('blobs', 'r.io/ns/app@sha256:bb'),
      pull('manifests', 'r.io/ns/db:v2', '10.0.0.2'),
      pull('blobs', 'r.io/ns/app@sha256:cc'),
      pull('manifests', 'r.io/ns/app:v1'),
      pull('blobs', 'r.io/ns/db@sha256:dd', '10.0.0.2'),
    ].reverse();
    const groups = groupPulls(newestFirst);
    expect(groups.map((g) => [g.first.image, g.items.length])).toEqual([
      ['r.io/ns/app:v1', 1],
      ['r.io/ns/db:v2', 2],
      ['r.io/ns/app:v1', 4],
    ]);
    expect(filterGroups(groups, 'DB').map((g) => g.first.image)).toEqual(['r.io/ns/db:v2']);
    expect(filterGroups(groups, '10.0.0.2')).toHaveLength(1);
    expect(filterGroups(groups, '  ')).toHaveLength(3);
  });
});
