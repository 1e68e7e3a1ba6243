// A mirror that answers blob GETs at once, with the full length, and then
// sends the body `bytes` at a time every `everyMs`: a few bytes make a
// hostile drip (slow enough to be useless, fast enough that an idle timeout
// never fires), large steps a plain fast server. It counts requests and
// connections. Everything else is a 404.
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from '../../src/bench/loopback.js';

export interface DripRegistry {
  readonly host: string;
  /** Blob GETs received. */
  readonly requests: () => number;
  /** Connections still open. */
  readonly openSockets: () => number;
  /**
   * The most blob responses in flight at once: the bound of a client's pool.
   * (Not connections open at once: a connection the client closed counts
   * until this side saw the close, maybe beside the one opened in its place.)
   */
  readonly peakResponses: () => number;
  /** Blob responses whose connection closed before the whole body was sent. */
  readonly abandoned: () => number;
  stop(): Promise<void>;
}

export async function dripRegistry(content: Buffer, options: { bytes: number; everyMs: number }): Promise<DripRegistry> {
  let requests = 0;
  let active = 0;
  let peakActive = 0;
  let abandoned = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || !/\/blobs\/sha256:/.test(req.url ?? '')) return void res.writeHead(404).end();
    requests++;
    peakActive = Math.max(peakActive, ++active);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length });
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed || res.writableNeedDrain) return;
      res.write(content.subarray(offset, offset + options.bytes));
      offset += options.bytes;
      if (offset >= content.length) {
        clearInterval(timer);
        res.end();
      }
    }, options.everyMs);
    res.on('close', () => {
      active--;
      clearInterval(timer);
      if (!res.writableFinished) abandoned++;
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    host: listening.host,
    requests: () => requests,
    openSockets: () => listening.sockets.size,
    peakResponses: () => peakActive,
    abandoned: () => abandoned,
    stop: listening.stop,
  };
}
