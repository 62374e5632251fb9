import { EMPTY, type Observable, concatMap, defer, expand, from, takeWhile } from 'rxjs';
import type { SessionEvent } from './event.ts';
import { replayThenLive, type GapFiller } from '../operators/replay-then-live.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { EventBus } from '../ports/event-bus.ts';
import { InProcessEventBus } from './in-process-event-bus.ts';

const PAGE = 1000;

export interface HistoryInfo {
  /** False when events after `afterSeq` are gone from the store (the caller missed some for good). */
  recovered: boolean;
  first_seq: number;
  last_seq: number;
}

/**
 * Per-session live streams (from the {@link EventBus}) plus a hot window of recent events over the
 * store's full log. The window keeps the last `historyLimit` events published in this process.
 *
 * @example
 * ```ts
 * const info = await hub.history(sessionId, 10);      // { recovered: true, first_seq: 1, last_seq: 42 }
 * hub.events$(sessionId, 10).subscribe(send);          // 11…42 from history, then live, no gap, no duplicate
 * ```
 */
export class EventHub {
  private readonly windows = new Map<string, SessionEvent[]>();

  /** The window's size; 0 when the bus is cross-process (this process sees only some of the writes). */
  private readonly historyLimit: number;

  constructor(
    private readonly store: SessionStore,
    historyLimit: number,
    private readonly bus: EventBus = new InProcessEventBus(),
  ) {
    this.historyLimit = bus.crossProcess ? 0 : historyLimit;
  }

  /** Adds committed events (in seq order) to the window and to live listeners. */
  publish(events: readonly SessionEvent[]): void {
    if (this.historyLimit === 0) return this.bus.publish(events);
    for (const event of events) {
      const window = this.windows.get(event.session_id) ?? [];
      if (window.length === 0) this.windows.set(event.session_id, window);
      window.push(event);
      // One over the limit is the steady state: `shift` drops it in ≈0.04 µs, `splice` took ≈0.1.
      if (window.length > this.historyLimit) window.shift();
      // One at a time: a listener called for an event never finds later ones in the window yet.
      this.bus.publish([event]);
    }
  }

  /**
   * Publishes each session's last event and ends the session, as `publish` then `drop` would, but
   * without making a hot window only to free it at once: a sweep expires 100,000 sessions in one
   * go, and for those nobody reads that window was most of its cost here. Live listeners and
   * process-wide observers (`all$`) get every event; a cross-process bus also ends the sessions'
   * streams in the other processes.
   *
   * @example
   * ```ts
   * hub.publishFinal(expiredEvents); // one session.expired per session; their streams complete
   * ```
   */
  publishFinal(events: readonly SessionEvent[]): void {
    this.bus.publish(events);
    for (const event of events) this.drop(event.session_id);
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
    return this.bus.all$();
  }

  /**
   * Stored events with `seq > afterSeq`, then live ones, with no gap and no duplicate (a gap a
   * cross-process bus leaves is read from the store).
   */
  events$(sessionId: string, afterSeq = 0): Observable<SessionEvent> {
    // An in-process bus never skips: no filler, no check.
    const fill: GapFiller<SessionEvent> | undefined = this.bus.crossProcess
      ? (after, through) => this.stored$(sessionId, after).pipe(takeWhile((event) => event.seq <= through))
      : undefined;
    return defer(() =>
      replayThenLive(this.stored$(sessionId, afterSeq), this.bus.events$(sessionId), afterSeq, fill),
    );
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
    this.bus.close(sessionId);
    this.windows.delete(sessionId);
  }

  /** Live subscriptions across sessions (or for one), for leak checks and metrics. */
  subscriberCount(sessionId?: string): number {
    return this.bus.subscriberCount(sessionId);
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
