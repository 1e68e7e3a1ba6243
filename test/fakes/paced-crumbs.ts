// A mirror that answers every blob GET with `content`, declared by its
// length, one byte per socket write, each write a turn of its own (paced by
// setImmediate, waiting for its own socket to drain): the proxy's body
// parser gets one tiny chunk per read, which its read-side batching cannot
// pack. Counts the bytes it sent. Everything else is a 404.
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../src/bench/loopback.js';

export interface PacedCrumbs {
  readonly host: string;
  /** Body bytes written so far. */
  readonly sent: () => number;
  stop(): Promise<void>;
}

export async function pacedCrumbs(content: Buffer): Promise<PacedCrumbs> {
  let sent = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || !/\/blobs\/sha256:/.test(req.url ?? '')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length });
    res.flushHeaders();
    let offset = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (offset >= content.length) return void res.end();
      const more = res.write(content.subarray(offset, offset + 1));
      offset++;
      sent++;
      if (more) setImmediate(next);
      else res.once('drain', next);
    };
    next();
  });
  const listening = await listenOnLoopback(server);
  return { host: listening.host, sent: () => sent, stop: listening.stop };
}
