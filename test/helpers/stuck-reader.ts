import { connect, type Socket } from 'node:net';

/**
 * A client that asks `url` + `path`, reads the first bytes of its answer (so
 * the answer has begun), then never reads again; its socket is added to
 * `sockets` for the test to destroy. Resolves once it has those bytes.
 */
export function stuckReader(url: string, path: string, sockets: Socket[]): Promise<void> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  socket.on('error', () => {});
  sockets.push(socket);
  return new Promise((resolve) => socket.once('data', () => resolve(void socket.pause())));
}
