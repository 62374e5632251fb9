import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.ts';

/** What the bridge keeps on each socket (restored with the connection state on recovery). */
export interface SocketData {
  /** The API key's user; null when the gateway runs without API_KEYS. */
  user: string | null;
}

/** No events travel between gateway nodes yet (the Redis adapter will carry room broadcasts). */
export type InterServerEvents = Record<string, never>;

/** The typed Socket.IO server of the bridge. */
export type BridgeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** One client connection of {@link BridgeServer}. */
export type BridgeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
