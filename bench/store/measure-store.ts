import { compare, timeMs, type Compared } from '../lib/measure.ts';
import type { Contender } from './floor.ts';
import { createSessions, EVENTS, READ_LIMIT, reads, runWriters, workload, type Read } from './workload.ts';

const SAMPLE = { warmup: 1, runs: 5 };

/**
 * Events appended per second by the store (value) and by its floor (baseline): the whole workload
 * each run, on sessions of its own (created before the clock starts, deleted after it stops).
 */
export async function measureAppends({ store, floor }: Contender): Promise<Compared> {
  const throughStore = async (): Promise<number> => {
    const { sessionIds, writers } = workload();
    await createSessions(store, sessionIds);
    const ms = await timeMs(() =>
      runWriters(writers, (w) => store.write({ session_id: w.sessionId, events: w.events })),
    );
    await store.deleteSessions(sessionIds);
    return EVENTS / (ms / 1000);
  };
  const throughFloor = async (): Promise<number> => {
    const { sessionIds, writers } = workload();
    const ms = await timeMs(() => runWriters(writers, (w) => floor.append(w)));
    await floor.clear(sessionIds);
    return EVENTS / (ms / 1000);
  };
  return compare(SAMPLE, throughStore, throughFloor);
}

/**
 * µs per `listEvents` call (value) and per floor read (baseline): the same catch-up reads (a
 * random session from a random seq, up to READ_LIMIT events), one at a time, over the same data.
 */
export async function measureListEvents({ store, floor }: Contender): Promise<Compared> {
  const { sessionIds, writers } = workload();
  await createSessions(store, sessionIds);
  await runWriters(writers, (w) => store.write({ session_id: w.sessionId, events: w.events }));
  await runWriters(writers, (w) => floor.append(w));
  const planned = reads(sessionIds);
  const perRead = async (read: (r: Read) => Promise<unknown>): Promise<number> =>
    ((await timeMs(async () => {
      for (const r of planned) await read(r);
    })) *
      1000) /
    planned.length;
  try {
    return await compare(
      SAMPLE,
      () => perRead((r) => store.listEvents(r.sessionId, { after: r.after, limit: READ_LIMIT })),
      () => perRead((r) => floor.read(r.sessionId, r.after, READ_LIMIT)),
    );
  } finally {
    await store.deleteSessions(sessionIds);
    await floor.clear(sessionIds);
  }
}
