// Bounded label values for upstream endpoints. With `upstream.open = true` or
// a wildcard in `upstream.allow`, clients choose which hosts are contacted,
// so a label per host would let them grow /metrics without bound (3,000
// ports once made 3,001 series). The first `max` endpoints keep their own
// value (those the rules name are seeded first); the rest fold into `other`,
// as Prometheus' own guidance on unbounded label values suggests.
export const OTHER = 'other';

export class EndpointLabels {
  private readonly known = new Set<string>();

  constructor(readonly max: number) {}

  /** Gives the endpoints the rules name their own label first, while room is left. */
  seed(endpoints: Iterable<string>): void {
    for (const e of endpoints) if (this.known.size < this.max) this.known.add(e);
  }

  label(endpoint: string): string {
    if (this.known.has(endpoint)) return endpoint;
    if (this.known.size >= this.max) return OTHER;
    this.known.add(endpoint);
    return endpoint;
  }

  /** Whether `endpoint` has a label of its own (without claiming one). */
  has(endpoint: string): boolean {
    return this.known.has(endpoint);
  }
}
