import type { Logger } from 'pino';
import type { EventHub, SessionEvent } from '../../core/index.ts';
import { SessionChannel, type ChannelMember } from './session-channel.ts';

export interface SessionChannelsOptions {
  events: Pick<EventHub, 'events$' | 'stored$' | 'history'>;
  /** Emits one event to every member of the session's room on this node. */
  broadcast(sessionId: string, event: SessionEvent): void;
  /** How many sockets of this node are in the session's room. */
  members(sessionId: string): number;
  /** How long a channel outlives its last member (a client recovering its connection rejoins within it). */
  graceMs: number;
  logger: Logger;
}

interface Entry {
  channel: SessionChannel;
  /** Subscribes under way: the channel stays while any is (its member has not joined yet). */
  pending: number;
  closeTimer: NodeJS.Timeout | undefined;
}

/**
 * The open {@link SessionChannel}s of this node, one per session with members: opened by the first
 * subscribe (or by a recovered connection rejoining a room), closed `graceMs` after the room empties.
 * The bridge tells it when rooms are created and deleted (the adapter's events), so members who leave
 * by unsubscribe, disconnect or a dropped transport are all counted the same way.
 *
 * @example
 * ```ts
 * const channels = new SessionChannels({ events: runtime.events, broadcast, members, graceMs: 120_000, logger });
 * const lastSeq = await channels.subscribe(sessionId, member, 0);
 * adapter.on('delete-room', (room) => channels.roomEmptied(sessionIdOf(room)));
 * ```
 */
export class SessionChannels {
  private readonly entries = new Map<string, Entry>();
  private closing = false;

  constructor(private readonly options: SessionChannelsOptions) {}

  /** Replays then joins `member` through the session's channel (opened if needed); resolves with the seq it has up to. */
  async subscribe(sessionId: string, member: ChannelMember, afterSeq: number): Promise<number> {
    const entry = this.entry(sessionId);
    entry.pending += 1;
    this.cancelClose(entry);
    try {
      return await entry.channel.subscribe(member, afterSeq);
    } finally {
      entry.pending -= 1;
      this.release(sessionId, entry);
    }
  }

  /** A socket joined the session's empty room: keep its channel, or open one for a recovered connection. */
  roomFilled(sessionId: string): void {
    if (this.closing) return;
    const existing = this.entries.get(sessionId);
    if (existing) return this.cancelClose(existing);
    // Only a recovered connection joins a room without subscribing: its missed events came with the
    // recovery; the new channel broadcasts from the session's last stored seq on.
    const entry = this.entry(sessionId);
    void entry.channel.open().then(
      () => this.release(sessionId, entry),
      (error: unknown) => {
        this.options.logger.error({ err: error, session_id: sessionId }, 'could not open a session channel');
        this.release(sessionId, entry);
      },
    );
  }

  /** The session's room has no member left on this node. */
  roomEmptied(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (entry) this.release(sessionId, entry);
  }

  /** The last seq the session's channel broadcast to its room; null when it has none open. */
  cursorOf(sessionId: string): number | null {
    return this.entries.get(sessionId)?.channel.cursor ?? null;
  }

  /** Open channels (for leak checks and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every channel now (shutdown): core subscriptions released, waiting subscribes told SHUTTING_DOWN. */
  close(): void {
    this.closing = true;
    for (const entry of this.entries.values()) {
      this.cancelClose(entry);
      entry.channel.close();
    }
    this.entries.clear();
  }

  private entry(sessionId: string): Entry {
    let entry = this.entries.get(sessionId);
    if (!entry) {
      const channel = new SessionChannel({
        sessionId,
        events: this.options.events,
        broadcast: (event) => this.options.broadcast(sessionId, event),
        logger: this.options.logger,
      });
      entry = { channel, pending: 0, closeTimer: undefined };
      this.entries.set(sessionId, entry);
    }
    return entry;
  }

  /** Closes the channel (now, or after the grace period) when no one is in or joining its room. */
  private release(sessionId: string, entry: Entry): void {
    if (this.entries.get(sessionId) !== entry || entry.pending > 0 || entry.closeTimer) return;
    if (this.options.members(sessionId) > 0) return;
    if (this.options.graceMs <= 0) return this.closeEntry(sessionId, entry);
    entry.closeTimer = setTimeout(() => {
      entry.closeTimer = undefined;
      if (entry.pending === 0 && this.options.members(sessionId) === 0) this.closeEntry(sessionId, entry);
    }, this.options.graceMs);
    // A grace timer alone must not keep the process alive.
    entry.closeTimer.unref();
  }

  private cancelClose(entry: Entry): void {
    if (!entry.closeTimer) return;
    clearTimeout(entry.closeTimer);
    entry.closeTimer = undefined;
  }

  private closeEntry(sessionId: string, entry: Entry): void {
    this.entries.delete(sessionId);
    entry.channel.close();
  }
}
