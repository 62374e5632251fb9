import { isTributaryError, TributaryError } from '../errors.ts';
import type { EventDraft, SessionEvent } from './event.ts';
import type { EventHub } from './event-hub.ts';
import { redact } from './redact.ts';
import type { Session, SessionPatch } from '../sessions/session.ts';
import type { SessionStore, UnnumberedEvent, WriteBatch } from '../store/session-store.ts';
import { applyPatch } from '../store/batch.ts';
import { copyData, deepFreeze } from '../store/copy.ts';
import { newId, nowIso } from '../uuid.ts';
import { wellFormed } from './well-formed.ts';

/** A change to one session and the events that tell of it, before the log numbers them. */
export interface Commit extends Omit<WriteBatch, 'events' | 'patch'> {
  /** The session's trace id, stamped on every event (one trace per session). */
  trace_id: string | null;
  /**
   * A patch, or a function of the session as it is when the write runs: read-modify-write
   * changes (counters, `data` merges) see every earlier write of the session.
   */
  patch?: SessionPatch | ((current: Session) => SessionPatch);
  events?: readonly EventDraft[];
}

/** A commit waiting in its session's group for the write that carries it. */
interface Waiting {
  change: Commit;
  resolve(events: SessionEvent[]): void;
  reject(error: unknown): void;
}

/** One group's batches in the shared store call of a turn, and who waits for their events. */
interface SharedWrite {
  batches: readonly WriteBatch[];
  resolve(events: SessionEvent[][]): void;
  reject(error: unknown): void;
}

/**
 * `setImmediate` as it is when this module loads: the log's writes must go out even in code that
 * fakes timers for its own clock (tests of the sweeper, say).
 */
const deferWrite: (fn: () => void) => void = setImmediate;

/** What stopped a commit's batch from being built (its patch function threw, say). */
class BuildFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Most commits one session's group carries into one store write. Bounds the time the event loop
 * spends in one synchronous SQLite transaction (a 500-event one takes a few ms).
 */
export const MAX_GROUP = 500;

/**
 * The only writer of events. It builds envelopes (uuid, ISO `ts`, trace id, redacted `meta`),
 * writes them with the state change they describe in one atomic store write, then publishes them
 * to the hub. Writes of one session are queued, so events are published in `seq` order.
 *
 * Group commit: a session's commits made in the same synchronous run, or while its previous write
 * is running, wait in one group (at most {@link MAX_GROUP}), and the group goes to the store in one
 * `writeMany` (one SQLite transaction), each commit still its own atomic batch with its own result.
 * If that write fails, the group's commits are retried one by one, so a bad batch fails only its own
 * commit. Groups of different sessions ready in the same event-loop turn share one store call
 * (see `writeShared`), written once that turn's I/O callbacks have run.
 *
 * @example
 * ```ts
 * const [event] = await log.commit({ session_id, trace_id, events: [{ type: 'progress', message: 'half way' }] });
 * event.seq; // next seq of the session
 * ```
 */
export class EventLog {
  /** Per session, its groups not yet started, oldest first; the last one still takes commits. */
  private readonly waiting = new Map<string, Waiting[][]>();
  /** Per session, the loop writing its groups one after another, while it has any. */
  private readonly draining = new Map<string, Promise<void>>();
  /** Groups of different sessions waiting for the shared store call of this turn (see `writeShared`). */
  private shared: SharedWrite[] = [];
  private sharedBatches = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly hub: EventHub,
  ) {}

  commit(change: Commit): Promise<SessionEvent[]> {
    return new Promise<SessionEvent[]>((resolve, reject) => {
      const sessionId = change.session_id;
      const waiting: Waiting = { change, resolve, reject };
      const groups = this.waiting.get(sessionId);
      const open = groups?.at(-1);
      if (groups && open && open.length < MAX_GROUP) open.push(waiting);
      else if (groups) groups.push([waiting]);
      else this.waiting.set(sessionId, [[waiting]]);
      if (!this.draining.has(sessionId)) this.draining.set(sessionId, this.drain(sessionId));
    });
  }

  /**
   * Commits many sessions' changes in one store write (the sweeper expiring thousands at once),
   * after the writes already queued for those sessions.
   */
  async commitMany(changes: readonly Commit[]): Promise<SessionEvent[][]> {
    await this.flush();
    const batches: WriteBatch[] = [];
    for (const built of buildBatches(changes, await this.readForPatches(changes))) {
      if (built instanceof BuildFailure) throw built.error;
      batches.push(built);
    }
    const written = await this.store.writeMany(batches);
    return written.map((events) => this.publish(events));
  }

  /** Resolves when every queued write has settled (used by shutdown). */
  async flush(): Promise<void> {
    while (this.draining.size > 0) await Promise.all(this.draining.values());
  }

  /** Writes a session's groups in order until none is left. Never rejects. */
  private async drain(sessionId: string): Promise<void> {
    // Start on a later microtask, so the commits made in the same synchronous run join the first group.
    await undefined;
    try {
      for (;;) {
        const groups = this.waiting.get(sessionId);
        // Taking a group closes it: commits from now on start the next one.
        const group = groups?.shift();
        if (!groups || !group) break;
        if (groups.length === 0) this.waiting.delete(sessionId);
        await this.writeGroup(group);
      }
    } finally {
      this.draining.delete(sessionId);
    }
  }

  /** Writes one session's group in one store call and settles each commit with its own result. Never rejects. */
  private async writeGroup(group: readonly Waiting[]): Promise<void> {
    const changes = group.map((waiting) => waiting.change);
    let built: (WriteBatch | BuildFailure)[];
    try {
      const sessions = this.readForPatches(changes);
      built = buildBatches(changes, sessions instanceof Map ? sessions : await sessions);
    } catch (error) {
      // Reading the session for a patch function failed: the store is not answering.
      for (const waiting of group) waiting.reject(error);
      return;
    }
    let pending: { waiting: Waiting; batch: WriteBatch }[] = [];
    try {
      group.forEach((waiting, i) => {
        const batch = built[i] ?? new BuildFailure(new Error('batch missing'));
        if (batch instanceof BuildFailure) waiting.reject(batch.error);
        else pending.push({ waiting, batch });
      });
      if (pending.length === 0) return;
      let written: SessionEvent[][];
      try {
        written = await this.writeShared(pending.map((p) => p.batch));
      } catch (error) {
        // A store that is down fails every commit alike; otherwise find the bad batch by writing alone.
        if (pending.length === 1 || isStoreFailure(error)) throw error;
        const alone = pending;
        pending = [];
        for (const { waiting } of alone) await this.writeAlone(waiting);
        return;
      }
      const done = pending;
      pending = [];
      done.forEach(({ waiting }, i) => {
        try {
          waiting.resolve(this.publish(written[i] ?? []));
        } catch (error) {
          waiting.reject(error);
        }
      });
    } catch (error) {
      for (const { waiting } of pending) waiting.reject(error);
    }
  }

  /**
   * Writes one group's batches, in one store call with the groups of other sessions that are ready
   * in the same turn of the event loop: concurrent creates (each a new session, so each its own
   * group) then share one SQLite transaction instead of paying a BEGIN … COMMIT each. The call goes
   * out after the I/O callbacks of the turn (`setImmediate`), so requests read together are written
   * together. Each batch stays atomic; if the shared call fails on a bad batch, every group is
   * written again alone, so the failure stays with its own group, as if it had been written alone.
   */
  private writeShared(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    return new Promise((resolve, reject) => {
      if (this.shared.length === 0) deferWrite(() => void this.writeSharedNow());
      this.shared.push({ batches, resolve, reject });
      this.sharedBatches += batches.length;
      // Bounds the transaction, as MAX_GROUP bounds a group (so at most about twice that).
      if (this.sharedBatches >= MAX_GROUP) void this.writeSharedNow();
    });
  }

  /** The store call {@link writeShared} gathered. Never rejects. */
  private async writeSharedNow(): Promise<void> {
    const jobs = this.shared;
    this.shared = [];
    this.sharedBatches = 0;
    if (jobs.length === 0) return;
    let written: SessionEvent[][] | undefined;
    try {
      written = await this.store.writeMany(jobs.flatMap((job) => job.batches));
    } catch (error) {
      // The store itself failed: every group alike. One group alone: its own failure.
      if (jobs.length === 1 || isStoreFailure(error)) {
        for (const job of jobs) job.reject(error);
        return;
      }
    }
    if (written) {
      let at = 0;
      for (const job of jobs) {
        job.resolve(written.slice(at, at + job.batches.length));
        at += job.batches.length;
      }
      return;
    }
    for (const job of jobs) {
      try {
        job.resolve(await this.store.writeMany(job.batches));
      } catch (error) {
        job.reject(error);
      }
    }
  }

  /** One commit in a store write of its own (after its group's write failed). Never rejects. */
  private async writeAlone(waiting: Waiting): Promise<void> {
    try {
      const changes = [waiting.change];
      const [batch] = buildBatches(changes, await this.readForPatches(changes));
      if (!batch || batch instanceof BuildFailure) throw batch?.error;
      waiting.resolve(this.publish(await this.store.write(batch)));
    } catch (error) {
      waiting.reject(error);
    }
  }

  /**
   * The sessions the patch functions among `changes` will need, read before any batch is built
   * (null: not found). Without patch functions it reads nothing and does not wait.
   */
  private readForPatches(
    changes: readonly Commit[],
  ): Map<string, Session | null> | Promise<Map<string, Session | null>> {
    let ids: Set<string> | undefined;
    for (const { session_id, patch } of changes)
      if (typeof patch === 'function') (ids ??= new Set()).add(session_id);
    if (!ids) return new Map();
    const wanted = ids;
    return (async () => {
      const sessions = new Map<string, Session | null>();
      for (const id of wanted) sessions.set(id, await this.store.getSession(id));
      return sessions;
    })();
  }

  /**
   * Freezes the store's fresh events in place (a no-op for a store that froze them) and publishes
   * them: published events are shared by every listener, so none may change another's.
   */
  private publish(events: SessionEvent[]): SessionEvent[] {
    for (const event of events) deepFreeze(event);
    this.hub.publish(events);
    return events;
  }
}

/**
 * Builds the store batches of commits written together, in order. A patch function sees its
 * session as the batches before it in the same write leave it (read from the store before, then
 * advanced batch by batch), just as if each had been written before the next was built.
 */
function buildBatches(
  changes: readonly Commit[],
  sessions: Map<string, Session | null>,
): (WriteBatch | BuildFailure)[] {
  // One timestamp per write: its commits are stored at the same moment.
  const ts = isoNow();
  return changes.map((change) => {
    const id = change.session_id;
    const current = sessions.get(id);
    try {
      const batch = toBatch(change, ts, current);
      if (current !== undefined) sessions.set(id, advance(current, batch));
      return batch;
    } catch (error) {
      return new BuildFailure(error);
    }
  });
}

let lastMs = Number.NaN;
let lastIso = '';
/** `nowIso()`, formatted once per millisecond: writes made within the same one share the string. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = nowIso(ms);
  }
  return lastIso;
}

/** The store batch of one commit; `current` is the session as the write will find it (when known). */
function toBatch(change: Commit, ts: string, current: Session | null | undefined): WriteBatch {
  const { session_id, trace_id, patch } = change;
  // Field by field rather than a rest spread: this runs once per commit, and spreads are slow.
  const batch: WriteBatch = {
    session_id,
    events: (change.events ?? []).map((draft) => envelope(session_id, trace_id, draft, ts)),
  };
  // Every string stored is well-formed (see `wellFormed`): what a store reads back is what was sent live.
  if (change.create) batch.create = wellFormed(change.create);
  if (change.runs) batch.runs = wellFormed(change.runs);
  if (change.messages) batch.messages = wellFormed(change.messages);
  if (change.checkpoints) batch.checkpoints = wellFormed(change.checkpoints);
  if (typeof patch === 'function') {
    if (!current)
      throw new TributaryError('SESSION_NOT_FOUND', `session ${session_id} not found`, {
        field: 'session_id',
      });
    // A copy, as a store read would give: the function may change it without touching other batches.
    batch.patch = wellFormed(patch(copyData(current)));
  } else if (patch) {
    batch.patch = wellFormed(patch);
  }
  return batch;
}

/** The session as a store leaves it after `batch` (the same rules: `applyPatch`, `last_seq` counts events). */
function advance(current: Session | null, batch: WriteBatch): Session | null {
  const base = batch.create ? { ...batch.create, last_seq: 0 } : current;
  if (!base) return null;
  const next = applyPatch(base, batch.patch);
  next.last_seq += batch.events?.length ?? 0;
  return next;
}

/** The store itself failed (down, locked, corrupt): writing the batches one by one would not help. */
function isStoreFailure(error: unknown): boolean {
  return isTributaryError(error) && (error.code === 'STORE_UNAVAILABLE' || error.code === 'STORE_CORRUPT');
}

/**
 * Builds the envelope of docs/contract.md for a draft; `seq` is the store's to give. Its text is made
 * well-formed here, once, so the live event and the stored one are the same bytes on every transport.
 */
export function envelope(
  sessionId: string,
  traceId: string | null,
  draft: EventDraft,
  ts: string,
): UnnumberedEvent {
  return {
    id: newId(),
    ts,
    session_id: sessionId,
    run_id: draft.run_id ?? null,
    type: draft.type,
    step: wellFormed(draft.step ?? null),
    tool: wellFormed(draft.tool ?? null),
    level: draft.level ?? (draft.type === 'run.failed' || draft.type === 'tool.failed' ? 'error' : 'info'),
    message: wellFormed(draft.message ?? ''),
    meta: wellFormed(redact(draft.meta ?? {})),
    trace_id: traceId,
  };
}
