import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the bench uses: REDIS_URL, else the local one. It must run on this machine (its CPU is read from /proc). */
export const BENCH_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The bench's connection to its Redis: finds the server's pid and deletes the bench's keys at the end. */
export interface BenchRedis {
  /** The redis-server process id (`INFO server` process_id). */
  readonly pid: number;
  /** A new key prefix of the bench's own: `tributary-bench:<uuid>:`. */
  newPrefix(): string;
  /** Deletes every key under `prefix` (SCAN, not KEYS: the Redis may be shared). */
  deleteKeys(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** Connects, failing at once with the URL and the reason instead of retrying for ever. */
export async function openBenchRedis(): Promise<BenchRedis> {
  const redis = new Redis(BENCH_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let reason = '';
  redis.on('error', (error: unknown) => (reason = String(error)));
  try {
    await redis.connect();
  } catch (error) {
    throw new Error(
      `the scale bench needs Redis at ${BENCH_REDIS_URL} (REDIS_URL): ${reason || String(error)}`,
    );
  }
  const info = await redis.info('server');
  const pid = Number.parseInt(/^process_id:(\d+)/m.exec(info)?.[1] ?? '', 10);
  if (!Number.isInteger(pid)) throw new Error(`no process_id in INFO server of ${BENCH_REDIS_URL}`);
  return {
    pid,
    newPrefix: () => `tributary-bench:${randomUUID()}:`,
    async deleteKeys(prefix) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    },
    close: async () => void (await redis.quit()),
  };
}
