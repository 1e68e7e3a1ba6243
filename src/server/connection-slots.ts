// server.max_connections, counted here rather than by Node's `maxConnections`,
// which drops every new connection while idle keep-alive ones hold the slots:
// a client that made one request on each of them and sits idle would lock
// every node out. At the limit the connection idle longest gives way, as
// nginx reuses idle keep-alive connections when it runs out of them
// (ngx_drain_connections); a new connection is closed unanswered only when
// every slot is busy. A connection that has not had an answer yet is busy:
// silent ones are cut by the headers timeout instead.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Slot {
  readonly socket: Socket;
  busy: number;
}

// The raw socket and, over TLS, the TLS socket a request arrives on share the peer's address and port.
const peerOf = (socket: Socket): string => `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;

export function limitConnections(server: Server, max: number): void {
  const slots = new Map<string, Slot>();
  /** Idle keep-alive connections, idle longest first (a Map keeps insertion order). */
  const idle = new Map<string, Slot>();
  server.on('connection', (socket: Socket) => {
    if (slots.size >= max) {
      const [peer, oldest] = idle.entries().next().value ?? [];
      if (peer === undefined || oldest === undefined) return void socket.destroy();
      idle.delete(peer);
      slots.delete(peer);
      oldest.socket.destroy();
    }
    const peer = peerOf(socket);
    // Not idle (so not evictable) until its first answer is done.
    slots.set(peer, { socket, busy: 0 });
    socket.once('close', () => {
      if (slots.get(peer)?.socket === socket) slots.delete(peer);
      if (idle.get(peer)?.socket === socket) idle.delete(peer);
    });
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const peer = peerOf(req.socket);
    const slot = slots.get(peer);
    if (!slot) return;
    idle.delete(peer);
    slot.busy++;
    res.once('close', () => {
      slot.busy--;
      if (slot.busy === 0 && !slot.socket.destroyed && slots.get(peer) === slot) idle.set(peer, slot);
    });
  });
}
