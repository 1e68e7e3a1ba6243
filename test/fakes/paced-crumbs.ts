// A mirror that answers every blob GET with `content`, declared by its
// length, one byte per socket write, each write a turn of its own (paced by
// setImmediate, waiting for its own socket to drain): the proxy's body
// parser gets one tiny chunk per read, which its read-side batching cannot
// pack. A Range `bytes=a-b` gets a 206 the same way. Counts the bytes it
// sent. Everything else is a 404.
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
    // A Range `bytes=a-b` gets its 206, paced the same way.
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const [start, end] = range ? [Number(range[1]), Math.min(Number(range[2]), content.length - 1)] : [0, content.length - 1];
    const extra = range ? { 'content-range': `bytes ${start}-${end}/${content.length}` } : {};
    res.writeHead(range ? 206 : 200, { 'content-type': 'application/octet-stream', 'content-length': end - start + 1, ...extra });
    res.flushHeaders();
    let offset = start;
    const next = (): void => {
      if (res.destroyed) return;
      if (offset > end) return void res.end();
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
