import type { Runtime, SessionEvent } from '../../core/index.ts';
import { compare, timeMs, type Compared } from '../lib/measure.ts';
import { withRuntime, type StoreKind } from '../lib/runtime.ts';
import { stepDraft } from '../lib/fixtures.ts';
import { durableAppendRate } from './floor.ts';

/** Events sent per measured run (the baseline appends as many): fewer on SQLite, which is slower. */
export const EVENTS: Record<StoreKind, number> = { memory: 50_000, sqlite: 10_000 };
/** Commits in flight at once: issued without awaiting each, then awaited together. */
export const IN_FLIGHT = 1_000;

/** Resolves when `count` values have reached the subscriber. */
function counter(count: number): { next: () => void; done: Promise<void> } {
  let seen = 0;
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { next: () => (++seen === count ? finish() : undefined), done };
}

/**
 * Events per second through one session: `EventLog.commit` (one event per commit) -> store write
 * -> `EventHub.publish` -> one live subscriber of `events$(id)`. Commits are pipelined, IN_FLIGHT at
 * a time; the clock stops when the subscriber has seen the last event.
 */
async function throughSession(runtime: Runtime, events: number): Promise<number> {
  const session = await runtime.sessions.create();
  const seen = counter(events);
  const subscription = runtime.events.events$(session.id, session.last_seq).subscribe(seen.next);
  const ms = await timeMs(async () => {
    for (let sent = 0; sent < events;) {
      const batch: Promise<SessionEvent[]>[] = [];
      for (const end = Math.min(events, sent + IN_FLIGHT); sent < end; sent += 1) {
        batch.push(
          runtime.log.commit({ session_id: session.id, trace_id: null, events: [stepDraft(null, sent)] }),
        );
      }
      await Promise.all(batch);
    }
    await seen.done;
  });
  subscription.unsubscribe();
  return events / (ms / 1000);
}

/**
 * Median events/s through a session over `kind` (value) and through the durable-append floor of
 * the same store (baseline: `envelope()` + `writeMany` in the log's grouping, no hub, see
 * `floor.ts`), each on a fresh store, runs alternating with a collection before each.
 */
export function measureThroughput(kind: StoreKind): Promise<Compared> {
  const events = EVENTS[kind];
  return compare(
    { warmup: 1, runs: kind === 'memory' ? 5 : 3 },
    () => withRuntime(kind, (runtime) => throughSession(runtime, events)),
    () => durableAppendRate(kind, events),
  );
}
