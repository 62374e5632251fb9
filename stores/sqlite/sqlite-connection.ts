import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TributaryError, errorMessage, isTributaryError } from '../../core/errors.ts';
import { migrate } from './sqlite-migrations.ts';

/** Every SQLite file starts with these 16 bytes. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (or creates) the database file, sets it up for many writers and migrates it.
 * Anything that stops it, from a directory at `path` to a file of random bytes, becomes
 * `STORE_CORRUPT` naming the path, and a file that is not SQLite is never written to.
 */
export function openDatabase(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      assertLooksLikeSqlite(path);
    }
    // timeout = busy_timeout: a writer waits up to 5 s for another connection's transaction.
    db = new Database(path, { timeout: 5000 });
    db.pragma('journal_mode = WAL'); // readers never block the writer, and the other way round
    db.pragma('synchronous = NORMAL'); // safe with WAL: a power cut can lose the last commits, not corrupt
    db.pragma('foreign_keys = ON'); // per connection; deleting a session cascades to what it owns
    migrate(db);
    return db;
  } catch (cause) {
    db?.close();
    throw new TributaryError('STORE_CORRUPT', `${path}: ${errorMessage(cause)}`, { cause });
  }
}

/**
 * Refuses, before SQLite touches it, anything at `path` that is not a SQLite file.
 * A missing or empty file is fine: SQLite makes a new database there.
 */
function assertLooksLikeSqlite(path: string): void {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error(stat.isDirectory() ? 'is a directory' : 'not a regular file');
    size = stat.size;
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) throw new Error('file is not a SQLite database');
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Turns what better-sqlite3 throws into the catalog: lock timeouts and I/O trouble are
 * `STORE_UNAVAILABLE` (worth a retry), damage found while running is `STORE_CORRUPT`.
 * Our own errors and programming errors pass through unchanged.
 */
export function toStoreError(error: unknown, path: string): unknown {
  if (isTributaryError(error) || !(error instanceof Database.SqliteError)) return error;
  const code = error.code;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new TributaryError('STORE_CORRUPT', `${path}: ${error.message}`, { cause: error });
  }
  if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|PROTOCOL)/.test(code)) {
    return new TributaryError('STORE_UNAVAILABLE', `${path}: ${error.message}`, {
      cause: error,
      retryable: true,
    });
  }
  return error;
}
