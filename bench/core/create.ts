import type { SessionStore } from '../../core/index.ts';
import { envelope } from '../../core/events/envelope.ts';
import { sessionRecord } from '../lib/fixtures.ts';
import { compare, timeMs, type Compared } from '../lib/measure.ts';
import { openStore, withRuntime, type StoreKind } from '../lib/runtime.ts';

/** Creates per measured run. */
export const CREATES = 2_000;

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
  const store: SessionStore = openStore(kind);
  try {
    const ms = await timeMs(async () => {
      for (let i = 0; i < CREATES; i += 1) {
        const ts = new Date().toISOString();
        const create = sessionRecord(ts);
        const created = envelope(
          create.id,
          null,
          { type: 'session.created', message: 'session created', meta: { user_id: null, agent_id: null } },
          ts,
        );
        await store.write({ session_id: create.id, create, events: [created] });
      }
    });
    return (ms * 1000) / CREATES;
  } finally {
    await store.close();
  }
}

/** Median µs per create through the runtime (value) and per store write alone (baseline). */
export function measureCreate(kind: StoreKind): Promise<Compared> {
  return compare(
    { warmup: 1, runs: 5 },
    () => createThroughRuntime(kind),
    () => createInStore(kind),
  );
}
