import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { SessionEvent } from '../../core/index.ts';
import { RECOVERY_WINDOW_MS } from '../../gateway/socket/socket-bridge.ts';

export interface BareSocketServer {
  url: string;
  /** `io.to(room).emit('session_event', event)`: what the bridge does per event, with nothing around it. */
  emit(room: string, event: SessionEvent): void;
  close(): Promise<void>;
}

/**
 * The baseline of the fan-out bench: a bare Socket.IO server with the bridge's server options
 * (connection state recovery on, so both store each packet for recovery), where a client joins a
 * room by sending `join` with the room's name.
 */
export async function startBareSocketServer(): Promise<BareSocketServer> {
  const server = createServer();
  const io = new Server(server, {
    serveClient: false,
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: true },
  });
  io.on('connection', (socket) => {
    socket.on('join', (room: unknown, ack: unknown) => {
      if (typeof room === 'string') void socket.join(room);
      if (typeof ack === 'function') (ack as (result: { ok: boolean }) => void)({ ok: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    emit: (room, event) => void io.to(room).emit('session_event', event),
    close: () => io.close(),
  };
}
