import { TributaryError, type EventBounds, type Session, type SessionEvent } from '../../../core/index.ts';
import { MemoryStore } from '../../../stores/index.ts';

/** A hold on the next `listEvents` read: `reached` once it started, `release()` lets it answer. */
export interface Hold {
  reached: Promise<void>;
  release(): void;
}

/**
 * The real memory store, with two switches for the socket tests: `failing` makes reads throw
 * STORE_UNAVAILABLE (a store that does not answer), and `holdListEvents()` keeps the next event
 * read waiting until released (a slow store read in the middle of a replay).
 */
export class GatedStore extends MemoryStore {
  failing = false;
  private hold: { reached: () => void; released: Promise<void> } | null = null;

  holdListEvents(): Hold {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.hold = { reached, released };
    return { reached: reachedPromise, release };
  }

  override async getSession(id: string): Promise<Session | null> {
    this.check();
    return super.getSession(id);
  }

  override async eventBounds(sessionId: string): Promise<EventBounds> {
    this.check();
    return super.eventBounds(sessionId);
  }

  override async listEvents(
    sessionId: string,
    query: { after: number; limit: number },
  ): Promise<SessionEvent[]> {
    this.check();
    const hold = this.hold;
    if (hold) {
      this.hold = null;
      hold.reached();
      await hold.released;
    }
    return super.listEvents(sessionId, query);
  }

  private check(): void {
    if (this.failing) throw new TributaryError('STORE_UNAVAILABLE', 'gated store: not answering (test)');
  }
}
