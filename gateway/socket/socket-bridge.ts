import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type ServerOptions } from 'socket.io';
import type { Runtime } from '../../core/index.ts';
import type { RequestLimiter } from '../http/request-limiter.ts';
import { authenticateSocket } from './authenticate-socket.ts';
import { limitHandshake } from './limit-handshake.ts';
import type { BridgeServer } from './bridge-server.ts';
import { recoveryHandover } from './recovery-handover.ts';
import { SessionChannels } from './session-channels.ts';
import { SessionRooms } from './session-rooms.ts';
import { registerSocketCommands } from './socket-commands.ts';

/** How long a client whose transport dropped can come back with its rooms and missed events. */
export const RECOVERY_WINDOW_MS = 120_000;

export interface SocketBridgeOptions {
  runtime: Runtime;
  /** API key to user; empty lets every handshake in (as HTTP without API_KEYS). */
  apiKeys: ReadonlyMap<string, string>;
  logger: Logger;
  /** Origins allowed by CORS, as for HTTP: empty allows none (same origin only), `*` any. */
  corsOrigins?: readonly string[];
  /**
   * How long a session's channel (its core subscription) outlives the last member of its room.
   * Default {@link RECOVERY_WINDOW_MS}, so a recovering client misses nothing; tests pass 0.
   */
  graceMs?: number;
  /**
   * The Socket.IO adapter when several gateway nodes serve one cluster (the Redis Streams adapter);
   * default the in-memory one of a single node.
   */
  adapter?: ServerOptions['adapter'];
  /** `RATE_LIMIT`'s counter: each handshake counts once (commands do not); unset: no limit. */
  limiter?: RequestLimiter;
}

export interface SocketBridge {
  io: BridgeServer;
  /** Open session channels on this node (one core subscription each). */
  readonly channelCount: number;
  /** Releases every core subscription and closes every client connection; the HTTP server stays open. */
  close(): Promise<void>;
}

/**
 * Bridges session events to Socket.IO rooms on the gateway's HTTP server (docs/contract.md, "Socket.IO
 * protocol"): `subscribe` replays then joins room `session:<id>@<node>`, `unsubscribe` leaves it, `cancel`
 * cancels a run; every command is acked. With API keys, the handshake needs `auth: { token }` and a
 * socket reads only its user's sessions. Connection state recovery is on, so a client whose
 * transport drops briefly gets its rooms and the events it missed back.
 *
 * @example
 * ```ts
 * const bridge = attachSocketBridge(server, { runtime, apiKeys: config.API_KEYS, logger, corsOrigins: config.CORS_ORIGINS });
 * // client: io(url).emit('subscribe', { session_id, after_seq: 0 }, (ack) => …)
 * await bridge.close();
 * ```
 */
export function attachSocketBridge(server: HttpServer, options: SocketBridgeOptions): SocketBridge {
  const { runtime } = options;
  const logger = options.logger.child({ component: 'socket' });
  const io: BridgeServer = new Server(server, {
    serveClient: false,
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: true },
    ...corsOption(options.corsOrigins ?? []),
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const adapter = io.of('/').adapter;
  const rooms = new SessionRooms();
  const channels = new SessionChannels({
    events: runtime.events,
    // Through the adapter, not io.local: the broadcast gets its offset for connection state recovery.
    broadcast: (sessionId, event) => io.to(rooms.of(sessionId)).emit('session_event', event),
    members: (sessionId) => adapter.rooms.get(rooms.of(sessionId))?.size ?? 0,
    graceMs: options.graceMs ?? RECOVERY_WINDOW_MS,
    logger,
  });
  // Rooms fill and empty by subscribe, unsubscribe, disconnect and recovery alike: follow the adapter.
  // Another node's room (a connection recovered here) is the handover's to leave.
  adapter.on('create-room', (room: string) => {
    const parsed = rooms.parse(room);
    if (parsed?.own) channels.roomFilled(parsed.sessionId);
  });
  adapter.on('delete-room', (room: string) => {
    const parsed = rooms.parse(room);
    if (parsed?.own) channels.roomEmptied(parsed.sessionId);
  });
  const handover = recoveryHandover(io, { rooms, channels, logger });

  io.use(authenticateSocket(options.apiKeys));
  if (options.limiter) io.use(limitHandshake(options.limiter, { open: options.apiKeys.size === 0 }));
  io.on('connection', (socket) => {
    logger.debug(
      { socket_id: socket.id, user: socket.data.user, recovered: socket.recovered },
      'socket connected',
    );
    registerSocketCommands(socket, { runtime, channels, rooms, logger });
    handover.connected(socket);
    socket.on('disconnect', (reason) =>
      logger.debug({ socket_id: socket.id, reason }, 'socket disconnected'),
    );
  });

  let closing: Promise<void> | undefined;
  return {
    io,
    get channelCount() {
      return channels.size;
    },
    close: () =>
      (closing ??= (async () => {
        // Disconnecting empties every room; no channel should wait out its grace period after that.
        channels.close();
        // What io.close() does but closing the HTTP server, which is the platform's: it waits for every
        // connection (SSE streams too) to end. A closed transport is recoverable: clients reconnect.
        io.engine.close();
        await io.of('/').adapter.close();
      })()),
  };
}

/** Socket.IO's CORS from the HTTP setting: none when empty (same origin), any for `*`, else the list. */
function corsOption(origins: readonly string[]): Partial<ServerOptions> {
  if (origins.length === 0) return {};
  return { cors: { origin: origins.includes('*') ? '*' : [...origins] } };
}
