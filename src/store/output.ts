/** Where a blob response goes; the server adapts its ServerResponse to this. */
export interface BlobOutput {
  /** `servedBy` names where the bytes come from: an endpoint's reference, or the cache. */
  start(status: number, headers: Record<string, string>, servedBy: string): void;
  /** Undefined when the chunk was taken at once, else a promise that resolves when it is (backpressure). */
  write(chunk: Buffer): Promise<void> | undefined;
  /**
   * Writes the chunks as one (a writev): like `write`, undefined when the
   * socket took them at once, else a promise resolved once it did.
   */
  writeAll?(chunks: Buffer[]): Promise<void> | undefined;
  /** Resolves once the chunk left the process, so its buffer may be reused. */
  writeFlushed?(chunk: Buffer): Promise<void>;
  /**
   * The most one write may carry, where the send timeout sees only whole
   * writes taken; undefined where it sees a client take part of one.
   */
  readonly largestWrite?: number;
  /**
   * Undefined when the response owns its connection, else a promise resolved
   * once it does (a pipelined response queued behind those before it).
   */
  owned?(): Promise<void> | undefined;
  end(): void;
  /** Breaks the response so the client never sees a clean end of wrong or partial bytes. */
  destroy(reason: Error): void;
}
