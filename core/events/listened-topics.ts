import { Observable, type Subscriber } from 'rxjs';

/**
 * A key's listeners, called directly rather than through a `Subject`: rxjs' CommonJS build makes a
 * closure and an iterator with its results per `Subject.next`, per event published. The same rules:
 * a listener added while a value is passed on does not get it, one removed meanwhile is closed and
 * ignores it (the list is replaced, never changed in place).
 */
interface Topic<T> {
  subscribers: readonly Subscriber<T>[];
  listeners: number;
}

/** Called when a topic gets its first listener, and when it loses its last one or is completed. */
export interface TopicHooks {
  opened?(key: string): void;
  closed?(key: string): void;
}

/**
 * A Subject per key that exists only while someone listens: the shape both event buses share
 * (per session: live events in this process, or a Redis channel subscribed while listened to).
 *
 * @example
 * ```ts
 * const topics = new ListenedTopics<SessionEvent>({ opened: subscribeChannel, closed: unsubscribeChannel });
 * const subscription = topics.listen('s1').subscribe(send); // opened('s1')
 * topics.next('s1', event);                                  // send(event)
 * subscription.unsubscribe();                                // closed('s1'): nothing kept for s1
 * ```
 */
export class ListenedTopics<T> {
  private readonly topics = new Map<string, Topic<T>>();

  constructor(private readonly hooks: TopicHooks = {}) {}

  /** The key's values from now on; completes when {@link ListenedTopics.complete} is called for it. */
  listen(key: string): Observable<T> {
    return new Observable<T>((subscriber) => {
      let topic = this.topics.get(key);
      if (!topic) {
        topic = { subscribers: [], listeners: 0 };
        this.topics.set(key, topic);
        this.hooks.opened?.(key);
      }
      const own = topic;
      own.listeners += 1;
      own.subscribers = [...own.subscribers, subscriber];
      return () => {
        own.subscribers = own.subscribers.filter((other) => other !== subscriber);
        own.listeners -= 1;
        if (own.listeners > 0 || this.topics.get(key) !== own) return;
        // The topic goes with its last listener, so an idle key costs nothing.
        this.topics.delete(key);
        this.hooks.closed?.(key);
      };
    });
  }

  /** Passes `value` to the key's listeners, if it has any. */
  next(key: string, value: T): void {
    const topic = this.topics.get(key);
    if (!topic) return;
    for (const subscriber of topic.subscribers) subscriber.next(value);
  }

  /** Completes the key's listeners and forgets the key. */
  complete(key: string): void {
    const topic = this.topics.get(key);
    if (!topic) return;
    this.topics.delete(key);
    for (const subscriber of topic.subscribers) subscriber.complete();
    this.hooks.closed?.(key);
  }

  /** The keys listened to now. */
  keys(): string[] {
    return [...this.topics.keys()];
  }

  has(key: string): boolean {
    return this.topics.has(key);
  }

  /** Listeners of one key, or of all keys together. */
  listeners(key?: string): number {
    if (key !== undefined) return this.topics.get(key)?.listeners ?? 0;
    let total = 0;
    for (const topic of this.topics.values()) total += topic.listeners;
    return total;
  }
}
