import type Database from 'better-sqlite3';
import type { StoredCheckpoint } from '../../core/checkpoints/checkpoint.ts';
import type { Message } from '../../core/events/message.ts';
import type { SessionState } from '../../core/sessions/session.ts';
import type { FinishedRunSample, SweepCandidate } from '../../core/store/session-store.ts';
import {
  EVENT_VALUES,
  type EventRow,
  type EventValues,
  type RunRow,
  type SessionRow,
} from './sqlite-rows.ts';

const RUN_COLUMNS = `session_id, id, flow, status, multitask, input, result, error,
  created_at, started_at, finished_at, duration_ms, usage`;
const MESSAGE_COLUMNS = 'id, session_id, run_id, role, content, tool, ts';
const CHECKPOINT_COLUMNS = 'id, session_id, run_id, label, payload, created_at';
const CANDIDATE_COLUMNS = 'id, trace_id, state, last_active_at';
/** A session the sweep may touch: no active run, and no run stored queued or running (by any process). */
const NO_RUN = `active_run_id IS NULL AND NOT EXISTS (
        SELECT 1 FROM runs WHERE runs.session_id = sessions.id AND runs.status IN ('queued', 'running'))`;

/** Not one of the sessions a sweep was told to leave alone (a JSON array of ids). */
const NOT_EXCLUDED = 'id NOT IN (SELECT value FROM json_each(@exclude))';
/** The sessions an expiry takes: `idle` ones last active before the cut, or (forced) every live one. */
const DUE = `state = 'idle' AND last_active_at < @before AND ${NO_RUN} AND ${NOT_EXCLUDED}`;
const DUE_FORCED = `state IN ('active', 'idle') AND ${NO_RUN} AND ${NOT_EXCLUDED}`;
/**
 * A UUIDv7 as the core's `newId()` makes them: `@id_time` (the expiry's ms timestamp as its first 12
 * hex digits, `xxxxxxxx-xxxx`), the version 7, then 74 random bits from SQLite's generator (ChaCha20,
 * seeded by the OS) with the variant nibble one of 8, 9, a, b.
 */
const UUID_V7 = `@id_time || '-7' || lower(substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1)
  || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

/** The parameters of the expiry statements: the cut, the excluded ids, the event's shared fields. */
export type ExpiryParams = Omit<EventRow, 'session_id' | 'seq' | 'id' | 'trace_id'> & {
  before: string;
  /** JSON array of session ids. */
  exclude: string;
  /** The first 48 bits of the events' UUIDv7s (`ts` in ms) as `xxxxxxxx-xxxx`. */
  id_time: string;
};

/** What the expiry's event INSERT returns per session: `[session_id, seq, id, trace_id]`. */
export type ExpiredValues = [session_id: string, seq: number, id: string, trace_id: string | null];

/**
 * The two statements of a set-based expiry over the sessions `where` selects, run in one immediate
 * transaction: the events first (each `seq` is the session's `last_seq + 1`), then the sessions,
 * with the same `where`, which nothing between them can change. One statement each instead of
 * two per session; an UPDATE … RETURNING followed by an INSERT per returned row measured slower.
 */
function expiryStatements(db: Database.Database, where: string) {
  return {
    insertEvents: db
      .prepare<ExpiryParams, ExpiredValues>(
        `
      INSERT INTO events (session_id, seq, id, ts, run_id, type, step, tool, level, message, meta, trace_id)
      SELECT id, last_seq + 1, ${UUID_V7}, @ts, @run_id, @type, @step, @tool, @level, @message, @meta, trace_id
      FROM sessions WHERE ${where}
      RETURNING session_id, seq, id, trace_id`,
      )
      .raw(true),
    markExpired: db.prepare<ExpiryParams>(`
      UPDATE sessions SET state = 'expired', updated_at = @ts, expires_at = NULL, last_seq = last_seq + 1
      WHERE ${where}`),
  };
}

interface KeyCount {
  key: string;
  n: number;
}

/** The stats' aggregates over a set of sessions: mean duration (null for none) and token sums. */
export interface SessionTotals {
  avg: number | null;
  tokens_in: number;
  tokens_out: number;
}

/** TOTAL, not SUM: 0 (not NULL) over no rows; exact below 2^53, as each count is (`countedUsage`). */
const SESSION_TOTALS = `AVG(unixepoch(last_active_at, 'subsec') - unixepoch(created_at, 'subsec')) AS avg,
  TOTAL(tokens_in) AS tokens_in, TOTAL(tokens_out) AS tokens_out`;

/**
 * Every fixed statement the store runs, prepared once per connection.
 * (Session listing has optional filters, so its statements are built and cached by `SqliteStore`.)
 */
export function prepareStatements(db: Database.Database) {
  return {
    ping: db.prepare<[], { ok: number }>('SELECT 1 AS ok'),

    getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
    getLastSeq: db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM sessions WHERE id = ?'),
    // DO NOTHING: a create of an existing id changes no row, which the store turns into its own error.
    insertSession: db.prepare<SessionRow>(`
      INSERT INTO sessions (id, user_id, agent_id, team_id, workflow_id, name, state, metadata, data,
        created_at, updated_at, last_active_at, expires_at, trace_id, trace_parent, last_seq,
        active_run_id, run_count, usage, tokens_in, tokens_out)
      VALUES (@id, @user_id, @agent_id, @team_id, @workflow_id, @name, @state, @metadata, @data,
        @created_at, @updated_at, @last_active_at, @expires_at, @trace_id, @trace_parent, @last_seq,
        @active_run_id, @run_count, @usage, @tokens_in, @tokens_out)
      ON CONFLICT (id) DO NOTHING`),
    // The last_seq a write's event-only batches moved, once at its end. (Patch UPDATEs SET only the
    // columns they change; the store builds those per column set.)
    setLastSeq: db.prepare<[number, string]>('UPDATE sessions SET last_seq = ? WHERE id = ?'),
    deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE id = ?'),

    toIdle: db.prepare<{ before: string }, SweepCandidate>(`
      SELECT ${CANDIDATE_COLUMNS} FROM sessions
      WHERE state = 'active' AND ${NO_RUN} AND last_active_at < @before
      ORDER BY last_active_at, id`),
    toExpire: db.prepare<{ before: string }, SweepCandidate>(`
      SELECT ${CANDIDATE_COLUMNS} FROM sessions
      WHERE state = 'idle' AND ${NO_RUN} AND last_active_at < @before
      ORDER BY last_active_at, id`),
    toExpireForced: db.prepare<[], SweepCandidate>(`
      SELECT ${CANDIDATE_COLUMNS} FROM sessions
      WHERE state IN ('active', 'idle') AND ${NO_RUN}
      ORDER BY last_active_at, id`),
    expireDue: expiryStatements(db, DUE),
    expireForced: expiryStatements(db, DUE_FORCED),
    // What a batch's `expect` is checked against, inside the write transaction.
    getExpected: db.prepare<[string], { state: SessionState; last_active_at: string }>(
      'SELECT state, last_active_at FROM sessions WHERE id = ?',
    ),
    countLive: db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND state IN ('active', 'idle')`,
    ),

    upsertRun: db.prepare<RunRow>(`
      INSERT INTO runs (${RUN_COLUMNS})
      VALUES (@session_id, @id, @flow, @status, @multitask, @input, @result, @error,
        @created_at, @started_at, @finished_at, @duration_ms, @usage)
      ON CONFLICT (session_id, id) DO UPDATE SET
        flow = excluded.flow, status = excluded.status, multitask = excluded.multitask,
        input = excluded.input, result = excluded.result, error = excluded.error,
        created_at = excluded.created_at, started_at = excluded.started_at,
        finished_at = excluded.finished_at, duration_ms = excluded.duration_ms, usage = excluded.usage`),
    getRun: db.prepare<[string, string], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE session_id = ? AND id = ?`,
    ),
    // rowid breaks created_at ties in insertion order (an upsert keeps the row, so keeps its place).
    listRuns: db.prepare<[string], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE session_id = ? ORDER BY created_at, rowid`,
    ),
    // The statuses arrive as one JSON array, so one statement serves any set of them.
    listRunsByStatus: db.prepare<[string], RunRow>(`
      SELECT ${RUN_COLUMNS} FROM runs
      WHERE status IN (SELECT value FROM json_each(?))
      ORDER BY created_at, rowid`),

    insertEvent: db.prepare<EventRow>(`
      INSERT INTO events (session_id, seq, id, ts, run_id, type, step, tool, level, message, meta, trace_id)
      VALUES (@session_id, @seq, @id, @ts, @run_id, @type, @step, @tool, @level, @message, @meta, @trace_id)`),
    // Raw rows (arrays): `eventFromValues` builds each event anyway, so better-sqlite3 need not build
    // an object per row first; and no session_id column, it is the one asked for. A 23-event page
    // took 68 µs inside `all()` as objects of every column, 44 µs this way.
    listEvents: db
      .prepare<{ session_id: string; after: number; limit: number }, EventValues>(
        `
      SELECT ${EVENT_VALUES} FROM events
      WHERE session_id = @session_id AND seq > @after
      ORDER BY seq
      LIMIT @limit`,
      )
      .raw(true),
    eventBounds: db.prepare<[string], { first_seq: number | null; last_seq: number | null }>(`
      SELECT (SELECT MIN(seq) FROM events WHERE session_id = s.id) AS first_seq, s.last_seq AS last_seq
      FROM sessions AS s WHERE s.id = ?`),

    upsertMessage: db.prepare<Message>(`
      INSERT INTO messages (${MESSAGE_COLUMNS})
      VALUES (@id, @session_id, @run_id, @role, @content, @tool, @ts)
      ON CONFLICT (session_id, id) DO UPDATE SET
        run_id = excluded.run_id, role = excluded.role, content = excluded.content,
        tool = excluded.tool, ts = excluded.ts`),
    listMessages: db.prepare<[string], Message>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE session_id = ? ORDER BY position`,
    ),

    upsertCheckpoint: db.prepare<StoredCheckpoint>(`
      INSERT INTO checkpoints (${CHECKPOINT_COLUMNS})
      VALUES (@id, @session_id, @run_id, @label, @payload, @created_at)
      ON CONFLICT (session_id, id) DO UPDATE SET
        run_id = excluded.run_id, label = excluded.label, payload = excluded.payload,
        created_at = excluded.created_at`),
    listCheckpoints: db.prepare<[string], StoredCheckpoint>(`
      SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints
      WHERE session_id = ? ORDER BY created_at, position`),
    getCheckpoint: db.prepare<[string, string], StoredCheckpoint>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE session_id = ? AND id = ?`,
    ),
    latestCheckpoint: db.prepare<[string], StoredCheckpoint>(`
      SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints
      WHERE session_id = ? ORDER BY created_at DESC, position DESC LIMIT 1`),
    deleteCheckpoint: db.prepare<[string, string]>('DELETE FROM checkpoints WHERE session_id = ? AND id = ?'),
    deleteAllCheckpoints: db.prepare<[string]>('DELETE FROM checkpoints WHERE session_id = ?'),

    sessionsByState: db.prepare<[], KeyCount>(
      'SELECT state AS key, COUNT(*) AS n FROM sessions GROUP BY state',
    ),
    // unixepoch(…, 'subsec') keeps milliseconds; sessions with unparsable times are left out (NULL).
    // The token sums ride on the same pass over the sessions.
    sessionTotals: db.prepare<[], SessionTotals>(`SELECT ${SESSION_TOTALS} FROM sessions`),
    runsByStatus: db.prepare<[], KeyCount>('SELECT status AS key, COUNT(*) AS n FROM runs GROUP BY status'),
    // One user's (`GET /v1/stats` with API keys): through sessions_by_user, and runs by their primary key.
    userSessionsByState: db.prepare<[string], KeyCount>(
      'SELECT state AS key, COUNT(*) AS n FROM sessions WHERE user_id = ? GROUP BY state',
    ),
    userSessionTotals: db.prepare<[string], SessionTotals>(
      `SELECT ${SESSION_TOTALS} FROM sessions WHERE user_id = ?`,
    ),
    userRunsByStatus: db.prepare<[string], KeyCount>(`
      SELECT runs.status AS key, COUNT(*) AS n
      FROM sessions JOIN runs ON runs.session_id = sessions.id
      WHERE sessions.user_id = ? GROUP BY runs.status`),
    // The runs finished since a time, of everyone or one user, through runs_by_finished. The unary
    // + keeps the planner off runs_by_status, which would walk every finished run ever stored.
    finishedRuns: db.prepare<[string], FinishedRunSample>(`
      SELECT status, started_at, finished_at, duration_ms FROM runs
      WHERE finished_at >= ? AND +status IN ('completed', 'failed', 'cancelled')`),
    userFinishedRuns: db.prepare<[string, string], FinishedRunSample>(`
      SELECT runs.status, runs.started_at, runs.finished_at, runs.duration_ms
      FROM runs JOIN sessions ON sessions.id = runs.session_id
      WHERE runs.finished_at >= ? AND +runs.status IN ('completed', 'failed', 'cancelled')
        AND sessions.user_id = ?`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
