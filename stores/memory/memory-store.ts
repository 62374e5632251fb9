import { randomUUID } from 'node:crypto';
import type { StoredCheckpoint } from '../../core/checkpoints/checkpoint.ts';
import { TributaryError } from '../../core/errors.ts';
import { newIds } from '../../core/uuid.ts';
import type { SessionEvent } from '../../core/events/event.ts';
import { numbered } from '../../core/events/envelope.ts';
import type { Message } from '../../core/events/message.ts';
import { isFinished, RUN_STATUSES } from '../../core/runs/run.ts';
import type { Run, RunStatus } from '../../core/runs/run.ts';
import type {
  EventBounds,
  ExpireDueQuery,
  FinishedRunSample,
  FinishedRunsQuery,
  ListSessionsQuery,
  SessionStore,
  StatsQuery,
  StoreStats,
  SweepCandidate,
  SweepCandidates,
  SweepQuery,
  UnnumberedEvent,
  WriteBatch,
} from '../../core/store/session-store.ts';
import { SESSION_STATES } from '../../core/sessions/session.ts';
import type { Page, Session, SessionFilter, SessionState } from '../../core/sessions/session.ts';
import {
  assertBatchesShape,
  assertLimit,
  LIVE_STATES,
  expectationHolds,
  patchInPlace,
  sessionAlreadyExists,
  sessionNotFound,
} from '../../core/store/batch.ts';
import { copyData, deepFreeze, flat } from '../../core/store/copy.ts';
import { countedUsage } from '../../core/store/counted-usage.ts';
import { compareNewestFirst, decodeCursor, encodeCursor, isAfterCursor } from '../../core/store/cursor.ts';
import { filterStates, matchesFilter } from '../../core/store/session-filter.ts';

/** A record plus a store-wide insertion number, the tiebreak when timestamps are equal. */
interface Ordered<T> {
  value: T;
  order: number;
}

/** A stored event before `apply` numbers and freezes it (its `meta` is frozen already). */
type UnsealedEvent = { -readonly [K in keyof SessionEvent]: SessionEvent[K] };

/** A batch as the store keeps it: its own copies of everything, events whole but for their seq. */
interface PreparedBatch extends Omit<WriteBatch, 'events'> {
  events: UnsealedEvent[];
}

/**
 * Everything one session owns. Maps keep insertion order, and replacing a key keeps its place.
 * They are made on first use: most sessions never get a checkpoint, many never a run.
 */
interface SessionRecord {
  session: Session;
  events: SessionEvent[];
  runs?: Map<string, Ordered<Run>>;
  messages?: Map<string, Message>;
  checkpoints?: Map<string, Ordered<StoredCheckpoint>>;
}

/**
 * A `SessionStore` in process memory: for tests, demos and `STORE=memory`. Nothing survives a restart.
 * Sessions, runs, messages and checkpoints are deep-copied going in and out, so callers can never
 * reach the stored state. Events are immutable: each is copied once on the way in, deep-frozen, and
 * that one frozen object is what every read returns (the log publishes the same object, so the
 * store and the hub's hot window share it instead of holding two copies).
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * await store.write({ session_id: s.id, create: s, events: [createdEvent] });
 * (await store.getSession(s.id))?.last_seq; // 1
 * ```
 */
export class MemoryStore implements SessionStore {
  readonly kind = 'memory';
  /** One process's memory: nothing else reads it. */
  readonly shared = false;
  private records = new Map<string, SessionRecord>();
  /** Indexes, so the per-user cap count and the sweep do not walk every session. */
  private byUser = new Map<string, Set<SessionRecord>>();
  private byState = new Map<SessionState, Set<SessionRecord>>();
  private nextOrder = 0;
  private closed = false;

  async writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    this.assertOpen();
    // Validate and copy every batch before touching anything, so a failing batch leaves no trace.
    const prepared = this.prepare(batches);
    return prepared.map((batch) => this.apply(batch));
  }

  async write(batch: WriteBatch): Promise<SessionEvent[]> {
    const [events] = await this.writeMany([batch]);
    return events ?? [];
  }

  async getSession(id: string): Promise<Session | null> {
    this.assertOpen();
    const record = this.records.get(id);
    return record ? copySession(record.session) : null;
  }

  async listSessions(query: ListSessionsQuery): Promise<Page<Session>> {
    this.assertOpen();
    assertLimit(query.limit);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const matching = this.sessionsMatching(query)
      .sort(compareNewestFirst)
      .filter((s) => after === null || isAfterCursor(s, after));
    const items = matching.slice(0, query.limit);
    const last = items.at(-1);
    const hasMore = matching.length > query.limit;
    return { items: items.map(copySession), next_cursor: hasMore && last ? encodeCursor(last) : null };
  }

  async countSessions(filter: SessionFilter): Promise<number> {
    this.assertOpen();
    let count = 0;
    for (const { session } of this.candidates(filter)) if (matchesFilter(session, filter)) count += 1;
    return count;
  }

  async deleteSessions(ids: readonly string[]): Promise<string[]> {
    this.assertOpen();
    return [...new Set(ids)].filter((id) => {
      const record = this.records.get(id);
      if (!record) return false;
      this.records.delete(id);
      this.unindex(record, record.session.user_id, record.session.state);
      return true;
    });
  }

  async sweepCandidates(query: SweepQuery): Promise<SweepCandidates> {
    this.assertOpen();
    // Only active and idle sessions are looked at (the state index), and only the due ones sorted.
    const due = (state: SessionState, before: string | null): Session[] => {
      const found: Session[] = [];
      for (const { session, runs } of this.byState.get(state) ?? []) {
        if (session.active_run_id !== null || (before !== null && session.last_active_at >= before)) continue;
        if (!hasOpenRun(runs)) found.push(session);
      }
      return found;
    };
    // With force every free active/idle session expires at once, so nothing is left to idle first.
    const toExpire = query.force
      ? [...due('active', null), ...due('idle', null)]
      : query.expireBefore === undefined
        ? []
        : due('idle', query.expireBefore);
    const toIdle = query.force ? [] : due('active', query.idleBefore);
    return { toIdle: oldestFirst(toIdle), toExpire: oldestFirst(toExpire) };
  }

  async expireDue(query: ExpireDueQuery): Promise<SessionEvent[]> {
    this.assertOpen();
    const exclude = new Set(query.exclude);
    const before = query.force ? null : query.expireBefore;
    // One pass over the state index; the records move to `expired` after it, not while it walks them.
    const due: SessionRecord[] = [];
    for (const state of query.force ? (['active', 'idle'] as const) : (['idle'] as const)) {
      for (const record of this.byState.get(state) ?? []) {
        const { session } = record;
        if (session.active_run_id !== null || (before !== null && session.last_active_at >= before)) continue;
        if (!exclude.has(session.id) && !hasOpenRun(record.runs)) due.push(record);
      }
    }
    // Every event shares the template's fields but id, session, trace and seq; its meta is one
    // frozen copy for all of them (stored events are immutable, so sharing it is safe). Each event
    // is a literal, not a spread of the template: 100,000 spreads took ≈75 ms, the literals ≈20.
    const { ts, run_id, type, step, tool, level, message, meta } = copyEvent(query.event);
    // Made in bulk, as flat strings the store keeps as they are (see `newIds`).
    const ids = newIds(due.length);
    const written: SessionEvent[] = [];
    due.forEach((record, i) => {
      const { session } = record;
      const state = session.state;
      session.state = 'expired';
      session.updated_at = ts;
      session.expires_at = null;
      session.last_seq += 1;
      // Only the state index moves: the user does not change.
      removeFrom(this.byState, state, record);
      addTo(this.byState, 'expired', record);
      const event: SessionEvent = Object.freeze({
        id: ids[i] ?? randomUUID(),
        seq: session.last_seq,
        ts,
        session_id: session.id,
        run_id,
        type,
        step,
        tool,
        level,
        message,
        meta,
        trace_id: session.trace_id,
      });
      record.events.push(event);
      written.push(event);
    });
    return written;
  }

  async getRun(sessionId: string, runId: string): Promise<Run | null> {
    this.assertOpen();
    const run = this.records.get(sessionId)?.runs?.get(runId);
    return run ? copyData(run.value) : null;
  }

  async listRuns(sessionId: string): Promise<Run[]> {
    this.assertOpen();
    return copyData(sortRuns([...(this.records.get(sessionId)?.runs?.values() ?? [])]));
  }

  async listRunsByStatus(statuses: readonly RunStatus[]): Promise<Run[]> {
    this.assertOpen();
    const runs = [...this.records.values()].flatMap((r) => [...(r.runs?.values() ?? [])]);
    return copyData(sortRuns(runs.filter((r) => statuses.includes(r.value.status))));
  }

  async listEvents(sessionId: string, query: { after: number; limit: number }): Promise<SessionEvent[]> {
    this.assertOpen();
    assertLimit(query.limit);
    const events = this.records.get(sessionId)?.events ?? [];
    // events[i].seq === i + 1 (the log is append-only), so `seq > after` starts at index floor(after).
    const start = Math.max(0, Math.floor(query.after));
    // The stored events are frozen: handing them out as they are is safe.
    return events.slice(start, start + query.limit);
  }

  async eventBounds(sessionId: string): Promise<EventBounds> {
    this.assertOpen();
    const record = this.records.get(sessionId);
    return { first_seq: record?.events[0]?.seq ?? 0, last_seq: record?.session.last_seq ?? 0 };
  }

  async listMessages(sessionId: string): Promise<Message[]> {
    this.assertOpen();
    return copyData([...(this.records.get(sessionId)?.messages?.values() ?? [])]);
  }

  async listCheckpoints(sessionId: string): Promise<StoredCheckpoint[]> {
    this.assertOpen();
    return copyData(this.sortedCheckpoints(sessionId));
  }

  async getCheckpoint(sessionId: string, checkpointId: string): Promise<StoredCheckpoint | null> {
    this.assertOpen();
    const checkpoint = this.records.get(sessionId)?.checkpoints?.get(checkpointId);
    return checkpoint ? copyData(checkpoint.value) : null;
  }

  async latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    this.assertOpen();
    const latest = this.sortedCheckpoints(sessionId).at(-1);
    return latest ? copyData(latest) : null;
  }

  async deleteCheckpoints(sessionId: string, checkpointId?: string): Promise<number> {
    this.assertOpen();
    const checkpoints = this.records.get(sessionId)?.checkpoints;
    if (!checkpoints) return 0;
    if (checkpointId !== undefined) return checkpoints.delete(checkpointId) ? 1 : 0;
    const count = checkpoints.size;
    checkpoints.clear();
    return count;
  }

  async stats(query: StatsQuery = {}): Promise<StoreStats> {
    this.assertOpen();
    const sessions_by_state = countBy<SessionState>(SESSION_STATES);
    const runs_by_status = countBy<RunStatus>(RUN_STATUSES);
    let totalSeconds = 0;
    let timed = 0;
    const usage = { tokens_in: 0, tokens_out: 0 };
    for (const { session, runs } of this.records.values()) {
      if (query.user_id !== undefined && session.user_id !== query.user_id) continue;
      sessions_by_state[session.state] += 1;
      const counted = countedUsage(session.usage);
      usage.tokens_in += counted.tokens_in;
      usage.tokens_out += counted.tokens_out;
      for (const { value } of runs?.values() ?? []) runs_by_status[value.status] += 1;
      const seconds = (Date.parse(session.last_active_at) - Date.parse(session.created_at)) / 1000;
      if (Number.isFinite(seconds)) {
        totalSeconds += seconds;
        timed += 1;
      }
    }
    return {
      sessions_by_state,
      avg_session_duration_s: timed === 0 ? 0 : totalSeconds / timed,
      runs_by_status,
      usage,
    };
  }

  async finishedRuns(query: FinishedRunsQuery): Promise<FinishedRunSample[]> {
    this.assertOpen();
    // A walk over every run: the memory store is for tests and single-process trials.
    const since = Date.parse(query.since);
    const found: FinishedRunSample[] = [];
    for (const { session, runs } of this.records.values()) {
      if (query.user_id !== undefined && session.user_id !== query.user_id) continue;
      for (const { value: run } of runs?.values() ?? []) {
        if (!isFinished(run.status) || run.finished_at === null) continue;
        if (!(Date.parse(run.finished_at) >= since)) continue;
        const { status, started_at, finished_at, duration_ms } = run;
        found.push({ status, started_at, finished_at, duration_ms });
      }
    }
    return found;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.records.clear();
    this.byUser.clear();
    this.byState.clear();
  }

  /** Phase one of `writeMany`: checks every batch against the store as it will be, and copies it. */
  private prepare(batches: readonly WriteBatch[]): PreparedBatch[] {
    assertBatchesShape(batches);
    let createdHere: Set<string> | undefined;
    for (const batch of batches) {
      const id = batch.session_id;
      const exists = this.records.has(id) || createdHere?.has(id) === true;
      if (batch.create) {
        if (exists) throw sessionAlreadyExists(id);
        (createdHere ??= new Set()).add(id);
      } else if (!exists && !batch.expect) {
        // A batch with an expectation is skipped, not refused, when its session is gone.
        throw sessionNotFound(id);
      }
    }
    // Copying can throw (a function in metadata, say): it runs here, before anything is applied.
    return batches.map(copyBatch);
  }

  /** Phase two: applies one checked batch, or skips it when its expectation is not met. Cannot fail. */
  private apply(batch: PreparedBatch): SessionEvent[] {
    if (!this.meets(batch)) return [];
    const record = batch.create ? this.createRecord(batch.create) : this.records.get(batch.session_id);
    if (!record) throw sessionNotFound(batch.session_id); // unreachable after prepare()
    let seq = record.session.last_seq;
    for (const event of batch.events) {
      event.seq = ++seq;
      record.events.push(Object.freeze(event));
    }
    // The stored session is the store's own (every read copies it), so it changes in place.
    const { session } = record;
    if (batch.patch) {
      const { user_id, state } = session;
      patchInPlace(session, batch.patch);
      if (session.user_id !== user_id || session.state !== state) this.reindex(record, user_id, state);
    }
    session.last_seq = seq;
    for (const run of batch.runs ?? []) {
      record.runs ??= new Map();
      const order = record.runs.get(run.id)?.order ?? this.nextOrder++;
      record.runs.set(run.id, { value: run, order });
    }
    for (const message of batch.messages ?? []) (record.messages ??= new Map()).set(message.id, message);
    for (const checkpoint of batch.checkpoints ?? []) {
      record.checkpoints ??= new Map();
      const order = record.checkpoints.get(checkpoint.id)?.order ?? this.nextOrder++;
      record.checkpoints.set(checkpoint.id, { value: checkpoint, order });
    }
    return batch.events;
  }

  /** Whether the store, as the batches before this one left it, meets the batch's `expect`. */
  private meets(batch: PreparedBatch): boolean {
    return expectationHolds(
      batch,
      (id) => this.records.get(id)?.session ?? null,
      (user) => {
        let live = 0;
        for (const { session } of this.byUser.get(user) ?? [])
          if ((LIVE_STATES as readonly string[]).includes(session.state)) live += 1;
        return live;
      },
    );
  }

  /** Takes the prepared copy of a create as the stored session (last_seq is the store's to keep). */
  private createRecord(session: Session): SessionRecord {
    session.last_seq = 0;
    const record: SessionRecord = { session, events: [] };
    this.records.set(session.id, record);
    this.index(record);
    return record;
  }

  private sessionsMatching(filter: SessionFilter): Session[] {
    const matching: Session[] = [];
    for (const { session } of this.candidates(filter))
      if (matchesFilter(session, filter)) matching.push(session);
    return matching;
  }

  /** The records a filter can match, from the narrowest index it names (a superset; filter them). */
  private candidates(filter: SessionFilter): Iterable<SessionRecord> {
    if (typeof filter.user_id === 'string') return this.byUser.get(filter.user_id) ?? [];
    const states = filterStates(filter);
    if (states === undefined) return this.records.values();
    return [...new Set(states)].flatMap((state) => [...(this.byState.get(state) ?? [])]);
  }

  private index(record: SessionRecord): void {
    const { user_id, state } = record.session;
    if (user_id !== null) addTo(this.byUser, user_id, record);
    addTo(this.byState, state, record);
  }

  private unindex(record: SessionRecord, userId: string | null, state: SessionState): void {
    if (userId !== null) removeFrom(this.byUser, userId, record);
    removeFrom(this.byState, state, record);
  }

  /** Moves a record in the indexes after a patch changed its user or state (from these). */
  private reindex(record: SessionRecord, userId: string | null, state: SessionState): void {
    this.unindex(record, userId, state);
    this.index(record);
  }

  /** Oldest first: by `created_at`, then by insertion. */
  private sortedCheckpoints(sessionId: string): StoredCheckpoint[] {
    const checkpoints = [...(this.records.get(sessionId)?.checkpoints?.values() ?? [])];
    return checkpoints
      .sort((a, b) => compareStrings(a.value.created_at, b.value.created_at) || a.order - b.order)
      .map((c) => c.value);
  }

  private assertOpen(): void {
    if (this.closed)
      throw new TributaryError('STORE_UNAVAILABLE', 'memory store is closed', { retryable: false });
  }
}

/** Oldest first: by `created_at`, then by insertion (the SQL store orders by rowid the same way). */
function sortRuns(runs: Ordered<Run>[]): Run[] {
  return runs
    .sort((a, b) => compareStrings(a.value.created_at, b.value.created_at) || a.order - b.order)
    .map((r) => r.value);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sweep candidates, oldest `last_active_at` first, then by id (as the SQL store orders them). */
function oldestFirst(sessions: Session[]): SweepCandidate[] {
  sessions.sort((a, b) => compareStrings(a.last_active_at, b.last_active_at) || compareStrings(a.id, b.id));
  return sessions.map((s) => ({
    id: s.id,
    trace_id: s.trace_id,
    state: s.state,
    last_active_at: s.last_active_at,
  }));
}

/** A run stored `queued` or `running`: its session is busy, whichever process holds the run. */
function hasOpenRun(runs: Map<string, Ordered<Run>> | undefined): boolean {
  for (const { value } of runs?.values() ?? []) if (!isFinished(value.status)) return true;
  return false;
}

function countBy<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function addTo<K>(index: Map<K, Set<SessionRecord>>, key: K, record: SessionRecord): void {
  const set = index.get(key);
  if (set) set.add(record);
  else index.set(key, new Set([record]));
}

function removeFrom<K>(index: Map<K, Set<SessionRecord>>, key: K, record: SessionRecord): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(record);
  if (set.size === 0) index.delete(key);
}

/**
 * The store's copy of an event (`numbered` keeps envelope fields only), `meta` copied and frozen;
 * ids and messages flat, as they are kept for the session's lifetime (see `flat`).
 */
function copyEvent(e: UnnumberedEvent): UnsealedEvent {
  const copy: UnsealedEvent = numbered(e, 0);
  copy.id = flat(e.id);
  copy.message = flat(e.message);
  copy.meta = deepFreeze(copyData(e.meta ?? {}));
  return copy;
}

function copyRun(run: Run): Run {
  const copy = copyData(run);
  // Runs are JSON records: a missing result is `null`, as the SQL store reads it back.
  copy.result ??= null;
  return copy;
}

/** A session's fields are flat but for three JSON objects. Its id is flattened (see `flat`): it is compared and hashed often. */
function copySession(session: Session): Session {
  return {
    ...session,
    id: flat(session.id),
    metadata: copyData(session.metadata),
    data: copyData(session.data),
    usage: copyData(session.usage),
  };
}

/**
 * The store's own copy of a batch. A stored event never changes: it is frozen once numbered, and
 * then handed out as it is.
 */
function copyBatch(batch: WriteBatch): PreparedBatch {
  const copy: PreparedBatch = { session_id: batch.session_id, events: batch.events?.map(copyEvent) ?? [] };
  if (batch.create) copy.create = copySession(batch.create);
  if (batch.expect) copy.expect = { ...batch.expect };
  if (batch.patch) copy.patch = copyData(batch.patch);
  if (batch.runs) copy.runs = batch.runs.map(copyRun);
  if (batch.messages) copy.messages = copyData(batch.messages);
  if (batch.checkpoints) copy.checkpoints = copyData(batch.checkpoints);
  return copy;
}
