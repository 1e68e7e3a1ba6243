// The latest pulls and failovers, for the status page: fixed-size rings,
// newest first. Entries hold what the page shows and nothing more.
export interface RecentPull {
  /** Wall-clock ms. */
  readonly at: number;
  readonly reqId: string;
  readonly route: 'manifests' | 'blobs';
  /** The logical image as resolved (`registry/repo:tag` or `@digest`). */
  readonly image: string;
  readonly client: string;
  readonly userAgent: string;
  readonly code: number;
  readonly servedBy?: string;
  readonly cache?: string;
  readonly ms: number;
  readonly bytes: number;
}

export interface Failover {
  readonly at: number;
  readonly reqId: string;
  readonly image: string;
  /** The attempts that did not serve, in order. */
  readonly failed: readonly { readonly endpoint: string; readonly outcome: string }[];
  readonly servedBy: string;
}

/** A ring of the last `size` items: adding one costs the same however full it is (one is added per request). */
class Ring<T> {
  private readonly items: T[] = [];
  /** Where the next item goes once the ring is full (the oldest item's slot). */
  private next = 0;
  constructor(private readonly size: number) {}

  add(item: T): void {
    if (this.items.length < this.size) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.size;
  }

  /** Newest first. */
  list(): readonly T[] {
    const { items, next } = this;
    const oldestFirst = items.length < this.size ? items : [...items.slice(next), ...items.slice(0, next)];
    return oldestFirst.slice().reverse();
  }
}

export class RecentPulls {
  readonly pulls: Ring<RecentPull>;
  readonly failovers: Ring<Failover>;

  constructor(pulls = 300, failovers = 20) {
    this.pulls = new Ring(pulls);
    this.failovers = new Ring(failovers);
  }
}
