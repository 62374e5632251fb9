import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../gateway/socket/protocol.ts';
import type { SessionEvent } from './types.ts';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface FeedCallbacks {
  /** Events were added, the connection changed, or a subscription failed: render again. */
  changed(): void;
}

/**
 * The live event logs of the sessions the page follows, over the Socket.IO protocol.
 *
 * The one rule that keeps a log gap-free and duplicate-free: remember the last seq per session;
 * when a connection comes up that Socket.IO could not recover, subscribe again with
 * `after_seq = lastSeq` (the server replays what was missed, then goes on live); and drop any event
 * at or below `lastSeq`, whichever path it came by.
 *
 * @example
 * ```ts
 * const feed = new SessionFeed(() => localStorage.getItem('key') ?? '', { changed: render });
 * feed.follow(sessionId); // history from seq 1, then live
 * feed.events(sessionId); // what has arrived so far, in seq order
 * ```
 */
export class SessionFeed {
  readonly #socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly #logs = new Map<string, SessionEvent[]>();
  readonly #followed = new Set<string>();
  /** Sessions subscribed on this connection (kept when Socket.IO recovers it). */
  readonly #joined = new Set<string>();
  readonly #errors = new Map<string, string>();
  readonly #callbacks: FeedCallbacks;
  #state: ConnectionState = 'connecting';
  #connectError = '';

  constructor(token: () => string, callbacks: FeedCallbacks) {
    this.#callbacks = callbacks;
    // `auth` as a function: a new API key applies at the next (re)connect without a new socket.
    this.#socket = io({ auth: (send) => send(token() ? { token: token() } : {}) });
    this.#socket.on('connect', () => {
      this.#state = 'connected';
      this.#connectError = '';
      // A recovered connection kept its rooms and got the missed packets: nothing to replay. A new
      // one has no rooms: every followed session is subscribed again, after its last seq.
      if (!this.#socket.recovered) this.#joined.clear();
      this.#sync();
      this.#callbacks.changed();
    });
    this.#socket.on('disconnect', () => {
      this.#state = 'disconnected';
      this.#callbacks.changed();
    });
    this.#socket.on('connect_error', (error) => {
      this.#state = 'disconnected';
      this.#connectError = error.message;
      this.#callbacks.changed();
    });
    this.#socket.on('session_event', (event) => this.#accept(event));
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the last connection attempt failed (e.g. `invalid API key`), or empty. */
  get connectError(): string {
    return this.#connectError;
  }

  /** Starts (or resumes, after the last seq seen) the live log of a session. */
  follow(sessionId: string): void {
    if (this.#followed.has(sessionId)) return;
    this.#followed.add(sessionId);
    this.#errors.delete(sessionId);
    // While disconnected, the `connect` handler syncs; emitting now would be buffered and sent twice.
    if (this.#socket.connected) this.#sync();
  }

  unfollow(sessionId: string): void {
    if (!this.#followed.delete(sessionId)) return;
    if (this.#socket.connected) this.#sync();
  }

  events(sessionId: string): readonly SessionEvent[] {
    return this.#logs.get(sessionId) ?? [];
  }

  lastSeq(sessionId: string): number {
    return this.#logs.get(sessionId)?.at(-1)?.seq ?? 0;
  }

  /** Why following the session failed (e.g. not found, not yours), or empty. */
  error(sessionId: string): string {
    return this.#errors.get(sessionId) ?? '';
  }

  /** Connects again, e.g. with a new API key; the logs resume from their last seq. */
  reconnect(): void {
    this.#socket.disconnect().connect();
  }

  close(): void {
    this.#socket.close();
  }

  /** Makes the rooms of this connection match the followed sessions. */
  #sync(): void {
    for (const sessionId of this.#followed) if (!this.#joined.has(sessionId)) this.#subscribe(sessionId);
    for (const sessionId of this.#joined)
      if (!this.#followed.has(sessionId)) {
        this.#joined.delete(sessionId);
        this.#socket.emit('unsubscribe', { session_id: sessionId }, () => undefined);
      }
  }

  #subscribe(sessionId: string): void {
    const afterSeq = this.lastSeq(sessionId);
    this.#joined.add(sessionId);
    this.#socket.emit('subscribe', { session_id: sessionId, after_seq: afterSeq }, (ack) => {
      if (!ack.ok) {
        this.#joined.delete(sessionId);
        this.#errors.set(sessionId, ack.error.message);
      } else if (!ack.recovered)
        this.#errors.set(sessionId, `events after #${afterSeq} are no longer stored: the timeline has a gap`);
      else this.#errors.delete(sessionId);
      this.#callbacks.changed();
    });
  }

  #accept(event: SessionEvent): void {
    // Rooms already isolate sessions; this also drops stragglers of a session just unfollowed.
    if (!this.#followed.has(event.session_id)) return;
    if (event.seq <= this.lastSeq(event.session_id)) return;
    const log = this.#logs.get(event.session_id) ?? [];
    log.push(event);
    this.#logs.set(event.session_id, log);
    this.#callbacks.changed();
  }
}
