import type { Config } from '../core/config.ts';
import { errorMessage, TributaryError } from '../core/errors.ts';
import { redactUrl } from '../core/redact-url.ts';
import type { Logger } from '../core/logger.ts';
import type { SessionStore } from '../core/store/session-store.ts';
import { MemoryStore } from './memory/memory-store.ts';
import { RedisStore } from './redis/redis-store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

/**
 * Opens the store `STORE` names: `sqlite` (the default, a file at `SQLITE_PATH`, owned by this process
 * for the store's life: STORE_LOCKED while another process runs on it), `memory`, or `redis` (keys
 * under `REDIS_PREFIX` on the Redis at `REDIS_URL`, shared with other processes; STORE_UNAVAILABLE
 * naming REDIS_URL, without its credentials, when that Redis does not answer).
 *
 * @example
 * ```ts
 * const store = await openStore(loadConfig(process.env)); // SqliteStore on ./data/tributary.db
 * await openStore(loadConfig({ STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:1' }));
 * // throws STORE_UNAVAILABLE: REDIS_URL redis://127.0.0.1:1 does not answer (connect ECONNREFUSED 127.0.0.1:1)
 * ```
 */
export async function openStore(
  config: Pick<Config, 'STORE' | 'SQLITE_PATH' | 'REDIS_URL' | 'REDIS_PREFIX'>,
  /** Where a store reports what it skips (a damaged Redis record left out of a listing). */
  logger?: Logger,
): Promise<SessionStore> {
  switch (config.STORE) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      // The process's own store: no second process may run on the same file.
      return SqliteStore.open({ path: config.SQLITE_PATH, exclusive: true });
    case 'redis':
      return openRedisStore(config.REDIS_URL, config.REDIS_PREFIX, logger);
  }
}

/** A RedisStore that has answered a PING, so a start on a Redis that is not there fails before anything runs. */
async function openRedisStore(url: string, prefix: string, logger?: Logger): Promise<RedisStore> {
  const store = new RedisStore({ url, prefix, logger });
  // ioredis names the reason (refused, unknown host, wrong password) on its connection, not in the failed call.
  let connectionError: string | undefined;
  const remember = (error: unknown) => (connectionError ??= errorMessage(error));
  store.redis.on('error', remember);
  try {
    await store.ping();
    return store;
  } catch (error) {
    // Closed now: ioredis would otherwise retry for ever, keeping the process alive.
    await store.close();
    const reason = connectionError ?? errorMessage((error as { cause?: unknown }).cause ?? error);
    throw new TributaryError('STORE_UNAVAILABLE', `REDIS_URL ${redactUrl(url)} does not answer (${reason})`, {
      field: 'REDIS_URL',
      cause: error,
    });
  } finally {
    store.redis.off('error', remember);
  }
}
