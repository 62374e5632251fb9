/**
 * The storage engines behind core's store port (`core/store/session-store.ts`): the in-memory store,
 * the SQLite store (the default), the Redis store (with its cross-process event bus), and
 * `openStore`, which picks one from the config. Each passes the
 * one store conformance suite (`tests/unit/stores/store-conformance.ts`).
 */
export { MemoryStore } from './memory/memory-store.ts';
export { openStore } from './open-store.ts';
export { SqliteStore } from './sqlite/sqlite-store.ts';
export { RedisStore, DEFAULT_REDIS_PREFIX } from './redis/redis-store.ts';
export { RedisEventBus } from './redis/redis-event-bus.ts';
export { BullmqRunQueue, type BullmqRunQueueOptions } from './redis/bullmq-run-queue.ts';
export { lockDatabase, type ProcessLock } from './sqlite/sqlite-lock.ts';
