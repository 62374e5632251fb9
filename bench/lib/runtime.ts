import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Starts a runtime over a fresh store of `kind`, hands it to `use`, and always shuts it down. */
export async function withRuntime<T>(kind: StoreKind, use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await startRuntime(openStore(kind));
  try {
    return await use(runtime);
  } finally {
    await runtime.shutdown();
  }
}
