import type { Logger } from 'pino';
import {
  BehaviorSubject,
  concatMap,
  defer,
  EMPTY,
  filter,
  firstValueFrom,
  from,
  ignoreElements,
  lastValueFrom,
  map,
  merge,
  retry,
  Subject,
  switchMap,
  take,
  takeWhile,
  tap,
  throwError,
  timeout,
  timer,
  type Observable,
  type Subscription,
} from 'rxjs';
import { TributaryError, type EventHub, type SessionEvent } from '../../core/index.ts';

/** A socket as a channel sees it: it can be sent the replay alone, then put in the room. */
export interface ChannelMember {
  /** Sends one event to this member alone (the replay of stored events). */
  send(event: SessionEvent): void;
  /** Puts the member in the session's room: from now on every broadcast reaches it. */
  join(): void;
  /** True once the member went away (disconnected): its replay stops. */
  readonly gone: boolean;
}

export interface SessionChannelOptions {
  sessionId: string;
  events: Pick<EventHub, 'events$' | 'stored$' | 'history'>;
  /** Emits one event to every member of the session's room (`io.to(room).emit`). */
  broadcast(event: SessionEvent): void;
  logger: Logger;
  /** First wait before the core stream is subscribed again after an error (doubles up to 30 s). */
  retryDelayMs?: number;
}

/** What the channel's serial queue runs, in order. */
type Command = { kind: 'broadcast'; event: SessionEvent } | { kind: 'task'; run: () => Promise<void> };

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * One session's events on one gateway node: a single core subscription
 * (`events$(sessionId, cursor)`) whose events are broadcast to the session's room, and a serial
 * queue through which both those broadcasts and every new member's subscribe run.
 *
 * Why a queue: a subscribe replays the stored events after the member's `after_seq` up to `cursor`
 * (the last seq broadcast to the room) to that member alone, then joins it to the room. No
 * broadcast runs in between, so every later event (seq > cursor) reaches it through the room,
 * after its replay: no gap, no duplicate, and the room keeps one broadcast per event for any
 * number of members (and for the Redis adapter later).
 *
 * @example
 * ```ts
 * const channel = new SessionChannel({ sessionId, events: runtime.events, broadcast: (e) => io.to(room).emit('session_event', e), logger });
 * const lastSeq = await channel.subscribe({ send: (e) => socket.emit('session_event', e), join: () => socket.join(room), gone: false }, 10);
 * channel.close();
 * ```
 */
export class SessionChannel {
  readonly sessionId: string;
  /** The last seq broadcast to the room; null until the channel opens (inside the queue). Completes on close. */
  private readonly cursor$ = new BehaviorSubject<number | null>(null);
  private readonly commands = new Subject<Command>();
  private readonly opened = new Subject<void>();
  private readonly subscription: Subscription;
  /** Callers still waiting for a task: told SHUTTING_DOWN if the channel closes first. */
  private readonly waiting = new Set<(error: unknown) => void>();
  private closed = false;

  constructor(private readonly options: SessionChannelOptions) {
    this.sessionId = options.sessionId;
    this.subscription = merge(this.commands, this.live$())
      .pipe(concatMap((command) => this.execute(command)))
      .subscribe();
  }

  /**
   * Replays the stored events after `afterSeq` to `member`, then joins it to the room; resolves with
   * the seq up to which the member now has every event (later ones reach it live).
   * `afterSeq` must not be past the session's last stored seq (the caller checks against the store).
   * When the room is behind `afterSeq` (the store holds events not yet broadcast), it waits for the
   * broadcast to reach `afterSeq`, at most `maxWaitMs`, then fails with STORE_UNAVAILABLE.
   */
  async subscribe(member: ChannelMember, afterSeq: number, maxWaitMs = 2_000): Promise<number> {
    const joined = await this.run(() => this.replayAndJoin(member, afterSeq));
    if (joined !== null) return joined;
    // The cursor only grows, so once it reached `afterSeq` the next try joins.
    await this.caughtUp(afterSeq, maxWaitMs);
    const rejoined = await this.run(() => this.replayAndJoin(member, afterSeq));
    if (rejoined !== null) return rejoined;
    throw this.lagging(afterSeq);
  }

  /** Opens the channel with no member waiting (a recovered connection rejoined the room). */
  open(): Promise<void> {
    return this.run(async () => {
      if (this.cursor === null) await this.start();
    });
  }

  /** Releases the core subscription; tasks still queued fail with SHUTTING_DOWN. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.cursor$.complete();
    const error = new TributaryError('SHUTTING_DOWN', `the channel of session ${this.sessionId} closed`);
    for (const reject of this.waiting) reject(error);
    this.waiting.clear();
  }

  /** The core stream from the cursor, once the channel opened; subscribed again from the cursor after an error. */
  private live$(): Observable<Command> {
    const { events, sessionId, logger } = this.options;
    const firstDelay = this.options.retryDelayMs ?? 1_000;
    return this.opened.pipe(
      take(1),
      switchMap(() =>
        defer(() => events.events$(sessionId, this.cursor ?? 0)).pipe(
          retry({
            resetOnSuccess: true,
            delay: (error: unknown, attempt) => {
              const wait = Math.min(firstDelay * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
              logger.warn(
                { err: error, session_id: sessionId, cursor: this.cursor, retry_in_ms: wait },
                'session event stream failed; resubscribing from the last seq sent',
              );
              return timer(wait);
            },
          }),
        ),
      ),
      map((event): Command => ({ kind: 'broadcast', event })),
    );
  }

  /** The last seq broadcast to the room (null before the channel opened). */
  get cursor(): number | null {
    return this.cursor$.value;
  }

  /**
   * Resolves once the room's cursor reaches `afterSeq`, or when the channel closes (the next task
   * then fails with SHUTTING_DOWN); fails with STORE_UNAVAILABLE after `maxWaitMs`.
   */
  private async caughtUp(afterSeq: number, maxWaitMs: number): Promise<void> {
    await firstValueFrom(
      this.cursor$.pipe(
        filter((cursor) => cursor !== null && cursor >= afterSeq),
        timeout({ first: maxWaitMs, with: () => throwError(() => this.lagging(afterSeq)) }),
      ),
      { defaultValue: null },
    );
  }

  private lagging(afterSeq: number): TributaryError {
    return new TributaryError(
      'STORE_UNAVAILABLE',
      `session ${this.sessionId}: live events lag the store (room at ${this.cursor ?? 'none'}, after_seq ${afterSeq})`,
    );
  }

  private execute(command: Command): Observable<never> {
    if (command.kind === 'broadcast') {
      this.broadcast(command.event);
      return EMPTY;
    }
    // Tasks settle their caller's promise themselves and never reject.
    return from(command.run()).pipe(ignoreElements());
  }

  private broadcast(event: SessionEvent): void {
    const cursor = this.cursor;
    // A resubscription after an error may send again what was queued before it: seq tells.
    if (cursor === null || event.seq <= cursor) return;
    if (event.seq !== cursor + 1)
      this.options.logger.warn(
        { session_id: this.sessionId, cursor, seq: event.seq },
        'session events skipped a seq; broadcasting anyway',
      );
    // A subscribe waiting for this seq queues its join now: it runs after this broadcast.
    this.cursor$.next(event.seq);
    this.options.broadcast(event);
  }

  /** Runs `task` in the queue, after every command queued before it. */
  private run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(
        new TributaryError('SHUTTING_DOWN', `the channel of session ${this.sessionId} closed`),
      );
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      this.commands.next({
        kind: 'task',
        run: async () => {
          try {
            resolve(await task());
          } catch (error) {
            reject(error);
          } finally {
            this.waiting.delete(reject);
          }
        },
      });
    });
  }

  /** Reads where the room starts (the session's last stored seq), then starts the core stream after it. */
  private async start(): Promise<void> {
    const { last_seq } = await this.options.events.history(this.sessionId, 0);
    this.cursor$.next(last_seq);
    // The stream replays anything stored since the read, then goes live; its events queue behind this task.
    this.opened.next();
  }

  /** Null when the room is still behind `afterSeq`: the caller queues the subscribe again. */
  private async replayAndJoin(member: ChannelMember, afterSeq: number): Promise<number | null> {
    if (this.cursor === null) await this.start();
    const cursor = this.cursor ?? 0;
    if (afterSeq > cursor) return null;
    if (afterSeq < cursor && !member.gone) {
      await lastValueFrom(
        this.options.events.stored$(this.sessionId, afterSeq).pipe(
          takeWhile((event) => event.seq <= cursor && !member.gone),
          tap((event) => member.send(event)),
        ),
        { defaultValue: undefined },
      );
    }
    if (this.closed)
      throw new TributaryError('SHUTTING_DOWN', `the channel of session ${this.sessionId} closed`);
    if (!member.gone) member.join();
    return cursor;
  }
}
