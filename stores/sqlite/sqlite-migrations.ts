import type Database from 'better-sqlite3';

/** One schema step. Steps are append-only: never edit a shipped one, add the next. */
export interface Migration {
  name: string;
  sql: string;
}

/**
 * The schema, in order. Step `i` brings the file to `PRAGMA user_version = i + 1`.
 * Timestamps are ISO-8601 UTC strings (`toISOString()`), so text order is time order.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'initial schema',
    sql: `
      CREATE TABLE sessions (
        id             TEXT PRIMARY KEY,
        user_id        TEXT,
        agent_id       TEXT,
        team_id        TEXT,
        workflow_id    TEXT,
        name           TEXT,
        state          TEXT NOT NULL,
        metadata       TEXT NOT NULL, -- JSON object
        data           TEXT NOT NULL, -- JSON object
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        last_active_at TEXT NOT NULL,
        expires_at     TEXT,
        trace_id       TEXT,
        trace_parent   TEXT,
        last_seq       INTEGER NOT NULL DEFAULT 0,
        active_run_id  TEXT,
        run_count      INTEGER NOT NULL DEFAULT 0,
        usage          TEXT NOT NULL  -- JSON {tokens_in, tokens_out}
      );
      -- Listing pages newest first, alone or under one equality filter.
      CREATE INDEX sessions_by_created  ON sessions (created_at, id);
      CREATE INDEX sessions_by_user     ON sessions (user_id, created_at, id);
      CREATE INDEX sessions_by_agent    ON sessions (agent_id, created_at, id);
      CREATE INDEX sessions_by_team     ON sessions (team_id, created_at, id);
      CREATE INDEX sessions_by_workflow ON sessions (workflow_id, created_at, id);
      -- The sweeper: state plus age.
      CREATE INDEX sessions_by_state    ON sessions (state, last_active_at);
      CREATE INDEX sessions_by_last_active ON sessions (last_active_at);
      CREATE INDEX sessions_by_active_run  ON sessions (active_run_id);

      CREATE TABLE runs (
        session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        id          TEXT NOT NULL,
        flow        TEXT NOT NULL,
        status      TEXT NOT NULL,
        multitask   TEXT NOT NULL,
        input       TEXT NOT NULL, -- JSON object
        result      TEXT NOT NULL, -- JSON value, 'null' when none
        error       TEXT,          -- JSON RunError
        created_at  TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT,
        duration_ms INTEGER,
        usage       TEXT NOT NULL, -- JSON {tokens_in, tokens_out}
        PRIMARY KEY (session_id, id)
      );
      CREATE INDEX runs_by_status ON runs (status, created_at);

      CREATE TABLE events (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        id         TEXT NOT NULL,
        ts         TEXT NOT NULL,
        run_id     TEXT,
        type       TEXT NOT NULL,
        step       TEXT,
        tool       TEXT,
        level      TEXT NOT NULL,
        message    TEXT NOT NULL,
        meta       TEXT NOT NULL, -- JSON object
        trace_id   TEXT,
        PRIMARY KEY (session_id, seq)
      );

      -- position: an autoincrement rowid, so "oldest first" is insertion order and never reused.
      CREATE TABLE messages (
        position   INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        id         TEXT NOT NULL,
        run_id     TEXT,
        role       TEXT NOT NULL,
        content    TEXT NOT NULL,
        tool       TEXT,
        ts         TEXT NOT NULL,
        UNIQUE (session_id, id)
      );
      CREATE INDEX messages_by_session ON messages (session_id, position);

      CREATE TABLE checkpoints (
        position   INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        id         TEXT NOT NULL,
        run_id     TEXT,
        label      TEXT,
        payload    TEXT NOT NULL, -- JSON, or AES-256-GCM ciphertext
        created_at TEXT NOT NULL,
        UNIQUE (session_id, id)
      );
      CREATE INDEX checkpoints_by_session ON checkpoints (session_id, created_at, position);
    `,
  },
  {
    // Less index work on every write, and a sweep that reads its candidates in order.
    // - No query used sessions_by_last_active; sessions_by_active_run served only the forced sweep.
    // - (state, last_active_at, id) gives the sweep its ORDER BY last_active_at, id without a sort.
    // - The equality-filter indexes leave NULLs out: `user_id = ?` never matches NULL, and most
    //   sessions lack a team or a workflow (many a user), so a create skips those indexes.
    name: 'sweep index in sweep order; no unused or NULL index entries',
    sql: `
      DROP INDEX sessions_by_last_active;
      DROP INDEX sessions_by_active_run;
      DROP INDEX sessions_by_state;
      CREATE INDEX sessions_by_state ON sessions (state, last_active_at, id);
      DROP INDEX sessions_by_user;
      DROP INDEX sessions_by_agent;
      DROP INDEX sessions_by_team;
      DROP INDEX sessions_by_workflow;
      CREATE INDEX sessions_by_user     ON sessions (user_id, created_at, id)     WHERE user_id IS NOT NULL;
      CREATE INDEX sessions_by_agent    ON sessions (agent_id, created_at, id)    WHERE agent_id IS NOT NULL;
      CREATE INDEX sessions_by_team     ON sessions (team_id, created_at, id)     WHERE team_id IS NOT NULL;
      CREATE INDEX sessions_by_workflow ON sessions (workflow_id, created_at, id) WHERE workflow_id IS NOT NULL;
    `,
  },
  {
    // The stats' token totals: SUM over integer columns the store writes along with `usage` (its
    // counts as `countedUsage` takes them: non-negative safe integers, 0 otherwise). Summing
    // json_extract(usage, …) instead made the stats query of 200,000 sessions 2.7 times slower
    // (126 ms against 47). Adding a NOT NULL DEFAULT column does not rewrite the table; the backfill
    // rewrites only the rows with tokens. CASE, not AND: json_type refuses text that is no JSON.
    name: 'sessions carry their token counts as integer columns',
    sql: `
      ALTER TABLE sessions ADD COLUMN tokens_in  INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE sessions ADD COLUMN tokens_out INTEGER NOT NULL DEFAULT 0;
      UPDATE sessions SET
        tokens_in = CASE WHEN json_type(usage, '$.tokens_in') = 'integer'
            AND json_extract(usage, '$.tokens_in') BETWEEN 0 AND 9007199254740991
          THEN json_extract(usage, '$.tokens_in') ELSE 0 END,
        tokens_out = CASE WHEN json_type(usage, '$.tokens_out') = 'integer'
            AND json_extract(usage, '$.tokens_out') BETWEEN 0 AND 9007199254740991
          THEN json_extract(usage, '$.tokens_out') ELSE 0 END
      WHERE CASE WHEN json_valid(usage)
        THEN json_extract(usage, '$.tokens_in') > 0 OR json_extract(usage, '$.tokens_out') > 0
        ELSE 0 END;
    `,
  },
  {
    // The stats' recent activity (`finishedRuns`): the runs finished since a time, found through
    // this index instead of a scan of every run. Partial: a queued or running run has no finish time.
    name: 'runs are indexed by finish time',
    sql: `
      CREATE INDEX runs_by_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file up to {@link SCHEMA_VERSION}, all pending steps in one immediate transaction,
 * so two processes opening a new file at once cannot both migrate it. Returns the version.
 */
export function migrate(db: Database.Database): number {
  const readVersion = (): number => Number(db.pragma('user_version', { simple: true }));
  if (readVersion() === SCHEMA_VERSION) return SCHEMA_VERSION;
  const apply = db.transaction(() => {
    const current = readVersion(); // re-read under the write lock: another process may have won
    if (current > SCHEMA_VERSION) {
      throw new Error(`schema version ${current} is newer than this build knows (${SCHEMA_VERSION})`);
    }
    for (const step of MIGRATIONS.slice(current)) db.exec(step.sql);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  apply.immediate();
  return SCHEMA_VERSION;
}
