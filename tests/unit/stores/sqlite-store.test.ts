import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SessionStore } from '../../../core/store/session-store.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../stores/sqlite/sqlite-migrations.ts';
import { prepareStatements } from '../../../stores/sqlite/sqlite-statements.ts';
import { SqliteStore } from '../../../stores/sqlite/sqlite-store.ts';
import { makeEvent, makeSession } from './fixtures.ts';
import type { WriterJob, WriterReport } from './sqlite-writer.worker.ts';
import { describeDurableStoreConformance, describeStoreConformance } from './store-conformance.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Each writer thread runs this file, loaded through tsx by `tsx-worker.mjs`. */
const writerEntry = new URL('./sqlite-writer.worker.ts', import.meta.url).href;

let fileCount = 0;
/** A fresh database path in a folder that does not exist yet (open must create it). */
const freshPath = (): string => join(root, `db-${++fileCount}`, 'tributary.db');

let current = '';
const openFresh = async () => SqliteStore.open({ path: (current = freshPath()) });
describeStoreConformance('SqliteStore', { open: openFresh });
describeDurableStoreConformance('SqliteStore', {
  open: openFresh,
  reopen: async () => SqliteStore.open({ path: current }),
  openSecond: async () => SqliteStore.open({ path: current }),
});

describe('SqliteStore', () => {
  const opened: SessionStore[] = [];
  const open = (path: string): SqliteStore => {
    const store = SqliteStore.open({ path });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  /** Reads a pragma straight from the file, past the store. */
  function pragma(path: string, name: string): unknown {
    const db = new Database(path, { readonly: true });
    try {
      return db.pragma(name, { simple: true });
    } finally {
      db.close();
    }
  }

  it('creates the folder and the file, in WAL mode', () => {
    const path = freshPath();
    open(path);
    expect(existsSync(path)).toBe(true);
    expect(pragma(path, 'journal_mode')).toBe('wal');
  });

  it('works in memory', async () => {
    const store = open(':memory:');
    const session = makeSession();
    await store.write({ session_id: session.id, create: session, events: [makeEvent(session.id)] });
    expect((await store.getSession(session.id))?.last_seq).toBe(1);
  });

  it('migrates once: opening again, also while open elsewhere, keeps schema and data', async () => {
    const path = freshPath();
    const first = open(path);
    const session = makeSession();
    await first.write({ session_id: session.id, create: session });
    const second = open(path);
    await first.close();
    const third = open(path);
    expect(pragma(path, 'user_version')).toBe(SCHEMA_VERSION);
    expect(await second.getSession(session.id)).toEqual(session);
    expect(await third.countSessions({})).toBe(1);
  });

  it('migrates a version 2 file: the token columns filled from usage, damaged counts as 0', async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const v2 = new Database(path);
    for (const step of MIGRATIONS.slice(0, 2)) v2.exec(step.sql);
    v2.pragma('user_version = 2');
    const insert = v2.prepare<[string, string | null, string]>(`
      INSERT INTO sessions (id, user_id, state, metadata, data, created_at, updated_at, last_active_at, usage)
      VALUES (?, ?, 'expired', '{}', '{}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z', ?)`);
    insert.run('a', 'ann', '{"tokens_in":40,"tokens_out":2}');
    insert.run('b', 'ann', '{"tokens_in":0,"tokens_out":0}');
    insert.run('c', 'bob', '{"tokens_in":9,"tokens_out":1}');
    // Counted as countedUsage counts them: a fraction, a negative count, text that is no JSON.
    insert.run('d', 'ann', '{"tokens_in":1.5,"tokens_out":-3}');
    insert.run('e', null, 'not json');
    v2.close();

    const store = open(path);
    expect(pragma(path, 'user_version')).toBe(SCHEMA_VERSION);
    expect((await store.stats()).usage).toEqual({ tokens_in: 49, tokens_out: 3 });
    expect((await store.stats({ user_id: 'ann' })).usage).toEqual({ tokens_in: 40, tokens_out: 2 });
    // And from here on the columns follow usage.
    await store.write({ session_id: 'c', patch: { usage: { tokens_in: 10, tokens_out: 5 } } });
    expect((await store.stats({ user_id: 'bob' })).usage).toEqual({ tokens_in: 10, tokens_out: 5 });
  });

  it('migrates a version 1 file: its data kept, the sweep reading its index in order', async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const v1 = new Database(path);
    v1.exec(MIGRATIONS[0]?.sql ?? '');
    v1.pragma('user_version = 1');
    v1.close();
    const store = open(path);
    const session = makeSession({ state: 'idle' });
    await store.write({ session_id: session.id, create: session, events: [makeEvent(session.id)] });
    expect(pragma(path, 'user_version')).toBe(SCHEMA_VERSION);
    const db = new Database(path, { readonly: true });
    try {
      const indexes = db
        .prepare<[], { name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions' AND sql IS NOT NULL",
        )
        .all()
        .map((row) => row.name)
        .sort();
      expect(indexes).not.toContain('sessions_by_last_active');
      expect(indexes).not.toContain('sessions_by_active_run');
      const plan = db
        .prepare<[], { detail: string }>(
          `EXPLAIN QUERY PLAN SELECT id, trace_id FROM sessions
           WHERE state = 'idle' AND active_run_id IS NULL AND NOT EXISTS (
             SELECT 1 FROM runs WHERE runs.session_id = sessions.id AND runs.status IN ('queued', 'running'))
           AND last_active_at < '9' ORDER BY last_active_at, id`,
        )
        .all()
        .map((row) => row.detail)
        .join('; ');
      expect(plan).toContain('sessions_by_state');
      expect(plan).not.toContain('TEMP B-TREE');
      // A candidate's open runs are looked up by the runs' primary key, not by scanning every run.
      expect(plan).not.toMatch(/SCAN runs\b/);
      // The equality-filter indexes hold no NULLs, and a filtered listing still reads its index.
      const byUser = db
        .prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'sessions_by_user'")
        .get();
      expect(byUser?.sql).toContain('WHERE user_id IS NOT NULL');
      const listing = db
        .prepare<[], { detail: string }>(
          `EXPLAIN QUERY PLAN SELECT * FROM sessions WHERE user_id = 'ann' ORDER BY created_at DESC, id DESC`,
        )
        .all()
        .map((row) => row.detail)
        .join('; ');
      expect(listing).toContain('sessions_by_user');
      expect(listing).not.toContain('TEMP B-TREE');
    } finally {
      db.close();
    }
    const cutoff = '9999';
    const { toExpire } = await store.sweepCandidates({
      idleBefore: cutoff,
      expireBefore: cutoff,
      force: false,
    });
    expect(toExpire).toEqual([
      { id: session.id, trace_id: null, state: 'idle', last_active_at: session.last_active_at },
    ]);
  });

  it('finds the runs finished since a time through runs_by_finished, never scanning every run', async () => {
    const path = freshPath();
    await open(path).ping();
    const db = new Database(path, { readonly: true });
    try {
      const statements = prepareStatements(db);
      const planOf = (sql: string, ...params: string[]): string =>
        db
          .prepare<string[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...params)
          .map((row) => row.detail)
          .join('; ');
      const all = planOf(statements.finishedRuns.source, '2026');
      expect(all).toContain('runs_by_finished');
      expect(all).not.toMatch(/SCAN runs\b/);
      expect(planOf(statements.userFinishedRuns.source, '2026', 'ann')).not.toMatch(/SCAN runs\b/);
    } finally {
      db.close();
    }
  });

  it('SETs only the columns a patch changes (and last_seq), so untouched indexes are not rewritten', async () => {
    const path = freshPath();
    const store = open(path);
    const session = makeSession({ user_id: 'ann' });
    await store.write({ session_id: session.id, create: session });
    // `UPDATE OF col` triggers fire when col is in the SET list, whether or not its value changes.
    const db = new Database(path);
    db.exec(`
      CREATE TABLE set_columns (name TEXT);
      CREATE TRIGGER user_set AFTER UPDATE OF user_id ON sessions BEGIN INSERT INTO set_columns VALUES ('user_id'); END;
      CREATE TRIGGER state_set AFTER UPDATE OF state ON sessions BEGIN INSERT INTO set_columns VALUES ('state'); END;
      CREATE TRIGGER seq_set AFTER UPDATE OF last_seq ON sessions BEGIN INSERT INTO set_columns VALUES ('last_seq'); END;
    `);
    db.close();
    await store.write({ session_id: session.id, events: [makeEvent(session.id)] });
    await store.write({ session_id: session.id, patch: { state: 'idle' }, events: [makeEvent(session.id)] });
    const reader = new Database(path, { readonly: true });
    const set = reader.prepare<[], { name: string }>('SELECT name FROM set_columns').all();
    reader.close();
    expect(set.map((row) => row.name).sort()).toEqual(['last_seq', 'last_seq', 'state']);
    expect(await store.getSession(session.id)).toMatchObject({ user_id: 'ann', state: 'idle', last_seq: 2 });
  });

  it('refuses a file whose schema is newer than it knows, and leaves it alone', () => {
    const path = freshPath();
    open(path);
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => SqliteStore.open({ path })).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
    expect(pragma(path, 'user_version')).toBe(SCHEMA_VERSION + 1);
  });

  it('refuses a file of random bytes with STORE_CORRUPT and never writes to it', () => {
    const dir = join(root, `random-${++fileCount}`);
    mkdirSync(dir);
    const path = join(dir, 'tributary.db');
    const bytes = randomBytes(8192);
    writeFileSync(path, bytes);

    expect(() => SqliteStore.open({ path })).toThrow(
      expect.objectContaining({
        name: 'TributaryError',
        code: 'STORE_CORRUPT',
        message: expect.stringContaining(path),
      }),
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['tributary.db']); // no -wal or -shm left behind
  });

  it('refuses a SQLite file damaged past its header with STORE_CORRUPT', async () => {
    const path = freshPath();
    await SqliteStore.open({ path }).close();
    const bytes = readFileSync(path);
    bytes.fill(0xa5, 100, 4096); // page 1 after the header: the schema table
    writeFileSync(path, bytes);
    expect(() => SqliteStore.open({ path })).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
  });

  it('refuses a path that is a directory with STORE_CORRUPT', () => {
    const path = join(root, `a-directory-${++fileCount}`);
    mkdirSync(path);
    expect(() => SqliteStore.open({ path })).toThrow(
      expect.objectContaining({ code: 'STORE_CORRUPT', message: `${path}: is a directory` }),
    );
    expect(readdirSync(path)).toEqual([]);
  });

  it('rejects calls and ping with STORE_UNAVAILABLE after close', async () => {
    const store = open(freshPath());
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', kind: 'unavailable' });
    await expect(store.countSessions({})).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('keeps seq gap-free with two writers in separate threads on one file', async () => {
    const path = freshPath();
    const store = open(path);
    const session = makeSession();
    await store.write({ session_id: session.id, create: session });
    const count = 150;

    const workers = ['left', 'right'].map(
      (name) =>
        new Worker(new URL('./tsx-worker.mjs', import.meta.url), {
          workerData: { entry: writerEntry, path, sessionId: session.id, count, name } satisfies WriterJob & {
            entry: string;
          },
        }),
    );
    try {
      const reports = workers.map((worker) => listen(worker));
      await Promise.all(reports.map((r) => r.ready));
      for (const worker of workers) worker.postMessage('go'); // both start together, so they contend
      const seqs = (await Promise.all(reports.map((r) => r.done))).flat().sort((a, b) => a - b);

      const expected = Array.from({ length: 2 * count }, (_, i) => i + 1);
      expect(seqs).toEqual(expected);
      const events = await store.listEvents(session.id, { after: 0, limit: 10_000 });
      expect(events.map((e) => e.seq)).toEqual(expected);
      expect(new Set(events.map((e) => e.message.split(' ')[0]))).toEqual(new Set(['left', 'right']));
      expect((await store.getSession(session.id))?.last_seq).toBe(2 * count);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});

/** The two reports a writer sends, as promises; a crash in the worker rejects both. */
function listen(worker: Worker): { ready: Promise<void>; done: Promise<number[]> } {
  let onReady: () => void = () => undefined;
  let onDone: (seqs: number[]) => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<number[]>((resolve) => (onDone = resolve));
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`writer exited early with code ${code}`)));
  });
  worker.on('message', (report: WriterReport) => {
    if (report.type === 'ready') onReady();
    else onDone(report.seqs);
  });
  // Either race may go unawaited once the other rejects; mark them handled, awaiting still throws.
  const guarded = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return p;
  };
  return { ready: guarded(Promise.race([ready, failed])), done: guarded(Promise.race([done, failed])) };
}
