import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, TributaryError } from '../../core/errors.ts';

/** What holds a database file for this process; `release` is idempotent. */
export interface ProcessLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the exclusive, process-wide ownership of the SQLite database at `dbPath`, or throws
 * STORE_LOCKED naming SQLITE_PATH when another process holds it.
 *
 * The lock is an exclusive SQLite transaction, never committed, on a side file `<db>.lock`: an OS
 * file lock, so it is released when the process ends however it ends (SIGKILL included), and never
 * goes stale. The database itself stays open to other readers (a backup, `sqlite3` for a look); only
 * a second Tributary, which would recover (fail) the first one's runs, is kept out.
 *
 * @example
 * ```ts
 * const lock = lockDatabase('./data/tributary.db'); // throws STORE_LOCKED while another process runs on it
 * // … open the store, recover runs, serve …
 * lock.release();
 * ```
 */
export function lockDatabase(dbPath: string): ProcessLock {
  const path = `${dbPath}.lock`;
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    // timeout 0: a held lock is an answer, not something to wait for.
    db = new Database(path, { timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
  } catch (cause) {
    db?.close();
    const busy = cause instanceof Database.SqliteError && cause.code.startsWith('SQLITE_BUSY');
    throw new TributaryError(
      busy ? 'STORE_LOCKED' : 'STORE_UNAVAILABLE',
      busy
        ? `SQLITE_PATH ${dbPath} is in use by another Tributary process (lock ${path}); stop that one or set another SQLITE_PATH`
        : `SQLITE_PATH ${dbPath}: cannot take the lock ${path}: ${errorMessage(cause)}`,
      { field: 'SQLITE_PATH', cause },
    );
  }
  const held = db;
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      held.close();
    },
  };
}
