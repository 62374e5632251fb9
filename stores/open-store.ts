import type { Config } from '../core/config.ts';
import type { SessionStore } from '../core/store/session-store.ts';
import { MemoryStore } from './memory/memory-store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

/**
 * Opens the store `STORE` names: `sqlite` (the default, a file at `SQLITE_PATH`, owned by this process
 * for the store's life: STORE_LOCKED while another process runs on it) or `memory`.
 *
 * @example
 * ```ts
 * const store = await openStore(loadConfig(process.env)); // SqliteStore on ./data/tributary.db
 * ```
 */
export async function openStore(config: Pick<Config, 'STORE' | 'SQLITE_PATH'>): Promise<SessionStore> {
  switch (config.STORE) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      // The process's own store: no second process may run on the same file.
      return SqliteStore.open({ path: config.SQLITE_PATH, exclusive: true });
  }
}
