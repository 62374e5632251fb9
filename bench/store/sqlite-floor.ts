import Database from 'better-sqlite3';
import type { Floor } from './floor.ts';
import type { Append } from './workload.ts';

const COLUMNS = 'session_id, seq, id, ts, run_id, type, step, tool, level, message, meta, trace_id';

/**
 * The SQLite store's floor: its events table alone (same columns and primary key, same WAL and
 * `synchronous = NORMAL`), written by one prepared INSERT per event in one transaction per write,
 * read by one prepared SELECT returning raw rows. No session row, no counter, no foreign key.
 */
export class SqliteFloor implements Floor {
  private readonly db: Database.Database;
  private readonly insertMany: (write: Append) => void;
  private readonly select: Database.Statement<[string, number, number], unknown[]>;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE events (
      session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, ts TEXT NOT NULL, run_id TEXT,
      type TEXT NOT NULL, step TEXT, tool TEXT, level TEXT NOT NULL, message TEXT NOT NULL,
      meta TEXT NOT NULL, trace_id TEXT, PRIMARY KEY (session_id, seq))`);
    const insert = this.db.prepare(
      `INSERT INTO events (${COLUMNS}) VALUES (${COLUMNS.replace(/(\w+)/g, '@$1')})`,
    );
    this.insertMany = this.db.transaction(({ numbered }: Append) => {
      for (const e of numbered) {
        insert.run({
          session_id: e.session_id,
          seq: e.seq,
          id: e.id,
          ts: e.ts,
          run_id: e.run_id,
          type: e.type,
          step: e.step,
          tool: e.tool,
          level: e.level,
          message: e.message,
          meta: JSON.stringify(e.meta),
          trace_id: e.trace_id,
        });
      }
    });
    this.select = this.db
      .prepare<[string, number, number], unknown[]>(
        `SELECT ${COLUMNS} FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .raw(true);
  }

  async append(write: Append): Promise<void> {
    this.insertMany(write);
  }

  async read(sessionId: string, after: number, limit: number): Promise<number> {
    return this.select.all(sessionId, after, limit).length;
  }

  async clear(sessionIds: readonly string[]): Promise<void> {
    const remove = this.db.prepare('DELETE FROM events WHERE session_id = ?');
    this.db.transaction(() => sessionIds.forEach((id) => remove.run(id)))();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
