import { randomUUID } from 'node:crypto';
import type { Session, SessionEvent } from '../../core/index.ts';
import { openDatabase } from '../../stores/sqlite/sqlite-connection.ts';
import { eventToRow, sessionToRow, type EventValues } from '../../stores/sqlite/sqlite-rows.ts';
import { prepareStatements } from '../../stores/sqlite/sqlite-statements.ts';
import { startWalCheckpointer } from '../../stores/sqlite/wal-checkpointer.ts';
import type { BareOperations } from './bare-koa.ts';

/** The page size the gateway's `GET …/events` reads when no `limit` is given. */
const PAGE_LIMIT = 100;

export interface BareSqlite extends BareOperations {
  close(): Promise<void>;
}

/**
 * The bare baseline's store work on SQLite: the statements `SqliteStore` runs for the two measured
 * operations (the same text, from `prepareStatements`), on a database file of its own, opened and
 * migrated as the store opens its file (`openDatabase`: WAL, synchronous NORMAL, foreign keys; its
 * WAL checkpoints in a worker thread, as the store's are), by hand and with nothing else: no batch
 * checks, no seq bookkeeping, no events log, no hub.
 * It starts with `session` and its `events`, so GET reads the same page as the gateway.
 *
 * - create: one IMMEDIATE transaction of the session INSERT and its `session.created` event INSERT,
 *   per request; answers the session as the gateway does (every field but `trace_parent`).
 * - events: the session read (`SELECT * … WHERE id = ?`, for its `last_seq`), then the events page
 *   (the same raw SELECT), each row's `meta` parsed; answers `{ items, last_seq }`.
 */
export function bareSqlite(path: string, session: Session, events: readonly SessionEvent[]): BareSqlite {
  const db = openDatabase(path);
  const s = prepareStatements(db);
  const checkpointer = startWalCheckpointer(db, path);
  db.transaction(() => {
    s.insertSession.run(sessionToRow(session));
    for (const event of events) s.insertEvent.run(eventToRow(event));
  }).immediate();

  const insertCreated = db.transaction((row: Parameters<typeof s.insertSession.run>[0], ts: string) => {
    s.insertSession.run(row);
    s.insertEvent.run({
      session_id: row.id,
      seq: 1,
      id: randomUUID(),
      ts,
      run_id: null,
      type: 'session.created',
      step: null,
      tool: null,
      level: 'info',
      message: 'session created',
      meta: JSON.stringify({ user_id: row.user_id, agent_id: row.agent_id }),
      trace_id: null,
    });
  });

  return {
    create(body) {
      const ts = new Date().toISOString();
      const metadata = (body.metadata ?? {}) as Record<string, unknown>;
      const created = {
        id: randomUUID(),
        user_id: (body.user_id as string | undefined) ?? null,
        agent_id: (body.agent_id as string | undefined) ?? null,
        team_id: null,
        workflow_id: null,
        name: (body.name as string | undefined) ?? null,
        state: 'active',
        metadata,
        data: {},
        created_at: ts,
        updated_at: ts,
        last_active_at: ts,
        expires_at: null,
        trace_id: null,
        last_seq: 1,
        active_run_id: null,
        run_count: 0,
        usage: { tokens_in: 0, tokens_out: 0 },
      };
      insertCreated.immediate(
        {
          ...created,
          trace_parent: null,
          metadata: JSON.stringify(metadata),
          data: '{}',
          usage: JSON.stringify(created.usage),
          tokens_in: 0,
          tokens_out: 0,
        },
        ts,
      );
      return created;
    },
    events(sessionId) {
      const row = s.getSession.get(sessionId);
      if (!row) return undefined;
      const items = s.listEvents
        .all({ session_id: sessionId, after: 0, limit: PAGE_LIMIT })
        .map(([id, seq, ts, run_id, type, step, tool, level, message, meta, trace_id]: EventValues) => ({
          id,
          seq,
          ts,
          session_id: sessionId,
          run_id,
          type,
          step,
          tool,
          level,
          message,
          meta: JSON.parse(meta) as unknown,
          trace_id,
        }));
      return { items, last_seq: row.last_seq };
    },
    async close() {
      await checkpointer.stop();
      db.close();
    },
  };
}
