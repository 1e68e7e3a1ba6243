// A registry that lies about blobs in the ways a broken or hostile mirror
// does: wrong bytes, short bodies, lying Content-Length and Content-Range,
// HEAD answers for another digest, 206 of the whole blob with wrong bytes,
// bodies of unknown length. Each request is answered by `answer`; requests
// are counted.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback, type Listening } from '../../src/bench/loopback.js';

export type Answer = (req: IncomingMessage, res: ServerResponse, digest: string) => void;

export class LyingBlobs {
  readonly requests: { method: string; url: string; range?: string }[] = [];
  host = '';
  private listening: Listening | undefined;

  constructor(public answer: Answer) {}

  async start(): Promise<this> {
    this.listening = await listenOnLoopback(createServer((req, res) => {
      this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', ...(req.headers.range ? { range: req.headers.range } : {}) });
      const m = /\/blobs\/([^/?]+)$/.exec(req.url ?? '');
      if (!m) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}');
      this.answer(req, res, m[1] as string);
    }));
    this.host = this.listening.host;
    return this;
  }

  count(fragment: string, method?: string): number {
    return this.requests.filter((r) => r.url.includes(fragment) && (method === undefined || r.method === method)).length;
  }

  async stop(): Promise<void> {
    await this.listening?.stop();
  }
}

/** Serves `content` for every blob, honestly or with the lie given. */
export function serving(content: Buffer, lie: { wrong?: boolean; length?: number; contentRange?: string; status?: number; digest?: string; noLength?: boolean } = {}): Answer {
  return (req, res, digest) => {
    const body = lie.wrong ? Buffer.from(content).fill(0x41, 0, 16) : content;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'docker-content-digest': lie.digest ?? digest };
    if (!lie.noLength) headers['content-length'] = lie.length ?? body.length;
    if (lie.contentRange) headers['content-range'] = lie.contentRange;
    res.writeHead(lie.status ?? (lie.contentRange ? 206 : 200), headers);
    if (req.method === 'HEAD') return void res.end();
    if (lie.length !== undefined && lie.length > body.length) {
      // Declares more than it sends: the connection closes short.
      res.write(body, () => res.socket?.destroy());
      return;
    }
    res.end(lie.length !== undefined ? body.subarray(0, lie.length) : body);
  };
}
