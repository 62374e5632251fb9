import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.ts';

/** What the bridge keeps on each socket (restored with the connection state on recovery). */
export interface SocketData {
  /** The API key's user; null when the gateway runs without API_KEYS. */
  user: string | null;
  /**
   * Per session, the seq up to which this socket had every event when its connection dropped (set
   * on disconnect, raised by the events recovery brings back): where another node resumes it.
   */
  cursors?: Record<string, number>;
}

/** The bridge sends nothing of its own between nodes: the adapter carries room broadcasts. */
export type InterServerEvents = Record<string, never>;

/** The typed Socket.IO server of the bridge. */
export type BridgeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** One client connection of {@link BridgeServer}. */
export type BridgeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
