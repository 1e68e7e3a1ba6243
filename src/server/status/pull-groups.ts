// Recent requests -> image pulls, as a person thinks of them: a manifest by
// tag starts a pull; the manifests by digest and blobs the same client asks
// for in the same repository soon after belong to it. A heuristic (the
// registry protocol has no pull id), good enough to fold blobs under their
// manifest.
import type { RecentPull } from '../../observability/recent-pulls.js';

/** A pause longer than this between a client's requests for a repository starts a new pull. */
const GAP_MS = 60_000;

export interface PullGroup {
  readonly key: string;
  /** The request that started it (a manifest, usually by tag). */
  readonly first: RecentPull;
  /** Oldest first. */
  readonly items: RecentPull[];
}

const repositoryOf = (image: string): string => image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');

/** `pulls` newest first (as the ring keeps them); the groups come back newest first too. */
export function groupPulls(pulls: readonly RecentPull[]): PullGroup[] {
  const groups: PullGroup[] = [];
  const open = new Map<string, PullGroup>();
  for (let i = pulls.length - 1; i >= 0; i--) {
    const p = pulls[i] as RecentPull;
    const key = `${p.client} ${repositoryOf(p.image)}`;
    const byTag = p.route === 'manifests' && !p.image.includes('@');
    const last = open.get(key)?.items.at(-1);
    let group = open.get(key);
    if (!group || byTag || !last || p.at - last.at > GAP_MS) {
      group = { key: `${p.reqId}`, first: p, items: [] };
      groups.push(group);
      open.set(key, group);
    }
    group.items.push(p);
  }
  return groups.reverse();
}

/** The group's wall time from its first request's start to its last one's end. */
export function span(g: PullGroup): number {
  const start = Math.min(...g.items.map((p) => p.at - p.ms));
  const end = Math.max(...g.items.map((p) => p.at));
  return end - start;
}

/** Lower-case text a filter matches against: image, client, user agent, who served, codes. */
export const searchText = (g: PullGroup): string =>
  [g.first.image, g.first.client, g.first.userAgent, ...g.items.flatMap((p) => [p.servedBy ?? '', String(p.code), p.image])].join(' ').toLowerCase();

export function filterGroups(groups: readonly PullGroup[], query: string): PullGroup[] {
  const q = query.trim().toLowerCase();
  return q ? groups.filter((g) => searchText(g).includes(q)) : [...groups];
}
