import { Observable, Subject } from 'rxjs';
import type { EventBus } from '../ports/event-bus.ts';
import type { SessionEvent } from './event.ts';

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
  private readonly live = new Map<string, Subject<SessionEvent>>();
  private readonly listeners = new Map<string, number>();
  private readonly everything = new Subject<SessionEvent>();

  publish(events: readonly SessionEvent[]): void {
    for (const event of events) {
      this.live.get(event.session_id)?.next(event);
      if (this.everything.observed) this.everything.next(event);
    }
  }

  all$(): Observable<SessionEvent> {
    return this.everything.asObservable();
  }

  events$(sessionId: string): Observable<SessionEvent> {
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

  close(sessionId: string): void {
    this.live.get(sessionId)?.complete();
    this.live.delete(sessionId);
  }

  subscriberCount(sessionId?: string): number {
    if (sessionId !== undefined) return this.listeners.get(sessionId) ?? 0;
    let total = 0;
    for (const count of this.listeners.values()) total += count;
    return total;
  }
}
