import type { Logger } from 'pino';
import type { SessionEvent } from '../../core/index.ts';
import type { BridgeServer, BridgeSocket, SocketData } from './bridge-server.ts';
import { channelMember } from './channel-member.ts';
import type { SessionChannels } from './session-channels.ts';
import type { SessionRooms } from './session-rooms.ts';

export interface RecoveryHandoverDeps {
  rooms: SessionRooms;
  channels: SessionChannels;
  logger: Logger;
}

/**
 * Lets a client recover its connection on another node than the one it left, with no gap and no
 * duplicate. Socket.IO's connection state recovery (through the Redis Streams adapter) restores the
 * socket's rooms and data on any node and replays the room broadcasts it missed; but the rooms are
 * the old node's (`session:<id>@<old>`), whose channel stops once its grace period ends. So:
 *
 * 1. on disconnect, the socket's data keeps, per session, the seq its node had broadcast;
 * 2. when recovery restores the session, the seqs of the missed events it replays raise those cursors;
 * 3. the recovered socket leaves each other node's room (before any further broadcast can reach it,
 *    in the same tick) and subscribes through this node's channel from its cursor: the replay sends
 *    what came after, then it joins this node's room.
 *
 * @example
 * ```ts
 * const handover = recoveryHandover(io, { rooms, channels, logger });
 * io.on('connection', (socket) => handover.connected(socket));
 * ```
 */
export function recoveryHandover(
  io: BridgeServer,
  deps: RecoveryHandoverDeps,
): { connected(socket: BridgeSocket): void } {
  const { rooms, channels, logger } = deps;
  const adapter = io.of('/').adapter;
  const restore = adapter.restoreSession.bind(adapter);
  adapter.restoreSession = async (pid, offset) => {
    const session = await restore(pid, offset);
    // The adapter's declared type says Session; the in-memory one answers null when it has none.
    if (session) raiseCursors(session.data as SocketData, session.missedPackets);
    return session;
  };

  return {
    connected(socket) {
      socket.on('disconnecting', () => {
        for (const room of socket.rooms) {
          const parsed = rooms.parse(room);
          const cursor = parsed?.own ? channels.cursorOf(parsed.sessionId) : null;
          if (parsed && cursor !== null) raise(socket.data, parsed.sessionId, cursor);
        }
      });
      if (!socket.recovered) return;
      for (const room of [...socket.rooms]) {
        const parsed = rooms.parse(room);
        if (!parsed || parsed.own) continue;
        void socket.leave(room);
        const after = socket.data.cursors?.[parsed.sessionId] ?? 0;
        channels
          .subscribe(parsed.sessionId, channelMember(socket, rooms.of(parsed.sessionId)), after)
          .catch((error: unknown) =>
            logger.warn(
              { err: error, socket_id: socket.id, session_id: parsed.sessionId },
              'a recovered socket could not resume its session here; it must subscribe again',
            ),
          );
      }
    },
  };
}

function raiseCursors(data: SocketData, missedPackets: readonly unknown[][]): void {
  for (const packet of missedPackets) {
    if (packet[0] !== 'session_event') continue;
    const event = packet[1] as Partial<SessionEvent> | undefined;
    if (typeof event?.session_id === 'string' && typeof event.seq === 'number')
      raise(data, event.session_id, event.seq);
  }
}

function raise(data: SocketData, sessionId: string, seq: number): void {
  const cursors = (data.cursors ??= {});
  cursors[sessionId] = Math.max(cursors[sessionId] ?? 0, seq);
}
