import { io, type Socket } from 'socket.io-client';
import type { SessionEvent } from '../../../core/index.ts';
import type {
  Ack,
  ClientToServerEvents,
  ServerToClientEvents,
  SubscribeResult,
} from '../../../gateway/socket/protocol.ts';

/** A typed Socket.IO client of the bridge. */
export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectOptions {
  token?: string;
  /** Reconnect after a dropped transport (the recovery test); off otherwise, so a failure shows. */
  reconnection?: boolean;
}

/** Every `session_event` a client received, in order, with helpers to wait for more. */
export class TestClient {
  readonly events: SessionEvent[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly socket: TestSocket) {
    socket.on('session_event', (event) => {
      this.events.push(event);
      for (const wake of this.waiters) wake();
    });
  }

  /** The events of one session. */
  of(sessionId: string): SessionEvent[] {
    return this.events.filter((event) => event.session_id === sessionId);
  }

  /** Resolves once an event matches (looking at those already received too). */
  async until(matches: (event: SessionEvent) => boolean, timeoutMs = 10_000): Promise<SessionEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(matches);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching session_event after ${timeoutMs} ms (${this.events.length} received, last seq ${this.events.at(-1)?.seq})`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 200));
        const waiters = this.waiters;
        function done() {
          clearTimeout(timer);
          const at = waiters.indexOf(done);
          if (at >= 0) waiters.splice(at, 1);
          resolve();
        }
        waiters.push(done);
      });
    }
  }

  subscribe(session_id: string, after_seq?: number): Promise<Ack<SubscribeResult>> {
    const payload = after_seq === undefined ? { session_id } : { session_id, after_seq };
    return this.socket.timeout(10_000).emitWithAck('subscribe', payload);
  }

  unsubscribe(session_id: string): Promise<Ack> {
    return this.socket.timeout(10_000).emitWithAck('unsubscribe', { session_id });
  }

  /** Sends anything under a command's name (bad payloads), acked. */
  raw(command: string, ...args: unknown[]): Promise<unknown> {
    return (this.socket as unknown as Socket).timeout(10_000).emitWithAck(command, ...args);
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** A connected client (websocket transport, a connection of its own); rejects with the `connect_error`. */
export async function connectClient(url: string, options: ConnectOptions = {}): Promise<TestClient> {
  const socket: TestSocket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: options.reconnection ?? false,
    reconnectionDelay: 50,
    randomizationFactor: 0,
    auth: options.token === undefined ? {} : { token: options.token },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.disconnect();
      reject(error);
    });
  });
  return new TestClient(socket);
}

/** Asserts a run of events is exactly `from`, `from + 1`, … `to`: no gap, no duplicate. */
export function seqsOf(events: readonly SessionEvent[]): number[] {
  return events.map((event) => event.seq);
}

/** `[from, from + 1, …, to]`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** Polls `check` until it holds (for effects of a disconnect the server sees a little later). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Connects clients to `url()` and remembers them, so a test file closes them all in one call.
 *
 * @example
 * ```ts
 * const clients = trackedClients(() => gw().url);
 * afterEach(() => clients.closeAll());
 * const c = await clients.connect();
 * ```
 */
export function trackedClients(url: () => string) {
  const open: TestClient[] = [];
  return {
    async connect(token?: string): Promise<TestClient> {
      const connected = await connectClient(url(), token === undefined ? {} : { token });
      open.push(connected);
      return connected;
    },
    closeAll(): void {
      for (const connected of open.splice(0)) connected.close();
    },
  };
}
