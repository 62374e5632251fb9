import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { BullmqRunQueue, RedisStore } from '../../../stores/index.ts';
import { OwnRedis } from '../../fixtures/own-redis.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function queueOnOwnRedis(options: { down?: boolean } = {}) {
  const redis = await OwnRedis.start();
  cleanups.push(() => redis.stop());
  if (options.down) await redis.kill('SIGKILL');
  const store = new RedisStore({ url: redis.url, prefix: `tributary-test:${randomUUID()}:` });
  cleanups.push(() => store.close());
  const queue = new BullmqRunQueue(store, {
    globalConcurrency: 2,
    workerConcurrency: 1,
    onWorkerLoss: 'fail',
    lockMs: 30_000,
    stalledIntervalMs: 30_000,
    logger: silentLogger,
  });
  return { redis, queue };
}

describe('BullmqRunQueue while Redis is away', () => {
  it('answers STORE_UNAVAILABLE (a 503, as the store does), not a raw connection error', async () => {
    const { redis, queue } = await queueOnOwnRedis();
    expect(await queue.holder('no-such-session')).toBeUndefined();
    await redis.kill('SIGKILL');
    await expect(queue.holder('no-such-session')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const job = { runId: randomUUID(), sessionId: randomUUID(), userId: 'ann' };
    await expect(queue.submit(job, 'enqueue', async () => undefined)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    // And it closes: its connections are let go of instead of waiting for Redis for ever.
    await queue.close(0);
  });

  it('queues nothing and does not wait for Redis when it is away from the start', async () => {
    // The global limit cannot be set either: queueing a run must not wait for it.
    const { queue } = await queueOnOwnRedis({ down: true });
    const job = { runId: randomUUID(), sessionId: randomUUID(), userId: 'ann' };
    await expect(queue.submit(job, 'enqueue', async () => undefined)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    await queue.close(0);
  });
});
