import { randomUUID } from 'node:crypto';
import { MemoryStore, SqliteStore } from '../../stores/index.ts';
import { RedisStore } from '../../stores/redis/redis-store.ts';
import { BENCH_REDIS_URL, connectBenchRedis, deleteBenchKeys } from '../lib/bench-redis.ts';
import { nextSqlitePath } from '../lib/runtime.ts';
import type { Contender } from './floor.ts';
import { MemoryFloor } from './memory-floor.ts';
import { RedisFloor } from './redis-floor.ts';
import { SqliteFloor } from './sqlite-floor.ts';

export const CONTENDER_KINDS = ['memory', 'sqlite', 'redis'] as const;
export type ContenderKind = (typeof CONTENDER_KINDS)[number];

/** A fresh store of `kind` and its floor on the same backend (a new SQLite file each, a new Redis key prefix). */
export async function openContender(kind: ContenderKind): Promise<Contender> {
  if (kind === 'memory') {
    const store = new MemoryStore();
    const floor = new MemoryFloor();
    return { kind, store, floor, close: async () => (await store.close(), floor.close()) };
  }
  if (kind === 'sqlite') {
    const store = SqliteStore.open({ path: nextSqlitePath() });
    const floor = new SqliteFloor(nextSqlitePath());
    return { kind, store, floor, close: async () => (await store.close(), floor.close()) };
  }
  return openRedisContender();
}

async function openRedisContender(): Promise<Contender> {
  const redis = await connectRedis();
  const prefix = `tributary-bench:${randomUUID()}:`;
  const store = new RedisStore({ url: BENCH_REDIS_URL, prefix });
  await store.ping();
  return {
    kind: 'redis',
    store,
    floor: new RedisFloor(redis, prefix),
    close: async () => {
      await store.close();
      await deleteBenchKeys(redis, prefix);
      await redis.quit();
    },
  };
}

/** The floor's own connection, also used to delete every key of the run at the end. */
const connectRedis = () => connectBenchRedis('store');

/** Fails before anything is measured when the bench's Redis does not answer. */
export async function assertRedisAnswers(): Promise<void> {
  await (await connectRedis()).quit();
}
