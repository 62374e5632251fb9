import { EMPTY, Observable, Subject, concatMap, defer, expand, from, takeWhile } from 'rxjs';
import type { SessionEvent } from './event.ts';
import { replayThenLive } from '../operators/replay-then-live.ts';
import type { SessionStore } from '../store/session-store.ts';

const PAGE = 1000;

export interface HistoryInfo {
  /** False when events after `afterSeq` are gone from the store (the caller missed some for good). */
  recovered: boolean;
  first_seq: number;
  last_seq: number;
}

/**
 * Per-session live streams plus a hot window of recent events over the store's full log.
 * A live Subject exists only while someone listens; the window keeps the last `historyLimit` events.
 *
 * @example
 * ```ts
 * const info = await hub.history(sessionId, 10);      // { recovered: true, first_seq: 1, last_seq: 42 }
 * hub.events$(sessionId, 10).subscribe(send);          // 11…42 from history, then live, no gap, no duplicate
 * ```
 */
export class EventHub {
  private readonly live = new Map<string, Subject<SessionEvent>>();
  private readonly windows = new Map<string, SessionEvent[]>();
  private readonly listeners = new Map<string, number>();
  /** Every session's events, for process-wide observers (metrics); fed only while one listens. */
  private readonly everything = new Subject<SessionEvent>();

  constructor(
    private readonly store: SessionStore,
    private readonly historyLimit: number,
  ) {}

  /** Adds committed events (in seq order) to the window and to live listeners. */
  publish(events: readonly SessionEvent[]): void {
    for (const event of events) {
      const window = this.windows.get(event.session_id) ?? [];
      if (window.length === 0) this.windows.set(event.session_id, window);
      window.push(event);
      if (window.length > this.historyLimit) window.splice(0, window.length - this.historyLimit);
      this.live.get(event.session_id)?.next(event);
      if (this.everything.observed) this.everything.next(event);
    }
  }

  /**
   * Live events of every session as they are published, in each session's `seq` order; no replay.
   * For process-wide observers such as metrics; costs one check per event while nobody listens.
   *
   * @example
   * ```ts
   * hub.all$().pipe(filter((e) => e.type === 'run.failed')).subscribe(countFailure);
   * ```
   */
  all$(): Observable<SessionEvent> {
    return this.everything.asObservable();
  }

  /** Stored events with `seq > afterSeq`, then live ones, with no gap and no duplicate. */
  events$(sessionId: string, afterSeq = 0): Observable<SessionEvent> {
    return defer(() => replayThenLive(this.stored$(sessionId, afterSeq), this.liveOf(sessionId), afterSeq));
  }

  /** Tells whether a reader resuming after `afterSeq` can get everything it missed. */
  async history(sessionId: string, afterSeq: number): Promise<HistoryInfo> {
    const bounds = await this.store.eventBounds(sessionId);
    const recovered = bounds.last_seq <= afterSeq || bounds.first_seq <= afterSeq + 1;
    return { recovered, ...bounds };
  }

  /** The hot window: at most `historyLimit` most recent events published in this process. */
  recent(sessionId: string): readonly SessionEvent[] {
    return this.windows.get(sessionId) ?? [];
  }

  /** Ends the session's live stream and frees its window (session expired or deleted). */
  drop(sessionId: string): void {
    this.live.get(sessionId)?.complete();
    this.live.delete(sessionId);
    this.windows.delete(sessionId);
  }

  /** Live subscriptions across sessions (or for one), for leak checks and metrics. */
  subscriberCount(sessionId?: string): number {
    if (sessionId !== undefined) return this.listeners.get(sessionId) ?? 0;
    let total = 0;
    for (const count of this.listeners.values()) total += count;
    return total;
  }

  private liveOf(sessionId: string): Observable<SessionEvent> {
    return new Observable<SessionEvent>((subscriber) => {
      let subject = this.live.get(sessionId);
      if (!subject) {
        subject = new Subject<SessionEvent>();
        this.live.set(sessionId, subject);
      }
      const own = subject;
      const subscription = own.subscribe(subscriber);
      this.listeners.set(sessionId, (this.listeners.get(sessionId) ?? 0) + 1);
      return () => {
        subscription.unsubscribe();
        const left = (this.listeners.get(sessionId) ?? 1) - 1;
        if (left > 0) return void this.listeners.set(sessionId, left);
        this.listeners.delete(sessionId);
        // Free the Subject with its last listener so idle sessions cost nothing.
        if (this.live.get(sessionId) === own) this.live.delete(sessionId);
      };
    });
  }

  /**
   * Only the stored events after `afterSeq`, then complete (for a session that will get no more:
   * expired, or read by a client that wants history alone). From the hot window when it covers
   * `afterSeq`, else from the store page by page.
   */
  stored$(sessionId: string, afterSeq = 0): Observable<SessionEvent> {
    const window = this.windows.get(sessionId);
    const first = window?.[0];
    if (window && first && first.seq <= afterSeq + 1) {
      return from(window.filter((event) => event.seq > afterSeq));
    }
    const page = (after: number) => from(this.store.listEvents(sessionId, { after, limit: PAGE }));
    return page(afterSeq).pipe(
      expand((events) => {
        const last = events.at(-1);
        return events.length === PAGE && last ? page(last.seq) : EMPTY;
      }, 1),
      takeWhile((events) => events.length > 0),
      concatMap((events) => from(events)),
    );
  }

  /** One page of stored events: `seq > after`, at most `limit` (REST paging, SSE catch-up). */
  list(sessionId: string, query: { after: number; limit: number }): Promise<SessionEvent[]> {
    return this.store.listEvents(sessionId, query);
  }
}
