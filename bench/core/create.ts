import type { SessionStore, WriteBatch } from '../../core/index.ts';
import { envelope } from '../../core/events/envelope.ts';
import { sessionRecord } from '../lib/fixtures.ts';
import { compare, timeMs, type Compared } from '../lib/measure.ts';
import { openSettledStore, withRuntime, type StoreKind } from '../lib/runtime.ts';

/** Creates per measured run, each awaited alone. */
export const CREATES = 2_000;
/** Creates per measured run with {@link IN_FLIGHT} callers. */
export const CONCURRENT_CREATES = 20_000;
/** Callers creating at once, each awaiting its create before its next. */
export const IN_FLIGHT = 100;

/** The batch `sessions.create()` (no input) hands the store: the session record and its `session.created` event. */
function createBatch(): WriteBatch {
  const ts = new Date().toISOString();
  const create = sessionRecord(ts);
  const created = envelope(
    create.id,
    null,
    { type: 'session.created', message: 'session created', meta: { user_id: null, agent_id: null } },
    ts,
  );
  return { session_id: create.id, create, events: [created] };
}

/** µs per `runtime.sessions.create()`, each awaited before the next (the latency one caller sees). */
async function createThroughRuntime(kind: StoreKind): Promise<number> {
  return withRuntime(kind, async (runtime) => {
    const ms = await timeMs(async () => {
      for (let i = 0; i < CREATES; i += 1) await runtime.sessions.create();
    });
    return (ms * 1000) / CREATES;
  });
}

/**
 * The baseline: µs per `store.write` of the batch `create()` hands the store (the session record and
 * its `session.created` event), each awaited: what the store alone costs.
 */
async function createInStore(kind: StoreKind): Promise<number> {
  const store: SessionStore = await openSettledStore(kind);
  try {
    const ms = await timeMs(async () => {
      for (let i = 0; i < CREATES; i += 1) await store.write(createBatch());
    });
    return (ms * 1000) / CREATES;
  } finally {
    await store.close();
  }
}

/**
 * µs per create (wall time ÷ creates) with {@link IN_FLIGHT} callers, each creating sessions in a
 * loop, one awaited at a time, until {@link CONCURRENT_CREATES} are made: a gateway's concurrent
 * `POST /v1/sessions` without the HTTP.
 */
async function concurrentThroughRuntime(kind: StoreKind): Promise<number> {
  return withRuntime(kind, async (runtime) => {
    let started = 0;
    const caller = async (): Promise<void> => {
      while (started < CONCURRENT_CREATES) {
        started += 1;
        await runtime.sessions.create();
      }
    };
    const ms = await timeMs(() => Promise.all(Array.from({ length: IN_FLIGHT }, caller)));
    return (ms * 1000) / CONCURRENT_CREATES;
  });
}

/**
 * The baseline: the same create batches written the fastest honest way by hand, one `writeMany`
 * of {@link IN_FLIGHT} batches per call (one SQLite transaction each), built just before it.
 */
async function concurrentInStore(kind: StoreKind): Promise<number> {
  const store: SessionStore = await openSettledStore(kind);
  try {
    const ms = await timeMs(async () => {
      for (let made = 0; made < CONCURRENT_CREATES; made += IN_FLIGHT) {
        const batches = Array.from({ length: Math.min(IN_FLIGHT, CONCURRENT_CREATES - made) }, createBatch);
        await store.writeMany(batches);
      }
    });
    return (ms * 1000) / CONCURRENT_CREATES;
  } finally {
    await store.close();
  }
}

/** Median µs per create awaited alone through the runtime (value) and per store write alone (baseline). */
export function measureCreate(kind: StoreKind): Promise<Compared> {
  return compare(
    { warmup: 1, runs: 5 },
    () => createThroughRuntime(kind),
    () => createInStore(kind),
  );
}

/** Median µs per create with {@link IN_FLIGHT} callers (value) and per batch in a hand-grouped `writeMany` (baseline). */
export function measureConcurrentCreate(kind: StoreKind): Promise<Compared> {
  return compare(
    { warmup: 1, runs: 5 },
    () => concurrentThroughRuntime(kind),
    () => concurrentInStore(kind),
  );
}
