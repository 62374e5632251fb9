import type { StoredCheckpoint } from '../checkpoint.ts';
import { TributaryError } from '../errors.ts';
import type { SessionEvent } from '../event.ts';
import type { Message } from '../message.ts';
import { RUN_STATUSES } from '../run.ts';
import type { Run, RunStatus } from '../run.ts';
import type {
  EventBounds,
  ListSessionsQuery,
  SessionStore,
  StoreStats,
  SweepCandidate,
  SweepCandidates,
  SweepQuery,
  WriteBatch,
} from '../session-store.ts';
import { SESSION_STATES } from '../session.ts';
import type { Page, Session, SessionFilter, SessionState } from '../session.ts';
import {
  applyPatch,
  assertBatchShape,
  assertLimit,
  numberEvents,
  sessionAlreadyExists,
  sessionNotFound,
} from './batch.ts';
import { compareNewestFirst, decodeCursor, encodeCursor, isAfterCursor } from './cursor.ts';
import { matchesFilter } from './session-filter.ts';

/** A record plus a store-wide insertion number, the tiebreak when timestamps are equal. */
interface Ordered<T> {
  value: T;
  order: number;
}

/** Everything one session owns. Maps keep insertion order, and replacing a key keeps its place. */
interface SessionRecord {
  session: Session;
  runs: Map<string, Ordered<Run>>;
  events: SessionEvent[];
  messages: Map<string, Message>;
  checkpoints: Map<string, Ordered<StoredCheckpoint>>;
}

/**
 * A `SessionStore` in process memory: for tests, demos and `STORE=memory`. Nothing survives a restart.
 * Every object going in or out is a deep copy, so callers can never reach the stored state.
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
  private records = new Map<string, SessionRecord>();
  private nextOrder = 0;
  private closed = false;

  async writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    this.assertOpen();
    // Validate and copy every batch before touching anything, so a failing batch leaves no trace.
    const prepared = this.prepare(batches);
    return prepared.map((batch) => clone(this.apply(batch)));
  }

  async write(batch: WriteBatch): Promise<SessionEvent[]> {
    const [events] = await this.writeMany([batch]);
    return events ?? [];
  }

  async getSession(id: string): Promise<Session | null> {
    this.assertOpen();
    const record = this.records.get(id);
    return record ? clone(record.session) : null;
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
    return { items: clone(items), next_cursor: hasMore && last ? encodeCursor(last) : null };
  }

  async countSessions(filter: SessionFilter): Promise<number> {
    this.assertOpen();
    return this.sessionsMatching(filter).length;
  }

  async deleteSessions(ids: readonly string[]): Promise<string[]> {
    this.assertOpen();
    return [...new Set(ids)].filter((id) => this.records.delete(id));
  }

  async sweepCandidates(query: SweepQuery): Promise<SweepCandidates> {
    this.assertOpen();
    const free = [...this.records.values()]
      .map((r) => r.session)
      .filter((s) => s.active_run_id === null)
      .sort((a, b) => compareStrings(a.last_active_at, b.last_active_at) || compareStrings(a.id, b.id));
    // With force every free active/idle session expires at once, so nothing is left to idle first.
    const toExpire = free.filter((s) =>
      query.force
        ? s.state === 'active' || s.state === 'idle'
        : s.state === 'idle' && s.last_active_at < query.expireBefore,
    );
    const toIdle = query.force
      ? []
      : free.filter((s) => s.state === 'active' && s.last_active_at < query.idleBefore);
    const candidate = (s: Session): SweepCandidate => ({ id: s.id, trace_id: s.trace_id });
    return { toIdle: toIdle.map(candidate), toExpire: toExpire.map(candidate) };
  }

  async getRun(sessionId: string, runId: string): Promise<Run | null> {
    this.assertOpen();
    const run = this.records.get(sessionId)?.runs.get(runId);
    return run ? clone(run.value) : null;
  }

  async listRuns(sessionId: string): Promise<Run[]> {
    this.assertOpen();
    return clone(sortRuns([...(this.records.get(sessionId)?.runs.values() ?? [])]));
  }

  async listRunsByStatus(statuses: readonly RunStatus[]): Promise<Run[]> {
    this.assertOpen();
    const runs = [...this.records.values()].flatMap((r) => [...r.runs.values()]);
    return clone(sortRuns(runs.filter((r) => statuses.includes(r.value.status))));
  }

  async listEvents(sessionId: string, query: { after: number; limit: number }): Promise<SessionEvent[]> {
    this.assertOpen();
    assertLimit(query.limit);
    const events = this.records.get(sessionId)?.events ?? [];
    // events[i].seq === i + 1 (the log is append-only), so `seq > after` starts at index floor(after).
    const start = Math.max(0, Math.floor(query.after));
    return clone(events.slice(start, start + query.limit));
  }

  async eventBounds(sessionId: string): Promise<EventBounds> {
    this.assertOpen();
    const record = this.records.get(sessionId);
    return { first_seq: record?.events[0]?.seq ?? 0, last_seq: record?.session.last_seq ?? 0 };
  }

  async listMessages(sessionId: string): Promise<Message[]> {
    this.assertOpen();
    return clone([...(this.records.get(sessionId)?.messages.values() ?? [])]);
  }

  async listCheckpoints(sessionId: string): Promise<StoredCheckpoint[]> {
    this.assertOpen();
    return clone(this.sortedCheckpoints(sessionId));
  }

  async getCheckpoint(sessionId: string, checkpointId: string): Promise<StoredCheckpoint | null> {
    this.assertOpen();
    const checkpoint = this.records.get(sessionId)?.checkpoints.get(checkpointId);
    return checkpoint ? clone(checkpoint.value) : null;
  }

  async latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    this.assertOpen();
    const latest = this.sortedCheckpoints(sessionId).at(-1);
    return latest ? clone(latest) : null;
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

  async stats(): Promise<StoreStats> {
    this.assertOpen();
    const sessions_by_state = countBy<SessionState>(SESSION_STATES);
    const runs_by_status = countBy<RunStatus>(RUN_STATUSES);
    let totalSeconds = 0;
    let timed = 0;
    for (const { session, runs } of this.records.values()) {
      sessions_by_state[session.state] += 1;
      for (const { value } of runs.values()) runs_by_status[value.status] += 1;
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
    };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.records.clear();
  }

  /** Phase one of `writeMany`: checks every batch against the store as it will be, and copies it. */
  private prepare(batches: readonly WriteBatch[]): WriteBatch[] {
    const createdHere = new Set<string>();
    for (const batch of batches) {
      assertBatchShape(batch);
      const id = batch.session_id;
      const exists = this.records.has(id) || createdHere.has(id);
      if (batch.create) {
        if (exists) throw sessionAlreadyExists(id);
        createdHere.add(id);
      } else if (!exists) {
        throw sessionNotFound(id);
      }
    }
    // structuredClone can throw (a function in metadata, say): it runs here, before anything is applied.
    return batches.map((batch) => {
      const copy = clone(batch);
      // Runs are JSON records: a missing result is `null`, as the SQL store reads it back.
      return copy.runs
        ? { ...copy, runs: copy.runs.map((run) => ({ ...run, result: run.result ?? null })) }
        : copy;
    });
  }

  /** Phase two: applies one checked batch. Cannot fail. */
  private apply(batch: WriteBatch): SessionEvent[] {
    const record = batch.create ? this.createRecord(batch.create) : this.records.get(batch.session_id);
    if (!record) throw sessionNotFound(batch.session_id); // unreachable after prepare()
    const events = numberEvents(batch.events, record.session.last_seq);
    record.session = applyPatch(record.session, batch.patch);
    record.session.last_seq += events.length;
    for (const run of batch.runs ?? []) {
      const order = record.runs.get(run.id)?.order ?? this.nextOrder++;
      record.runs.set(run.id, { value: run, order });
    }
    for (const message of batch.messages ?? []) record.messages.set(message.id, message);
    for (const checkpoint of batch.checkpoints ?? []) {
      const order = record.checkpoints.get(checkpoint.id)?.order ?? this.nextOrder++;
      record.checkpoints.set(checkpoint.id, { value: checkpoint, order });
    }
    record.events.push(...events);
    return events;
  }

  private createRecord(session: Session): SessionRecord {
    const record: SessionRecord = {
      session: { ...session, last_seq: 0 },
      runs: new Map(),
      events: [],
      messages: new Map(),
      checkpoints: new Map(),
    };
    this.records.set(session.id, record);
    return record;
  }

  private sessionsMatching(filter: SessionFilter): Session[] {
    return [...this.records.values()].map((r) => r.session).filter((s) => matchesFilter(s, filter));
  }

  /** Oldest first: by `created_at`, then by insertion. */
  private sortedCheckpoints(sessionId: string): StoredCheckpoint[] {
    const checkpoints = [...(this.records.get(sessionId)?.checkpoints.values() ?? [])];
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

function countBy<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

const clone = <T>(value: T): T => structuredClone(value);
