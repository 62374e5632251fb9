import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { loadConfig, Runtime, type SessionStore } from '../../core/index.ts';
import { MemoryStore, SqliteStore } from '../../stores/index.ts';

export type StoreKind = 'memory' | 'sqlite';
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'sqlite'];

let tempDir: string | null = null;
let files = 0;

/** A new file name in this process's temp dir. */
export function nextSqlitePath(): string {
  tempDir ??= mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  files += 1;
  return join(tempDir, `bench-${files}.db`);
}

/** A fresh, empty store: in process memory, or a new SQLite file (WAL, as in production) in a temp dir. */
export function openStore(kind: StoreKind): SessionStore {
  return kind === 'memory' ? new MemoryStore() : SqliteStore.open({ path: nextSqlitePath() });
}

/**
 * How long a fresh SQLite store gets before a clock starts: it starts a worker thread for its WAL
 * checkpoints (`stores/sqlite/wal-checkpointer.ts`), whose start-up, tens of ms of CPU on a
 * 2-core machine, would otherwise land in whichever timed loop comes first.
 */
const SQLITE_SETTLE_MS = 100;

/** {@link openStore}, then, for SQLite, a pause until its checkpoint thread has started. */
export async function openSettledStore(kind: StoreKind): Promise<SessionStore> {
  const store = openStore(kind);
  if (kind === 'sqlite') await delay(SQLITE_SETTLE_MS);
  return store;
}

/** Writes a SQLite file once with `fill` and closes it (folding the WAL in); returns its path. */
export async function sqliteTemplate(fill: (store: SessionStore) => Promise<unknown>): Promise<string> {
  const path = nextSqlitePath();
  const store = SqliteStore.open({ path });
  try {
    await fill(store);
  } finally {
    await store.close();
  }
  return path;
}

/** Opens a copy of a template file: the same seeded database for every run, seeded once. */
export function openSqliteCopy(template: string): SessionStore {
  const path = nextSqlitePath();
  copyFileSync(template, path);
  return SqliteStore.open({ path });
}

/** Removes the SQLite files written so far (every store must be closed). */
export function removeTempFiles(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = null;
}

/** A runtime with no plugins, a silent logger and the sweeper's timer off, over `store`. */
export function startRuntime(store: SessionStore): Promise<Runtime> {
  return Runtime.start({
    config: loadConfig({ SHUTDOWN_TIMEOUT_MS: '0', MAX_SESSIONS_PER_USER: '0' }),
    store,
    logger: pino({ level: 'silent' }),
    sweep: false,
  });
}

/** Starts a runtime over a fresh, settled store of `kind`, hands it to `use`, and always shuts it down. */
export async function withRuntime<T>(kind: StoreKind, use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await startRuntime(await openSettledStore(kind));
  try {
    return await use(runtime);
  } finally {
    await runtime.shutdown();
  }
}
