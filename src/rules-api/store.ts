// The API's objects in memory, one resourceVersion counter for all of them
// (as etcd's revision is), and a bounded history of changes. The history
// serves watches from a resourceVersion and lists at an older one (a continue
// token's snapshot); past its bound both are 410 Expired, as the watch cache
// answers (k8s.io/apiserver/pkg/storage/cacher/watch_cache.go).
import { isDeepStrictEqual } from 'node:util';
import type { Resource } from './kinds.js';
import type { KubeObject } from './object.js';
import { expired } from './status.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  readonly type: EventType;
  readonly resource: Resource;
  readonly rv: number;
  readonly object: KubeObject;
  /** The object before the change; undefined for ADDED. */
  readonly prev?: KubeObject;
}

type Listener = (change: Change) => void;

const key = (r: Resource, name: string) => `${r.plural}/${name}`;

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: Change[] = [];
  private readonly listeners = new Set<Listener>();
  /** Keys of the objects mirrored from read-only rule sources (listed and watched, never written). */
  private readonly fixed = new Set<string>();
  /** Changes at or below this version are no longer in the history. */
  private floor: number;

  constructor(
    private rv: number,
    private readonly historySize: number,
  ) {
    this.floor = rv;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get(r: Resource, name: string): KubeObject | undefined {
    return this.objects.get(key(r, name));
  }

  /** Objects of `r` at version `at` (default now), by name. */
  list(r: Resource, at = this.rv): KubeObject[] {
    const state = new Map([...this.objects].filter(([k]) => k.startsWith(`${r.plural}/`)));
    if (at < this.rv) {
      if (at < this.floor) throw expired(`The resourceVersion ${at} is too old to list consistently; list again without it.`);
      for (const c of [...this.history].reverse()) {
        if (c.rv <= at) break;
        if (c.resource !== r) continue;
        if (c.prev) state.set(key(r, c.prev.metadata.name), c.prev);
        else state.delete(key(r, c.object.metadata.name));
      }
    }
    return [...state.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** Loads without history (start-up). */
  seed(r: Resource, object: KubeObject): void {
    this.objects.set(key(r, object.metadata.name), object);
  }

  commit(change: Omit<Change, 'prev'>): void {
    const k = key(change.resource, change.object.metadata.name);
    const prev = this.objects.get(k);
    if (change.type === 'DELETED') this.objects.delete(k);
    else this.objects.set(k, change.object);
    this.rv = change.rv;
    const full: Change = prev ? { ...change, prev } : change;
    this.history.push(full);
    while (this.history.length > this.historySize) this.floor = (this.history.shift() as Change).rv;
    for (const l of this.listeners) l(full);
  }

  /** Changes of `r` after `since`, or 410 when some of them have left the history. */
  changesSince(r: Resource, since: number): Change[] {
    if (since < this.floor) throw expired(`too old resource version: ${since} (${this.floor + 1})`);
    return this.history.filter((c) => c.rv > since && c.resource === r);
  }

  /** How many listeners (open watches) there are. */
  get subscribers(): number {
    return this.listeners.size;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The API's own objects (not the read-only ones), for the rule compiler, in a stable order. */
  entries(): [string, KubeObject][] {
    return [...this.objects].filter(([k]) => !this.fixed.has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  }

  isFixed = (r: Resource, name: string): boolean => this.fixed.has(key(r, name));

  /**
   * Makes the read-only objects of `r` those given: each difference is a change with its own
   * resourceVersion, so lists and watches see rule-file edits as they see API writes.
   */
  syncFixed(r: Resource, objects: readonly KubeObject[]): void {
    const wanted = new Map(objects.map((o) => [key(r, o.metadata.name), o]));
    const bare = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
    for (const k of [...this.fixed].filter((k) => k.startsWith(`${r.plural}/`) && !wanted.has(k))) {
      this.commit({ type: 'DELETED', resource: r, rv: this.rv + 1, object: this.objects.get(k) as KubeObject });
      this.fixed.delete(k);
    }
    for (const [k, o] of wanted) {
      const current = this.objects.get(k);
      // An API object of that name cannot be in force with it (the holder refuses the pair).
      if ((current && !this.fixed.has(k)) || (current && isDeepStrictEqual(bare(current), bare(o)))) continue;
      const rv = this.rv + 1;
      this.fixed.add(k);
      this.commit({ type: current ? 'MODIFIED' : 'ADDED', resource: r, rv, object: { ...o, metadata: { ...o.metadata, resourceVersion: String(rv) } } });
    }
  }
}
