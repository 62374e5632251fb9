import { BuildFailure, buildBatches, NO_SESSIONS, readForPatches } from './build-batches.ts';
import type { Commit } from './commit.ts';
import type { SessionEvent } from './event.ts';
import type { EventHub } from './event-hub.ts';
import { SessionWriteQueue } from './session-write-queue.ts';
import { isStoreFailure, SharedWrite } from './shared-write.ts';
import type { SessionStore, WriteBatch } from '../store/session-store.ts';
import { deepFreeze } from '../store/copy.ts';

/** A commit waiting in its session's group for the write that carries it. */
interface Waiting {
  change: Commit;
  resolve(events: SessionEvent[]): void;
  reject(error: unknown): void;
}

/**
 * Most commits one session's group carries into one store write. Bounds the time the event loop
 * spends in one synchronous SQLite transaction (a 500-event one takes a few ms).
 */
export const MAX_GROUP = 500;

/**
 * The only writer of events. It builds envelopes (`envelope.ts`: uuid, ISO `ts`, trace id, redacted
 * `meta`), writes them with the state change they describe in one atomic store write, then
 * publishes them to the hub. Writes of one session are queued, so events are published in `seq` order.
 *
 * Group commit: a session's commits made in the same synchronous run, or while its previous write
 * is running, wait in one group (`SessionWriteQueue`, at most {@link MAX_GROUP}), and the group goes
 * to the store in one `writeMany` (one SQLite transaction), each commit still its own atomic batch
 * (`buildBatches`) with its own result. If that write fails, the group's commits are retried one by
 * one, so a bad batch fails only its own commit. Groups of different sessions ready in the same
 * event-loop turn share one store call (`SharedWrite`).
 *
 * @example
 * ```ts
 * const [event] = await log.commit({ session_id, trace_id, events: [{ type: 'progress', message: 'half way' }] });
 * event.seq; // next seq of the session
 * ```
 */
export class EventLog {
  private readonly queue = new SessionWriteQueue<Waiting>((group) => this.writeGroup(group), MAX_GROUP);
  private readonly shared: SharedWrite;
  /** `commitNew` writes not yet settled, and the `flush` calls waiting for them to be none. */
  private newInFlight = 0;
  private newSettled: (() => void)[] = [];

  constructor(
    private readonly store: SessionStore,
    private readonly hub: EventHub,
  ) {
    this.shared = new SharedWrite(store, MAX_GROUP);
  }

  /** Writes one session's change and its events; resolves with the events as stored and published. */
  commit(change: Commit): Promise<SessionEvent[]> {
    return new Promise<SessionEvent[]>((resolve, reject) => {
      this.queue.add(change.session_id, { change, resolve, reject });
    });
  }

  /**
   * Writes the commit that creates a new session (`change.create`) whose id nobody has yet, so no
   * other commit of it can be queued: it skips the per-session queue (a group and a drain loop made
   * for one commit) and joins this turn's shared store call directly. Same results as `commit`: a
   * bad batch fails only this commit, a store that is down fails it with the others of the call.
   * A commit with a patch function (it needs its session read) goes through `commit`.
   *
   * @example
   * ```ts
   * const [created] = await log.commitNew({ session_id: id, trace_id, create: session, events: [{ type: 'session.created' }] });
   * ```
   */
  commitNew(change: Commit): Promise<SessionEvent[]> {
    if (!change.create || typeof change.patch === 'function') return this.commit(change);
    return this.writeNew(change);
  }

  /**
   * Commits many sessions' changes in one store write (the sweeper expiring thousands at once),
   * after the writes already queued for those sessions.
   */
  async commitMany(changes: readonly Commit[]): Promise<SessionEvent[][]> {
    await this.flush();
    const batches: WriteBatch[] = [];
    for (const built of buildBatches(changes, await readForPatches(this.store, changes))) {
      if (built instanceof BuildFailure) throw built.error;
      batches.push(built);
    }
    const written = await this.store.writeMany(batches);
    return written.map((events) => this.publish(events));
  }

  /** Resolves when every queued write, and every `commitNew` in flight, has settled (used by shutdown). */
  async flush(): Promise<void> {
    await this.queue.idle();
    while (this.newInFlight > 0) await new Promise<void>((resolve) => this.newSettled.push(resolve));
  }

  /** `commitNew`'s write: built, written in the turn's shared call, published. */
  private async writeNew(change: Commit): Promise<SessionEvent[]> {
    this.newInFlight += 1;
    try {
      const [batch] = buildBatches([change], NO_SESSIONS);
      if (!batch || batch instanceof BuildFailure) throw batch?.error;
      const [written] = await this.shared.write([batch]);
      return this.publish(written ?? []);
    } finally {
      this.newInFlight -= 1;
      if (this.newInFlight === 0 && this.newSettled.length > 0) {
        for (const resolve of this.newSettled.splice(0)) resolve();
      }
    }
  }

  /** Writes one session's group in one store call and settles each commit with its own result. Never rejects. */
  private async writeGroup(group: readonly Waiting[]): Promise<void> {
    const changes = group.map((waiting) => waiting.change);
    let built: (WriteBatch | BuildFailure)[];
    try {
      const sessions = readForPatches(this.store, changes);
      built = buildBatches(changes, sessions instanceof Map ? sessions : await sessions);
    } catch (error) {
      // Reading the session for a patch function failed: the store is not answering.
      for (const waiting of group) waiting.reject(error);
      return;
    }
    // The commits whose batch was built and those batches, index for index: in the usual case, where
    // every batch was built, the group and `built` themselves (no pair nor array per commit).
    let pending: readonly Waiting[] = group;
    let batches = built as WriteBatch[];
    try {
      if (built.some((batch) => batch instanceof BuildFailure) || built.length !== group.length) {
        const ok: Waiting[] = [];
        batches = [];
        group.forEach((waiting, i) => {
          const batch = built[i] ?? new BuildFailure(new Error('batch missing'));
          if (batch instanceof BuildFailure) waiting.reject(batch.error);
          else {
            ok.push(waiting);
            batches.push(batch);
          }
        });
        pending = ok;
      }
      if (pending.length === 0) return;
      let written: SessionEvent[][];
      try {
        written = await this.shared.write(batches);
      } catch (error) {
        // A store that is down fails every commit alike; otherwise find the bad batch by writing alone.
        if (pending.length === 1 || isStoreFailure(error)) throw error;
        const alone = pending;
        pending = [];
        for (const waiting of alone) await this.writeAlone(waiting);
        return;
      }
      const done = pending;
      pending = [];
      done.forEach((waiting, i) => {
        try {
          waiting.resolve(this.publish(written[i] ?? []));
        } catch (error) {
          waiting.reject(error);
        }
      });
    } catch (error) {
      for (const waiting of pending) waiting.reject(error);
    }
  }

  /** One commit in a store write of its own (after its group's write failed). Never rejects. */
  private async writeAlone(waiting: Waiting): Promise<void> {
    try {
      const changes = [waiting.change];
      const [batch] = buildBatches(changes, await readForPatches(this.store, changes));
      if (!batch || batch instanceof BuildFailure) throw batch?.error;
      waiting.resolve(this.publish(await this.store.write(batch)));
    } catch (error) {
      waiting.reject(error);
    }
  }

  /**
   * Freezes the store's fresh events in place (a no-op for a store that froze them) and publishes
   * them: published events are shared by every listener, so none may change another's.
   */
  private publish(events: SessionEvent[]): SessionEvent[] {
    for (const event of events) {
      // Every field of an event is a primitive but `meta`: no walk over the other eleven.
      if (Object.isFrozen(event)) continue;
      Object.freeze(event);
      deepFreeze(event.meta);
    }
    this.hub.publish(events);
    return events;
  }
}
