import { Redis } from 'ioredis';

/** The Redis the benches use: REDIS_URL, else the local one. */
export const BENCH_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A connection to the bench's Redis that fails at once, naming the URL and the reason, rather than
 * retrying for ever; `bench` names the bench in that message.
 *
 * @example
 * ```ts
 * const redis = await connectBenchRedis('store'); // Error: the store bench needs Redis at redis://… (REDIS_URL): …
 * ```
 */
export async function connectBenchRedis(bench: string): Promise<Redis> {
  const redis = new Redis(BENCH_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let reason = '';
  redis.on('error', (error: unknown) => (reason = String(error)));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    throw new Error(
      `the ${bench} bench needs Redis at ${BENCH_REDIS_URL} (REDIS_URL): ${reason || String(error)}`,
    );
  }
}

/** Deletes every key under `prefix` (SCAN, not KEYS: the Redis may be shared). */
export async function deleteBenchKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
