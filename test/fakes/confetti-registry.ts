// A mirror that answers every blob GET with `content` in HTTP/1.1 chunked
// encoding, one payload byte per chunk ("1\r\nX\r\n"), written to its socket
// as one prebuilt buffer: the proxy's parser sees tens of thousands of body
// chunks per socket read, while this fake holds only one buffer. A Range
// `bytes=a-b` gets a 206 with its Content-Range, chunked the same way.
// Everything else is a 404.
import { createServer, type Socket } from 'node:net';

export interface ConfettiRegistry {
  readonly host: string;
  /** Blob GETs answered. */
  readonly requests: () => number;
  stop(): Promise<void>;
}

export async function confettiRegistry(content: Buffer): Promise<ConfettiRegistry> {
  const frames = Buffer.alloc(content.length * 6);
  for (let i = 0; i < content.length; i++) {
    const at = i * 6;
    frames[at] = 0x31; // "1"
    frames[at + 1] = 0x0d;
    frames[at + 2] = 0x0a;
    frames[at + 3] = content[i] as number;
    frames[at + 4] = 0x0d;
    frames[at + 5] = 0x0a;
  }
  const head = (status: string, extra = '') => `HTTP/1.1 ${status}\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n${extra}connection: close\r\n\r\n`;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let text = '';
    const onData = (data: Buffer) => {
      text += data.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const line = text.slice(0, text.indexOf('\r\n'));
      if (!/^GET \S*\/blobs\/sha256:/.test(line)) return void socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      requests++;
      const range = /\r\nrange: *bytes=(\d+)-(\d+)\r\n/i.exec(text);
      if (range) {
        const [start, end] = [Number(range[1]), Math.min(Number(range[2]), content.length - 1)];
        socket.write(head('206 Partial Content', `content-range: bytes ${start}-${end}/${content.length}\r\n`));
        socket.write(frames.subarray(start * 6, (end + 1) * 6));
      } else {
        socket.write(head('200 OK'));
        socket.write(frames);
      }
      socket.end('0\r\n\r\n');
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
