import { randomUUID } from 'node:crypto';
import { BENCH_REDIS_URL, connectBenchRedis, deleteBenchKeys } from '../lib/bench-redis.ts';

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
  const redis = await connectBenchRedis('scale');
  const info = await redis.info('server');
  const pid = Number.parseInt(/^process_id:(\d+)/m.exec(info)?.[1] ?? '', 10);
  if (!Number.isInteger(pid)) throw new Error(`no process_id in INFO server of ${BENCH_REDIS_URL}`);
  return {
    pid,
    newPrefix: () => `tributary-bench:${randomUUID()}:`,
    deleteKeys: (prefix) => deleteBenchKeys(redis, prefix),
    close: async () => void (await redis.quit()),
  };
}
