// A mirror serving one blob with configurable lies, paced so that clients can
// join a fill at any point: `wrongNearEnd` flips 16 bytes 512 KiB before its
// end (a copy found wrong only at its end, with the wrong bytes released before that), `breakAfter` cuts the body after that many bytes,
// `lieOnRange` answers a Range with the right Content-Range but wrong bytes.
// Bodies go out `step` bytes per `everyMs`. Counts blob GETs. Everything
// else is a 404.
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from '../../src/bench/loopback.js';

/** Where `wrongNearEnd` puts its wrong bytes, counted from the end. */
export const WRONG_BEFORE_END = 512 * 1024;

interface Twists {
  wrongNearEnd?: boolean;
  breakAfter?: number;
  lieOnRange?: boolean;
}

export interface TwistedMirror {
  readonly host: string;
  twists: Twists;
  readonly gets: () => number;
  stop(): Promise<void>;
}

export async function twistedMirror(content: Buffer, pace: { step: number; everyMs: number }): Promise<TwistedMirror> {
  let gets = 0;
  const mirror = { twists: {} as Twists };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || !/\/blobs\/sha256:/.test(req.url ?? '')) return void res.writeHead(404).end();
    gets++;
    const t = mirror.twists;
    let body = Buffer.from(content);
    if (t.wrongNearEnd) body.fill(0x5a, body.length - WRONG_BEFORE_END, body.length - WRONG_BEFORE_END + 16);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      body = body.subarray(start);
      if (t.lieOnRange) body = Buffer.from(body).fill(0x33, 0, Math.min(64, body.length));
      res.writeHead(206, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` });
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    }
    const stopAt = t.breakAfter !== undefined && !range ? Math.min(t.breakAfter, body.length) : body.length;
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      if (res.writableNeedDrain) return;
      const next = Math.min(offset + pace.step, stopAt);
      res.write(body.subarray(offset, next));
      offset = next;
      if (offset < stopAt) return;
      clearInterval(timer);
      if (stopAt < body.length) setTimeout(() => res.socket?.destroy(), 5);
      else res.end();
    }, pace.everyMs);
    res.on('close', () => clearInterval(timer));
  });
  const listening = await listenOnLoopback(server);
  return Object.assign(mirror, { host: listening.host, gets: () => gets, stop: listening.stop });
}
