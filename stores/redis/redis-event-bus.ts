import type { Redis } from 'ioredis';
import type { Observable } from 'rxjs';
import { Subject } from 'rxjs';
import { errorMessage } from '../../core/errors.ts';
import { ListenedTopics } from '../../core/events/listened-topics.ts';
import type { SessionEvent } from '../../core/events/event.ts';
import type { Logger } from '../../core/logger.ts';
import { silentLogger } from '../../core/logger.ts';
import type { EventBus } from '../../core/ports/event-bus.ts';
import { eventFromEntry, type RedisStore } from './redis-store.ts';

const CLOSE = 'close';

/**
 * The {@link EventBus} of a process sharing a {@link RedisStore} with others: events this process
 * commits reach its own listeners at once; events any other process commits arrive on Redis
 * pub/sub, published by the store's write script inside the commit (channel `<prefix>live:<id>`),
 * so every process hears a session's events in `seq` order.
 *
 * Pub/sub delivers at most once: a message sent while this process's subscriber connection is
 * down is lost. That is why the bus says `crossProcess`: the hub then fills any gap in `seq` from
 * the store before it passes an event on. So that a gap at the end of a session's stream (nothing
 * more comes to reveal it) is filled too, whenever the bus (re)subscribes a session's channel it
 * emits the session's newest stored event: the hub fills from there.
 *
 * One Redis connection listens for the whole process (a session's channel is subscribed while the
 * session has a listener here); one more reads and publishes.
 *
 * @example
 * ```ts
 * const store = new RedisStore({ url: process.env.REDIS_URL });
 * const bus = new RedisEventBus(store);
 * const runtime = await Runtime.start({ config, store, bus, plugins });
 * // events committed by any process on this Redis now reach runtime.events.events$(id)
 * await runtime.shutdown(); await bus.close(); await store.close();
 * ```
 */
export class RedisEventBus implements EventBus {
  readonly crossProcess = true;
  /** Per session listened to here: its channel is subscribed while the session has a listener. */
  private readonly tails = new ListenedTopics<SessionEvent>({
    opened: (sessionId) => this.listen(sessionId),
    closed: (sessionId) =>
      void this.subscriber.unsubscribe(this.channelPrefix + sessionId).catch(() => undefined),
  });
  private readonly everything = new Subject<SessionEvent>();
  private readonly subscriber: Redis;
  /** Reads and publishes: a connection that sends again what a dropped connection left unanswered. */
  private readonly commands: Redis;
  private readonly channelPrefix: string;
  private closed = false;

  constructor(
    private readonly store: RedisStore,
    private readonly logger: Logger = silentLogger,
  ) {
    this.channelPrefix = `${store.prefix}live:`;
    // A connection in subscriber mode can do nothing else: the bus's own, made like the store's.
    // Unlike the store's writes, a SUBSCRIBE cut off by a dropped connection is safe to send again.
    this.subscriber = store.redis.duplicate({
      maxRetriesPerRequest: null,
      autoResendUnfulfilledCommands: true,
    });
    // The store's own connection never sends a write twice, so a call a drop cut off could wait for
    // ever there; the bus's reads and announcements are safe to repeat.
    this.commands = store.redis.duplicate({ autoResendUnfulfilledCommands: true });
    this.commands.on('error', () => undefined);
    this.subscriber.on('error', (error: unknown) =>
      this.logger.warn({ err: errorMessage(error) }, 'live event subscriber: connection error; reconnecting'),
    );
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.receive(channel.toString(), message.toString()),
    );
    // ioredis subscribes every channel again after a reconnect; what was sent meanwhile is lost,
    // so each session's newest event goes out again and the hub repairs the gap from the store.
    let connectedOnce = false;
    this.subscriber.on('ready', () => {
      if (connectedOnce) for (const sessionId of this.tails.keys()) this.emitNewest(sessionId);
      connectedOnce = true;
    });
  }

  publish(events: readonly SessionEvent[]): void {
    for (const event of events) {
      this.tails.next(event.session_id, event);
      if (this.everything.observed) this.everything.next(event);
    }
  }

  /** Events this process publishes (its own commits): per-process metrics add up across processes. */
  all$(): Observable<SessionEvent> {
    return this.everything.asObservable();
  }

  events$(sessionId: string): Observable<SessionEvent> {
    return this.tails.listen(sessionId);
  }

  /** Completes the session's streams here and in every other process (session expired or deleted). */
  close(sessionId: string): void {
    this.tails.complete(sessionId);
    this.commands
      .publish(this.channelPrefix + sessionId, `${this.store.node}|${CLOSE}`)
      .catch((error: unknown) =>
        this.logger.warn(
          { err: errorMessage(error), session_id: sessionId },
          'could not announce a session end',
        ),
      );
  }

  subscriberCount(sessionId?: string): number {
    return this.tails.listeners(sessionId);
  }

  /** Releases the bus's connections (the store's stays: it closes with the store). */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sessionId of this.tails.keys()) this.tails.complete(sessionId);
    this.everything.complete();
    await Promise.all(
      [this.subscriber, this.commands].map((redis) => redis.quit().catch(() => redis.disconnect())),
    );
  }

  /** Subscribes the session's channel, then emits its newest stored event (see the class doc). */
  private listen(sessionId: string): void {
    this.subscriber.subscribe(this.channelPrefix + sessionId).then(
      () => {
        if (this.tails.has(sessionId)) this.emitNewest(sessionId);
      },
      (error: unknown) =>
        this.logger.warn(
          { err: errorMessage(error), session_id: sessionId },
          'could not subscribe to live events; the next reconnect subscribes again',
        ),
    );
  }

  private emitNewest(sessionId: string): void {
    this.commands.xrevrange(`${this.store.prefix}ev:${sessionId}`, '+', '-', 'COUNT', 1).then(
      ([entry]) => {
        if (entry) this.tails.next(sessionId, eventFromEntry(entry[0], entry[1]));
      },
      (error: unknown) =>
        this.logger.warn(
          { err: errorMessage(error), session_id: sessionId },
          'could not read the newest event; the next event fills the gap',
        ),
    );
  }

  private receive(channel: string, message: string): void {
    if (!channel.startsWith(this.channelPrefix)) return;
    const sessionId = channel.slice(this.channelPrefix.length);
    const nodeEnd = message.indexOf('|');
    // Our own commits were delivered when published.
    if (!this.tails.has(sessionId) || message.slice(0, nodeEnd) === this.store.node) return;
    const rest = message.slice(nodeEnd + 1);
    if (rest === CLOSE) return this.tails.complete(sessionId);
    const seqEnd = rest.indexOf('|');
    const first = Number(rest.slice(0, seqEnd));
    try {
      const events = JSON.parse(rest.slice(seqEnd + 1)) as SessionEvent[];
      events.forEach((event, i) => this.tails.next(sessionId, { ...event, seq: first + i }));
    } catch (error) {
      // A foreign or damaged message on our channel: skip it; the next event fills the gap from the store.
      this.logger.warn({ err: errorMessage(error), session_id: sessionId }, 'unreadable live event message');
    }
  }
}
