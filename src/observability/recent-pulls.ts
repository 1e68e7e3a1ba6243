/** The latest pulls, for the status page: a fixed-size ring, newest first. */
export interface RecentPull {
  readonly at: number;
  readonly image: string;
  readonly status: number;
  readonly servedBy?: string;
  readonly ms: number;
}

export class RecentPulls {
  private readonly items: RecentPull[] = [];
  constructor(private readonly size = 50) {}

  add(pull: RecentPull): void {
    this.items.unshift(pull);
    if (this.items.length > this.size) this.items.pop();
  }

  list(): readonly RecentPull[] {
    return this.items;
  }
}
