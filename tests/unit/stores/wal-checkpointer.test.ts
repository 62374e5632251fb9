import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../../stores/sqlite/sqlite-store.ts';
import { startWalCheckpointer, type WalCheckpointer } from '../../../stores/sqlite/wal-checkpointer.ts';
import { makeEvent, makeSession } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-wal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(root, `db-${++files}.sqlite`);

/** A WAL-mode database with a table to fill, as the store opens its file. */
function openWal(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
  return db;
}

describe('the WAL checkpointer', () => {
  let db: Database.Database | undefined;
  let checkpointer: WalCheckpointer | undefined;
  afterEach(async () => {
    await checkpointer?.stop();
    db?.close();
    checkpointer = db = undefined;
  });

  it('copies the WAL into the database file from its worker, never in a commit', async () => {
    const path = freshPath();
    db = openWal(path);
    checkpointer = startWalCheckpointer(db, path, 10);
    // The committing connection never checkpoints: SQLite's automatic checkpoint is off.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    // Far more than SQLite's own threshold of 1,000 pages, one commit each.
    for (let i = 0; i < 2_000; i += 1) insert.run('x'.repeat(2_000));
    const before = statSync(path).size;
    // Only a checkpoint moves pages into the database file: its worker's.
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(Math.max(before, 3_000_000)), {
      timeout: 20_000,
      interval: 20,
    });
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2_000 });
  });

  it('gives the checkpoints back to SQLite when its worker cannot open the database', async () => {
    const path = freshPath();
    db = openWal(path);
    checkpointer = startWalCheckpointer(db, join(root, 'no-such-folder', 'x.sqlite'), 10);
    await vi.waitFor(() => expect(db?.pragma('wal_autocheckpoint', { simple: true })).toBe(1000), {
      timeout: 20_000,
      interval: 20,
    });
  });

  it('runs under the SQLite store, whose close leaves no WAL behind', async () => {
    const path = freshPath();
    const store = SqliteStore.open({ path });
    const session = makeSession();
    await store.write({ session_id: session.id, create: session, events: [makeEvent(session.id)] });
    expect(existsSync(`${path}-wal`)).toBe(true);
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = SqliteStore.open({ path });
    expect(await reopened.listEvents(session.id, { after: 0, limit: 10 })).toHaveLength(1);
    await reopened.close();
  });
});
