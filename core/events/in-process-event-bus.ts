import type { Observable } from 'rxjs';
import { Subject } from 'rxjs';
import type { EventBus } from '../ports/event-bus.ts';
import type { SessionEvent } from './event.ts';
import { ListenedTopics } from './listened-topics.ts';

/**
 * The {@link EventBus} of one process: a Subject per session that exists only while someone
 * listens, plus one for every session that is fed only while observed.
 *
 * @example
 * ```ts
 * const bus = new InProcessEventBus();
 * const subscription = bus.events$('s1').subscribe(console.log);
 * bus.publish([event]);           // logged when event.session_id === 's1'
 * subscription.unsubscribe();     // the session's Subject is freed with its last listener
 * ```
 */
export class InProcessEventBus implements EventBus {
  readonly crossProcess = false;
  private readonly sessions = new ListenedTopics<SessionEvent>();
  private readonly everything = new Subject<SessionEvent>();

  publish(events: readonly SessionEvent[]): void {
    for (const event of events) {
      this.sessions.next(event.session_id, event);
      if (this.everything.observed) this.everything.next(event);
    }
  }

  all$(): Observable<SessionEvent> {
    return this.everything.asObservable();
  }

  events$(sessionId: string): Observable<SessionEvent> {
    return this.sessions.listen(sessionId);
  }

  close(sessionId: string): void {
    this.sessions.complete(sessionId);
  }

  subscriberCount(sessionId?: string): number {
    return this.sessions.listeners(sessionId);
  }
}
