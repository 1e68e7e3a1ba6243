// A client that asks for `path` over a raw socket and reads its answer
// in fits, pausing `pauseMs` after every `burst` socket reads, so the proxy's
// sender waits and resumes at every boundary. Reports whether the answer
// ended cleanly (the whole declared length, then the end of the connection).
import { connect } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly declared: number;
  readonly body: Buffer;
  /** The whole declared length arrived and the connection then ended without error. */
  readonly clean: boolean;
}

export function rawRead(url: string, path: string, opts: { range?: string; burst: number; pauseMs: number; boundMs: number }): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let errored = false;
    let reads = 0;
    const socket = connect(Number(port), hostname, () =>
      socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\nconnection: close\r\n${opts.range ? `range: ${opts.range}\r\n` : ''}\r\n`),
    );
    const bound = setTimeout(() => socket.destroy(new Error('bound')), opts.boundMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (++reads % opts.burst === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), opts.pauseMs);
      }
    });
    socket.on('error', () => (errored = true));
    socket.on('close', () => {
      clearTimeout(bound);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, Math.max(0, end)).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0);
      const declared = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? -1);
      const body = end < 0 ? Buffer.alloc(0) : all.subarray(end + 4);
      resolve({ status, declared, body, clean: !errored && end >= 0 && body.length === declared });
    });
  });
}
