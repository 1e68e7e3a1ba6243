import { ownFailure } from './failure.js';

/** Reads a body whole, refusing more than `limit` bytes (manifests, tokens, error bodies). */
export async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy?.();
      // mirrorgate's own bound, not a fault of the endpoint (failure.ts ENDPOINT_FAILURES).
      throw ownFailure('declined', `response body larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
