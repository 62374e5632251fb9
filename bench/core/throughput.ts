import { Subject } from 'rxjs';
import type { Runtime, SessionEvent } from '../../core/index.ts';
import { sample, timeMs, type Compared } from '../lib/measure.ts';
import { withRuntime, type StoreKind } from '../lib/runtime.ts';
import { stepDraft } from '../lib/fixtures.ts';

/** Events sent per measured run (the baseline sends as many): fewer on SQLite, which is slower. */
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

/** The baseline: the same number of events, built in the loop in the same shape, through a bare Subject. */
export async function throughSubject(events: number): Promise<number> {
  const subject = new Subject<SessionEvent>();
  const seen = counter(events);
  const subscription = subject.subscribe(seen.next);
  const sessionId = '00000000-0000-4000-8000-000000000000';
  const eventId = '00000000-0000-4000-8000-000000000001';
  const ts = new Date().toISOString();
  const ms = await timeMs(async () => {
    for (let n = 0; n < events; n += 1) {
      subject.next({
        id: eventId,
        seq: n + 1,
        ts,
        session_id: sessionId,
        run_id: null,
        type: 'step',
        step: 'tick',
        tool: null,
        level: 'info',
        message: `step ${n} of the run`,
        meta: { n },
        trace_id: null,
      });
    }
    await seen.done;
  });
  subscription.unsubscribe();
  return events / (ms / 1000);
}

/**
 * Median events/s through a session over `kind` (value) and through the bare Subject (baseline).
 * The baseline runs back to back after the session runs, with no forced gc: a ~100 ns/event loop is
 * easily slowed several times by a collection or a shrunken young generation just before it, and the
 * undisturbed figure is the honest one to compare against.
 */
export async function measureThroughput(kind: StoreKind): Promise<Compared> {
  const events = EVENTS[kind];
  const runs = kind === 'memory' ? 5 : 3;
  const value = await sample({ warmup: 1, runs }, () =>
    withRuntime(kind, (runtime) => throughSession(runtime, events)),
  );
  const baseline = await sample({ warmup: 3, runs: 7 }, () => throughSubject(events));
  return { value, baseline };
}
