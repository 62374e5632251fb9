import type { TestProject } from 'vitest/node';
import { answers, OwnRedis } from '../fixtures/own-redis.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis the tests use: REDIS_URL, else the one on 127.0.0.1:6379, else one started here. */
    redisUrl: string;
  }
}

/**
 * Vitest global setup: makes sure a Redis answers for the tests that need one. `.ci/run` starts one on
 * 127.0.0.1:6379; a developer machine without one gets a throwaway `redis-server` (from PATH, no
 * persistence) on a free port for the length of the run. Each test still uses a key prefix of its own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.REDIS_URL;
  if (given || (await answers(6379))) {
    project.provide('redisUrl', given ?? 'redis://127.0.0.1:6379');
    return async () => undefined;
  }
  let redis: OwnRedis;
  try {
    redis = await OwnRedis.start();
  } catch (error) {
    throw new Error(
      `tests need Redis: none answers on 127.0.0.1:6379 and redis-server could not start (${String(error)})`,
    );
  }
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
