import type { Observable } from 'rxjs';
import type { SessionEvent } from '../events/event.ts';

/**
 * The live-event bus port: how committed events reach whoever listens now. The event hub publishes
 * every event once it is stored and reads live events from here (history comes from the store).
 * Today's adapter is in-process (`core/events/in-process-event-bus.ts`); a Redis pub/sub adapter
 * will let listeners in one process see events committed in another.
 *
 * Contract: per session, events arrive in `seq` order; no replay (a subscriber sees only what is
 * published after it subscribed); a session's stream costs nothing while nobody listens.
 * A `crossProcess` bus also carries what other processes commit; it may then skip events (a lost
 * connection) or repeat one, and the hub fills every gap in `seq` from the store. Such a bus must
 * emit a session's newest stored event whenever it (re)starts listening to it, so that a gap at
 * the end of a stream is found too.
 *
 * @example
 * ```ts
 * const bus: EventBus = new InProcessEventBus();
 * bus.events$(sessionId).subscribe(send);
 * bus.publish(committed); // send() sees each event of `sessionId`, in seq order
 * ```
 */
export interface EventBus {
  /** True when events committed by other processes arrive too (see the contract above). */
  readonly crossProcess: boolean;
  /** Delivers committed events, in each session's `seq` order, to live listeners. */
  publish(events: readonly SessionEvent[]): void;
  /** One session's events as they are published, from now on; completes on {@link EventBus.close}. */
  events$(sessionId: string): Observable<SessionEvent>;
  /** This process's published events of every session, for process-wide observers (metrics). */
  all$(): Observable<SessionEvent>;
  /** Completes the session's live stream, in every process the bus reaches (session expired or deleted). */
  close(sessionId: string): void;
  /** Live subscriptions to one session, or to all sessions together (leak checks, metrics). */
  subscriberCount(sessionId?: string): number;
}
