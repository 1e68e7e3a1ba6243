// A mirror that serves one blob of `size` bytes (a repeated pattern, so a
// large blob costs no memory here) as fast as its socket takes it, and counts
// the bytes its socket handed to the kernel: how far a proxy let the upstream
// run ahead of a client. The digest is never checked here: a test using it
// watches a stream that must never reach its end. Everything else is a 404.
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from '../../src/bench/loopback.js';

export interface TallyRegistry {
  readonly host: string;
  /** Body bytes the socket took, over every response. */
  readonly sent: () => number;
  /** Responses whose whole body was taken. */
  readonly completed: () => number;
  stop(): Promise<void>;
}

const STEP = 64 * 1024;

export async function tallyRegistry(size: number): Promise<TallyRegistry> {
  const pattern = Buffer.alloc(STEP, 0x5a);
  let sent = 0;
  let completed = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || !/\/blobs\/sha256:/.test(req.url ?? '')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    let offset = 0;
    const pump = (): void => {
      while (offset < size && !res.destroyed) {
        const chunk = pattern.subarray(0, Math.min(STEP, size - offset));
        offset += chunk.length;
        const more = res.write(chunk, (err) => {
          if (!err) sent += chunk.length;
        });
        if (!more) return void res.once('drain', pump);
      }
      if (offset >= size) res.end(() => completed++);
    };
    pump();
  });
  const listening = await listenOnLoopback(server);
  return { host: listening.host, sent: () => sent, completed: () => completed, stop: listening.stop };
}
