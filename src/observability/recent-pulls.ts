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

class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly size: number) {}

  add(item: T): void {
    this.items.unshift(item);
    if (this.items.length > this.size) this.items.pop();
  }

  list(): readonly T[] {
    return this.items;
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
