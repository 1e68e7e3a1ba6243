// The memory every disk-cache fill holds at once, bounded over all fills.
// Each fill keeps its latest released chunks in memory for the readers that
// keep up (fill.ts, at most LIVE_WINDOW_BYTES each), so N concurrent fills of
// different blobs would hold N windows. A fill asks here before holding a
// chunk; when the bound is reached it holds none, and its readers read the
// file instead (the chunk is released to them only once it is written).
// Reported as mirrorgate_blob_fill_memory_bytes.

export class FillMemory {
  private held = 0;
  private most = 0;

  constructor(
    /** The bound over all fills, in bytes (cache.blobs.max_fill_memory_bytes). */
    readonly limit: number,
    private readonly report: (bytes: number) => void = () => {},
  ) {}

  /** Takes `bytes` when they fit under the bound; false (nothing taken) otherwise. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    this.most = Math.max(this.most, this.held);
    this.report(this.held);
    return true;
  }

  free(bytes: number): void {
    if (bytes === 0) return;
    this.held -= bytes;
    this.report(this.held);
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /** The most ever held at once (tests read it). */
  get peak(): number {
    return this.most;
  }
}
