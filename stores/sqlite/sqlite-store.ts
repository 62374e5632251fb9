import type Database from 'better-sqlite3';
import type { StoredCheckpoint } from '../../core/checkpoints/checkpoint.ts';
import { TributaryError, errorMessage } from '../../core/errors.ts';
import type { SessionEvent } from '../../core/events/event.ts';
import type { Message } from '../../core/events/message.ts';
import { RUN_STATUSES } from '../../core/runs/run.ts';
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
  SweepCandidates,
  SweepQuery,
  WriteBatch,
} from '../../core/store/session-store.ts';
import { SESSION_STATES } from '../../core/sessions/session.ts';
import type { Page, Session, SessionFilter } from '../../core/sessions/session.ts';
import {
  applyPatch,
  assertBatchesShape,
  assertLimit,
  expectationHolds,
  numberEvents,
  patchedKeys,
  type PatchKey,
  sessionAlreadyExists,
  sessionNotFound,
} from '../../core/store/batch.ts';
import { copyData, deepFreeze } from '../../core/store/copy.ts';
import { decodeCursor, encodeCursor } from '../../core/store/cursor.ts';
import { EQUALITY_FILTERS, filterStates } from '../../core/store/session-filter.ts';
import { openDatabase, toStoreError } from './sqlite-connection.ts';
import { lockDatabase, type ProcessLock } from './sqlite-lock.ts';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.ts';
import {
  checkpointToRow,
  eventFromValues,
  eventToRow,
  messageToRow,
  patchColumns,
  patchToRow,
  runFromRow,
  runToRow,
  sessionFromRow,
  sessionToRow,
} from './sqlite-rows.ts';
import { prepareStatements, type ExpiredValues, type ExpiryParams } from './sqlite-statements.ts';
import type { SessionRow } from './sqlite-rows.ts';
import type { Statements } from './sqlite-statements.ts';

type SqlParam = string | number;

/** A session's `last_seq` inside one write transaction: as the row holds it, and as the batches so far leave it. */
interface SeqState {
  stored: number;
  last: number;
}

/** A session filter compiled to SQL: the `WHERE` text (cache key) and its named parameters. */
interface SessionWhere {
  sql: string;
  params: Record<string, SqlParam>;
}

/**
 * The default `SessionStore`: one SQLite file (WAL mode) through better-sqlite3.
 *
 * All batches of a `writeMany` run in one immediate transaction, and each event's `seq` is
 * taken from `sessions.last_seq` inside it, so any number of connections, in this process or
 * others, can append to the same session without a gap or a duplicate. The work is synchronous;
 * the methods return Promises only to fit the `SessionStore` interface.
 *
 * @example
 * ```ts
 * const store = SqliteStore.open({ path: './data/tributary.db' });
 * const [created] = await store.write({ session_id: s.id, create: s, events: [createdEvent] });
 * await store.listEvents(s.id, { after: 0, limit: 100 });
 * await store.close();
 * ```
 */
export class SqliteStore implements SessionStore {
  readonly kind = 'sqlite';
  /** The file is owned by one process at a time (`sqlite-lock.ts`). */
  readonly shared = false;
  private readonly statements: Statements;
  /** Listing statements vary with the filters given; there are few combinations, each prepared once. */
  private readonly listingStatements = new Map<
    string,
    Database.Statement<[Record<string, SqlParam>], unknown>
  >();
  /** Session UPDATEs by the set of columns a patch changes (few combinations, each prepared once). */
  private readonly patchStatements = new Map<
    string,
    Database.Statement<[Record<string, unknown>], { last_seq: number }>
  >();
  private readonly writeTransaction: Database.Transaction<
    (batches: readonly WriteBatch[]) => SessionEvent[][]
  >;
  private readonly deleteTransaction: Database.Transaction<(ids: readonly string[]) => string[]>;
  private readonly expireTransaction: Database.Transaction<(query: ExpireDueQuery) => SessionEvent[]>;
  private closed = false;
  /** Checkpoints the WAL off the event loop; none for `':memory:'`. */
  private readonly checkpointer: WalCheckpointer | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly lock?: ProcessLock,
  ) {
    this.statements = prepareStatements(db);
    this.checkpointer = path === ':memory:' ? undefined : startWalCheckpointer(db, path);
    this.writeTransaction = db.transaction((batches: readonly WriteBatch[]) => {
      assertBatchesShape(batches);
      // Event-only batches just count last_seq here; it is written with the session's next patch
      // or once at the end, so a call of many such batches (the log's group commit) updates the row once.
      const seqs = new Map<string, SeqState>();
      const written = batches.map((batch) => this.applyBatch(batch, seqs));
      for (const [id, seq] of seqs) if (seq.last !== seq.stored) this.statements.setLastSeq.run(seq.last, id);
      return written;
    });
    this.deleteTransaction = db.transaction((ids: readonly string[]) =>
      [...new Set(ids)].filter((id) => this.statements.deleteSession.run(id).changes > 0),
    );
    this.expireTransaction = db.transaction((query: ExpireDueQuery) => {
      const { insertEvents, markExpired } = query.force
        ? this.statements.expireForced
        : this.statements.expireDue;
      const params = expiryToParams(query);
      const rows = insertEvents.all(params);
      const changed = markExpired.run(params).changes;
      // Both statements select the same rows (the write lock is held): anything else rolls back.
      if (changed !== rows.length)
        throw new Error(`expiry wrote ${rows.length} events for ${changed} sessions`);
      return expiredEvents(query, rows);
    });
  }

  /**
   * Opens or creates the file at `path` (its folder too; `':memory:'` for a throwaway database)
   * and migrates it. Throws `STORE_CORRUPT` when the path holds something that is not a usable
   * SQLite database, without writing to it. With `exclusive`, this process takes the file for its
   * life first (see {@link lockDatabase}): STORE_LOCKED while another process holds it.
   */
  static open({ path, exclusive = false }: { path: string; exclusive?: boolean }): SqliteStore {
    // Owned before it is opened, migrated or read: a second process must not recover the first one's runs.
    const lock = exclusive && path !== ':memory:' ? lockDatabase(path) : undefined;
    let db: Database.Database | undefined;
    try {
      db = openDatabase(path);
      // Preparing reads the schema, so a file damaged past its header is caught here too.
      return new SqliteStore(db, path, lock);
    } catch (cause) {
      db?.close();
      lock?.release();
      if (!db) throw cause;
      throw new TributaryError('STORE_CORRUPT', `${path}: ${errorMessage(cause)}`, { cause });
    }
  }

  writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    // Immediate: take the write lock before reading last_seq, so no other connection can read it too.
    return this.withDb(() => this.writeTransaction.immediate(batches));
  }

  async write(batch: WriteBatch): Promise<SessionEvent[]> {
    const [events] = await this.writeMany([batch]);
    return events ?? [];
  }

  getSession(id: string): Promise<Session | null> {
    return this.withDb((s) => {
      const row = s.getSession.get(id);
      return row ? sessionFromRow(row) : null;
    });
  }

  listSessions(query: ListSessionsQuery): Promise<Page<Session>> {
    return this.withDb(() => {
      assertLimit(query.limit);
      const where = compileFilter(query);
      if (query.cursor) {
        const after = decodeCursor(query.cursor);
        // A row-value comparison: strictly past the cursor in (created_at DESC, id DESC) order.
        where.sql += ' AND (created_at, id) < (@after_created_at, @after_id)';
        where.params.after_created_at = after.created_at;
        where.params.after_id = after.id;
      }
      // One row more than asked for tells whether another page exists.
      const sql = `SELECT * FROM sessions WHERE ${where.sql} ORDER BY created_at DESC, id DESC LIMIT @limit`;
      const rows = this.listing<SessionRow>(sql).all({ ...where.params, limit: query.limit + 1 });
      const items = rows.slice(0, query.limit).map(sessionFromRow);
      const last = items.at(-1);
      return { items, next_cursor: rows.length > query.limit && last ? encodeCursor(last) : null };
    });
  }

  countSessions(filter: SessionFilter): Promise<number> {
    return this.withDb(() => {
      const where = compileFilter(filter);
      const row = this.listing<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions WHERE ${where.sql}`).get(
        where.params,
      );
      return row?.n ?? 0;
    });
  }

  deleteSessions(ids: readonly string[]): Promise<string[]> {
    return this.withDb(() => this.deleteTransaction.immediate(ids));
  }

  sweepCandidates(query: SweepQuery): Promise<SweepCandidates> {
    return this.withDb((s) => {
      // With force every free active/idle session expires at once, so nothing is left to idle first.
      if (query.force) return { toIdle: [], toExpire: s.toExpireForced.all() };
      const { idleBefore, expireBefore } = query;
      return {
        toIdle: s.toIdle.all({ before: idleBefore }),
        toExpire: expireBefore === undefined ? [] : s.toExpire.all({ before: expireBefore }),
      };
    });
  }

  expireDue(query: ExpireDueQuery): Promise<SessionEvent[]> {
    // Immediate: the write lock is taken before the due sessions are selected.
    return this.withDb(() => this.expireTransaction.immediate(query));
  }

  getRun(sessionId: string, runId: string): Promise<Run | null> {
    return this.withDb((s) => {
      const row = s.getRun.get(sessionId, runId);
      return row ? runFromRow(row) : null;
    });
  }

  listRuns(sessionId: string): Promise<Run[]> {
    return this.withDb((s) => s.listRuns.all(sessionId).map(runFromRow));
  }

  listRunsByStatus(statuses: readonly RunStatus[]): Promise<Run[]> {
    return this.withDb((s) => s.listRunsByStatus.all(JSON.stringify(statuses)).map(runFromRow));
  }

  listEvents(sessionId: string, query: { after: number; limit: number }): Promise<SessionEvent[]> {
    return this.withDb((s) => {
      assertLimit(query.limit);
      return s.listEvents
        .all({ session_id: sessionId, after: query.after, limit: query.limit })
        .map((values) => eventFromValues(sessionId, values));
    });
  }

  eventBounds(sessionId: string): Promise<EventBounds> {
    return this.withDb((s) => {
      const row = s.eventBounds.get(sessionId);
      return { first_seq: row?.first_seq ?? 0, last_seq: row?.last_seq ?? 0 };
    });
  }

  listMessages(sessionId: string): Promise<Message[]> {
    return this.withDb((s) => s.listMessages.all(sessionId));
  }

  listCheckpoints(sessionId: string): Promise<StoredCheckpoint[]> {
    return this.withDb((s) => s.listCheckpoints.all(sessionId));
  }

  getCheckpoint(sessionId: string, checkpointId: string): Promise<StoredCheckpoint | null> {
    return this.withDb((s) => s.getCheckpoint.get(sessionId, checkpointId) ?? null);
  }

  latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    return this.withDb((s) => s.latestCheckpoint.get(sessionId) ?? null);
  }

  deleteCheckpoints(sessionId: string, checkpointId?: string): Promise<number> {
    return this.withDb((s) =>
      checkpointId === undefined
        ? s.deleteAllCheckpoints.run(sessionId).changes
        : s.deleteCheckpoint.run(sessionId, checkpointId).changes,
    );
  }

  stats(query: StatsQuery = {}): Promise<StoreStats> {
    const user = query.user_id;
    return this.withDb((s) => {
      const totals = user === undefined ? s.sessionTotals.get() : s.userSessionTotals.get(user);
      return {
        sessions_by_state: countsFor(
          SESSION_STATES,
          user === undefined ? s.sessionsByState.all() : s.userSessionsByState.all(user),
        ),
        avg_session_duration_s: totals?.avg ?? 0,
        runs_by_status: countsFor(
          RUN_STATUSES,
          user === undefined ? s.runsByStatus.all() : s.userRunsByStatus.all(user),
        ),
        usage: { tokens_in: totals?.tokens_in ?? 0, tokens_out: totals?.tokens_out ?? 0 },
      };
    });
  }

  finishedRuns(query: FinishedRunsQuery): Promise<FinishedRunSample[]> {
    const { since, user_id } = query;
    return this.withDb((s) =>
      user_id === undefined ? s.finishedRuns.all(since) : s.userFinishedRuns.all(since, user_id),
    );
  }

  ping(): Promise<void> {
    return this.withDb((s) => {
      s.ping.get();
    }).catch((error: unknown) => {
      throw error instanceof TributaryError && error.code === 'STORE_UNAVAILABLE'
        ? error
        : new TributaryError('STORE_UNAVAILABLE', `${this.path}: store does not answer`, { cause: error });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Stopped first, so this connection is the file's last and its close checkpoints and removes the WAL.
    await this.checkpointer?.stop();
    this.db.close();
    this.lock?.release();
  }

  /** One batch, inside the write transaction: any throw rolls back every batch of the call. */
  private applyBatch(batch: WriteBatch, seqs: Map<string, SeqState>): SessionEvent[] {
    const s = this.statements;
    const id = batch.session_id;
    // Read in the same (immediate) transaction as the write: no other writer can come between.
    if (!this.meets(batch)) return [];
    let seq = seqs.get(id);
    let events: SessionEvent[];
    // The session row goes first: runs, messages, checkpoints and events reference it.
    if (batch.create) {
      if (seq) throw sessionAlreadyExists(id); // created or written earlier in this call
      events = numberEvents(batch.events, 0);
      const created = applyPatch(batch.create, batch.patch);
      created.last_seq = events.length;
      if (s.insertSession.run(sessionToRow(created)).changes === 0) throw sessionAlreadyExists(id);
      seqs.set(id, { stored: events.length, last: events.length });
    } else {
      const count = batch.events?.length ?? 0;
      const keys = batch.patch ? patchedKeys(batch.patch) : [];
      let before: number;
      if (batch.patch && keys.length > 0) {
        // One statement SETs the patched columns and brings last_seq up to date (this batch's
        // events and any counted earlier in this call); RETURNING saves reading the row first.
        const added = (seq ? seq.last - seq.stored : 0) + count;
        const row = this.patchStatement(keys).get(patchToRow(id, batch.patch, keys, added));
        if (!row) throw sessionNotFound(id);
        before = row.last_seq - count;
        seqs.set(id, { stored: row.last_seq, last: row.last_seq });
      } else {
        if (!seq) {
          const row = s.getLastSeq.get(id);
          if (!row) throw sessionNotFound(id);
          seq = { stored: row.last_seq, last: row.last_seq };
          seqs.set(id, seq);
        }
        before = seq.last;
        seq.last += count;
      }
      events = numberEvents(batch.events, before);
    }
    for (const run of batch.runs ?? []) s.upsertRun.run(runToRow(run));
    for (const message of batch.messages ?? []) s.upsertMessage.run(messageToRow(message));
    for (const checkpoint of batch.checkpoints ?? []) s.upsertCheckpoint.run(checkpointToRow(checkpoint));
    for (const event of events) s.insertEvent.run(eventToRow(event));
    return events;
  }

  /** Whether the database, as the batches before this one left it, meets the batch's `expect`. */
  private meets(batch: WriteBatch): boolean {
    const s = this.statements;
    return expectationHolds(
      batch,
      (id) => s.getExpected.get(id) ?? null,
      (user) => s.countLive.get(user)?.n ?? 0,
    );
  }

  /**
   * The UPDATE that SETs only the columns a patch changes, plus `last_seq`. A full-row UPDATE
   * rewrites the entries of every index on a SET column even when the value is the same: it took
   * twice the time and wrote three times the WAL of this one.
   */
  private patchStatement(
    keys: readonly PatchKey[],
  ): Database.Statement<[Record<string, unknown>], { last_seq: number }> {
    const key = keys.join(',');
    let statement = this.patchStatements.get(key);
    if (!statement) {
      const sets = patchColumns(keys)
        .map((column) => `${column} = @${column}`)
        .join(', ');
      statement = this.db.prepare<[Record<string, unknown>], { last_seq: number }>(
        `UPDATE sessions SET ${sets}, last_seq = last_seq + @added WHERE id = @id RETURNING last_seq`,
      );
      this.patchStatements.set(key, statement);
    }
    return statement;
  }

  /** Runs `work` on the open connection as a Promise, with SQLite failures mapped to the error catalog. */
  private withDb<T>(work: (statements: Statements) => T): Promise<T> {
    try {
      if (this.closed) throw new TributaryError('STORE_UNAVAILABLE', `${this.path}: store is closed`);
      return Promise.resolve(work(this.statements));
    } catch (error) {
      return Promise.reject(toStoreError(error, this.path));
    }
  }

  private listing<Row>(sql: string): Database.Statement<[Record<string, SqlParam>], Row> {
    let statement = this.listingStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare<[Record<string, SqlParam>], unknown>(sql);
      this.listingStatements.set(sql, statement);
    }
    return statement as Database.Statement<[Record<string, SqlParam>], Row>;
  }
}

/** The expiry statements' parameters for a query. */
function expiryToParams({ expireBefore, exclude, event }: ExpireDueQuery): ExpiryParams {
  return {
    before: expireBefore,
    exclude: JSON.stringify(exclude),
    ts: event.ts,
    id_time: idTime(Date.parse(event.ts)),
    run_id: event.run_id ?? null,
    type: event.type,
    step: event.step ?? null,
    tool: event.tool ?? null,
    level: event.level,
    message: event.message,
    meta: JSON.stringify(event.meta ?? {}),
  };
}

/** A UUIDv7's first 48 bits, the Unix time in ms, as its text spells them: `xxxxxxxx-xxxx`. */
function idTime(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8)}`;
}

/**
 * The events an expiry wrote, from the `[session_id, seq, id, trace_id]` its INSERT returned and
 * the fields every one shares. They share one `meta`, so they are returned frozen (a caller
 * changing one event's `meta` would change them all). Each is a literal, not a spread of the
 * shared fields: 100,000 spreads took ≈75 ms, the literals ≈20.
 */
function expiredEvents({ event }: ExpireDueQuery, rows: readonly ExpiredValues[]): SessionEvent[] {
  const { ts, type, level, message } = event;
  const [run_id, step, tool] = [event.run_id ?? null, event.step ?? null, event.tool ?? null];
  const meta = deepFreeze(copyData(event.meta ?? {}));
  return rows.map(([session_id, seq, id, trace_id]) =>
    Object.freeze({ id, seq, ts, session_id, run_id, type, step, tool, level, message, meta, trace_id }),
  );
}

/** Builds the `WHERE` for a session filter. The text depends only on which filters are set. */
function compileFilter(filter: SessionFilter): SessionWhere {
  const clauses = ['1 = 1'];
  const params: Record<string, SqlParam> = {};
  for (const key of EQUALITY_FILTERS) {
    const value = filter[key];
    if (value === undefined) continue;
    clauses.push(`${key} = @${key}`);
    params[key] = value;
  }
  const states = filterStates(filter);
  if (states !== undefined) {
    // The states travel as one JSON array parameter, so the SQL text is the same for any set.
    clauses.push('state IN (SELECT value FROM json_each(@states))');
    params.states = JSON.stringify(states);
  }
  return { sql: clauses.join(' AND '), params };
}

/** One count per key, 0 for keys with no rows (a value the schema does not know is left out). */
function countsFor<K extends string>(
  keys: readonly K[],
  rows: readonly { key: string; n: number }[],
): Record<K, number> {
  const counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const { key, n } of rows) if ((keys as readonly string[]).includes(key)) counts[key as K] = n;
  return counts;
}
