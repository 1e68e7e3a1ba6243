// A mirror that makes the proxy's body reader work: answers every blob GET with `content`
// declared by its length, written in chunks whose sizes cycle through
// `sizes` (1 byte, then 64 KiB, then 3 bytes...), yielding a turn every
// chunk and sleeping `pauseMs` every `pauseEvery` chunks, so the proxy's
// body reader sees every mix of tiny and large chunks arrive while its
// consumers wait and resume. With `flipAt`, the byte at that offset is sent
// wrong (the length stays right): only the digest check can tell.
import { createServer, type Socket } from 'node:net';

export interface MixedChunks {
  readonly host: string;
  readonly gets: () => number;
  stop(): Promise<void>;
}

export async function mixedChunks(content: Buffer, opts: { sizes: number[]; pauseEvery: number; pauseMs: number; flipAt?: number }): Promise<MixedChunks> {
  const body = Buffer.from(content);
  if (opts.flipAt !== undefined) body[opts.flipAt] = (body[opts.flipAt] as number) ^ 0x5a;
  let gets = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (d) => {
      const line = d.toString('latin1').split('\r\n')[0] ?? '';
      if (!/^GET \S*\/blobs\/sha256:/.test(line)) return void socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      gets++;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
      let at = 0;
      let n = 0;
      const next = (): void => {
        if (socket.destroyed) return;
        if (at >= body.length) return void socket.end();
        const size = opts.sizes[n % opts.sizes.length] as number;
        const ok = socket.write(body.subarray(at, at + size));
        at += size;
        n++;
        const go = () => (n % opts.pauseEvery === 0 ? setTimeout(next, opts.pauseMs) : setImmediate(next));
        if (ok) go();
        else socket.once('drain', go);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    gets: () => gets,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
