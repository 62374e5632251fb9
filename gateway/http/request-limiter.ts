import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RateLimit } from '../../core/index.ts';

/** What one counted request learns: whether it may go on, and the caller's window. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Requests the caller has left in this window. */
  readonly remaining: number;
  /** Whole seconds until the window resets (at least 1). */
  readonly resetSeconds: number;
}

/** Counts requests per caller key, in one process or across every process on one Redis. */
export interface RequestLimiter {
  readonly limit: RateLimit;
  /** Counts one request of `key` (a digest or an IP, never a raw API key). */
  take(key: string): Promise<RateDecision>;
  close(): Promise<void>;
}

export interface RequestLimiterOptions {
  limit: RateLimit;
  /**
   * A connection of the limiter's own (the store's `redis.duplicate()`): the counters are shared by
   * every process on that Redis. Without one they live in this process's memory.
   */
  redis?: Redis;
  /** Starts every counter key in Redis, e.g. `${REDIS_PREFIX}ratelimit` (the library adds `:<key>`). */
  keyPrefix?: string;
  logger: Logger;
}

/**
 * The `RATE_LIMIT` counter (rate-limiter-flexible, fixed windows). On Redis, each request is one
 * atomic INCR script shared by every node; while Redis does not answer, each node counts in its own
 * memory instead (the library's insurance limiter), so a caller gets at most the limit per node
 * during an outage, and a warning is logged once per outage. The connection keeps the store's
 * `autoResendUnfulfilledCommands: false`: an INCR cut off by a drop is not sent twice (counted twice);
 * it falls to the in-memory count.
 *
 * @example
 * ```ts
 * const limiter = await createRequestLimiter({ limit: { points: 100, seconds: 60 }, logger });
 * const { allowed, remaining } = await limiter.take('key:3f0c7c1e');
 * await limiter.close();
 * ```
 */
export async function createRequestLimiter(options: RequestLimiterOptions): Promise<RequestLimiter> {
  const { limit, redis, logger } = options;
  const window = { points: limit.points, duration: limit.seconds };
  const memory = new RateLimiterMemory({ ...window, keyPrefix: options.keyPrefix ?? 'ratelimit' });
  let counter: RateLimiterAbstract = memory;
  if (redis) {
    let down = false;
    // Without a listener ioredis prints every reconnect failure as an unhandled error event.
    redis.on('error', (error: unknown) => {
      if (down) return;
      down = true;
      logger.warn(
        { err: error },
        'rate limits: Redis does not answer; counting in this process until it does',
      );
    });
    redis.on('ready', () => {
      if (down) logger.info('rate limits: Redis answers again; counting across processes');
      down = false;
    });
    await connected(redis);
    counter = new RateLimiterRedis({
      ...window,
      storeClient: redis,
      keyPrefix: options.keyPrefix,
      // Not waiting in ioredis's offline queue while Redis is away: straight to the insurance count.
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  }
  return {
    limit,
    take: async (key) => {
      let result: RateLimiterRes;
      try {
        result = await counter.consume(key);
      } catch (thrown) {
        // Over the limit rejects with the caller's state; anything else (no insurance answered) lets
        // the request through rather than refusing every caller for a fault of the counter.
        if (!(thrown instanceof RateLimiterRes)) {
          logger.warn({ err: thrown }, 'rate limits: the counter failed; the request is let through');
          return { allowed: true, remaining: limit.points, resetSeconds: limit.seconds };
        }
        return decision(false, thrown);
      }
      return decision(true, result);
    },
    close: async () => {
      if (!redis) return;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function decision(allowed: boolean, result: RateLimiterRes): RateDecision {
  return {
    allowed,
    remaining: result.remainingPoints,
    resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
  };
}

/** Resolves once the connection is ready, or has failed its first attempt (the insurance count applies). */
function connected(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      for (const event of ['ready', 'error', 'end']) redis.off(event, done);
      resolve();
    };
    for (const event of ['ready', 'error', 'end']) redis.once(event, done);
  });
}
