import type { BenchModule } from './lib/module.ts';
import { removeTempFiles } from './lib/runtime.ts';
import type { Row } from './lib/table.ts';
import { BENCH_REDIS_URL } from './lib/bench-redis.ts';
import { assertRedisAnswers, CONTENDER_KINDS, openContender } from './store/contenders.ts';
import { measureAppends, measureListEvents } from './store/measure-store.ts';
import {
  BATCHES_PER_SESSION,
  EVENTS,
  EVENTS_PER_BATCH,
  READ_LIMIT,
  READS,
  SESSIONS,
  WRITERS,
} from './store/workload.ts';

const count = (n: number): string => n.toLocaleString('en-US');

/** The Redis store must reach half its floor: appends at least 0.5× as fast, reads at most 2× as slow. */
const REDIS_APPENDS = { op: '>=', limit: 0.5, on: 'ratio' } as const;
const REDIS_READS = { op: '<', limit: 2, on: 'ratio' } as const;

/** The stores on their own: appends per second and listEvents latency, each against its own floor. */
const store: BenchModule = {
  title: 'store',
  notes: [
    `appends: ${count(EVENTS)} events per run: ${count(SESSIONS)} sessions × ${BATCHES_PER_SESSION} writes of ${EVENTS_PER_BATCH} step events, by ${WRITERS} concurrent writers each awaiting its write before the next; value: store.write of each batch (sessions created before the clock starts); baseline: the floor`,
    `listEvents: ${count(READS)} catch-up reads one after another (a random session of the same workload from a random seq, limit ${READ_LIMIT}, ${(BATCHES_PER_SESSION * EVENTS_PER_BATCH) / 2} events on average); baseline: the floor's read of the same rows`,
    'floors: memory, a push to the session’s array in a Map (read: a slice); SQLite, the events table alone with one prepared INSERT per event in one transaction per write (read: one prepared SELECT, raw rows); Redis, a raw ioredis pipeline of the same XADDs per write (read: one XRANGE)',
    `Redis: ${BENCH_REDIS_URL} (REDIS_URL), a key prefix of its own, every key deleted at the end; target: the Redis store reaches 0.5 of its floor`,
  ],
  async run(progress) {
    await assertRedisAnswers();
    const rows: Row[] = [];
    for (const kind of CONTENDER_KINDS) {
      const contender = await openContender(kind);
      try {
        progress(`appends (${kind})`);
        const appends = await measureAppends(contender);
        rows.push({
          metric: `appends/s, ${EVENTS_PER_BATCH} events per write (${kind})`,
          unit: 'ev/s',
          ...appends,
          target: kind === 'redis' ? REDIS_APPENDS : null,
        });
        progress(`listEvents (${kind})`);
        const reads = await measureListEvents(contender);
        rows.push({
          metric: `listEvents latency (${kind})`,
          unit: 'µs',
          ...reads,
          target: kind === 'redis' ? REDIS_READS : null,
        });
      } finally {
        await contender.close();
        removeTempFiles();
      }
    }
    return rows;
  },
};

export default store;
