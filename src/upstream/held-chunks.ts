// Chunks of an upstream body held in memory in order (a batch collected
// while the consumer waits, a blob verified before it is served).
// An upstream decides how its body is cut: one byte per HTTP chunk makes one
// Buffer object (~100 bytes of heap) per byte held. Small chunks are copied
// together into slabs as they arrive, so what is held stays a small multiple
// of its bytes whatever the cut; large chunks are kept as they are (no copy
// on the usual 16-64 KiB path).

/** Chunks below this are copied into a slab rather than held each as its own Buffer. */
export const SMALL_CHUNK = 4 * 1024;
const SLAB_BYTES = 64 * 1024;

export class HeldChunks {
  /** Bytes held. */
  bytes = 0;
  private chunks: Buffer[] = [];
  private slab: Buffer | undefined;
  private slabUsed = 0;

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (chunk.length >= SMALL_CHUNK) {
      this.seal();
      this.chunks.push(chunk);
      return;
    }
    if (this.slab && this.slabUsed + chunk.length > this.slab.length) this.seal();
    if (!this.slab) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.slabUsed = 0;
    }
    this.slabUsed += chunk.copy(this.slab, this.slabUsed);
  }

  /** The first chunk held (the current slab once it is all that is left), or undefined when nothing is. */
  shift(): Buffer | undefined {
    if (this.chunks.length === 0) this.seal();
    const chunk = this.chunks.shift();
    if (chunk) this.bytes -= chunk.length;
    return chunk;
  }

  /** Everything held, in order; holds nothing after. */
  take(): Buffer[] {
    this.seal();
    const chunks = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return chunks;
  }

  /** Ends the current slab; a mostly empty one is copied to its size, not kept whole behind a view. */
  private seal(): void {
    const slab = this.slab;
    this.slab = undefined;
    if (!slab || this.slabUsed === 0) return;
    const used = slab.subarray(0, this.slabUsed);
    this.chunks.push(this.slabUsed * 2 >= slab.length ? used : Buffer.from(used));
  }
}
