import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBounds, Runtime } from '../../../core/index.ts';
import { EventHub } from '../../../core/events/event-hub.ts';
import { EventLog } from '../../../core/events/event-log.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { startRuntime } from '../../fixtures/runtime.ts';
import { makeEvent, makeSession } from '../stores/fixtures.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

const progress = (n: number) => ({ type: 'progress' as const, message: `event ${n}` });

async function sessionWith(events: number, historyLimit: string) {
  runtime = await startRuntime({ HISTORY_LIMIT: historyLimit });
  const session = await runtime.sessions.create();
  for (let i = 0; i < events; i++)
    await runtime.log.commit({ session_id: session.id, trace_id: null, events: [progress(i)] });
  return { runtime, session };
}

describe('EventHub', () => {
  it.each([
    ['from the hot window', '1000'],
    ['from the store, page by page', '10'],
  ])('replays %s then goes live with no gap and no duplicate under concurrent appends', async (_, limit) => {
    const { runtime, session } = await sessionWith(1500, limit);
    const reading = firstValueFrom(runtime.events.events$(session.id, 100).pipe(take(1700), toArray()));
    // Appends race the replay: many commits in flight while the reader pages through history.
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        runtime.log.commit({ session_id: session.id, trace_id: null, events: [progress(2000 + i)] }),
      ),
    );
    const seqs = (await reading).map((event) => event.seq);
    expect(seqs).toEqual(Array.from({ length: 1700 }, (_, i) => 101 + i));
  });

  it('keeps only HISTORY_LIMIT events hot per session', async () => {
    const { runtime, session } = await sessionWith(30, '10');
    const recent = runtime.events.recent(session.id);
    expect(recent.map((e) => e.seq)).toEqual([22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);
  });

  it('serves a reader from the hot window exactly when the window holds all it missed', async () => {
    class CountingStore extends MemoryStore {
      reads = 0;
      override listEvents(...args: Parameters<MemoryStore['listEvents']>) {
        this.reads += 1;
        return super.listEvents(...args);
      }
    }
    const store = new CountingStore();
    const hub = new EventHub(store, 10);
    const session = makeSession();
    const drafts = Array.from({ length: 30 }, (_, i) => makeEvent(session.id, { message: `event ${i}` }));
    hub.publish(await store.write({ session_id: session.id, create: session, events: drafts }));
    const seqsAfter = async (afterSeq: number) =>
      (await lastValueFrom(hub.stored$(session.id, afterSeq).pipe(toArray()))).map((e) => e.seq);
    const range = (from: number) => Array.from({ length: 31 - from }, (_, i) => from + i);
    expect(hub.recent(session.id).map((e) => e.seq)).toEqual(range(21));
    // At the boundary the window starts right after the reader's seq: no store read.
    expect(await seqsAfter(20)).toEqual(range(21));
    expect(store.reads).toBe(0);
    // One further back the window lacks event 20: the store serves it, nothing is skipped.
    expect(await seqsAfter(19)).toEqual(range(20));
    expect(store.reads).toBe(1);
  });

  it('says whether a reader resuming after a seq can get all it missed', async () => {
    class TrimmedStore extends MemoryStore {
      // A store that has dropped its oldest events (as a capped log would).
      override async eventBounds(): Promise<EventBounds> {
        return { first_seq: 50, last_seq: 80 };
      }
    }
    const hub = new EventHub(new TrimmedStore(), 10);
    expect(await hub.history('s', 10)).toEqual({ recovered: false, first_seq: 50, last_seq: 80 });
    expect(await hub.history('s', 49)).toMatchObject({ recovered: true });
    expect(await hub.history('s', 80)).toMatchObject({ recovered: true });
    const { runtime, session } = await sessionWith(5, '10');
    expect(await runtime.events.history(session.id, 0)).toEqual({
      recovered: true,
      first_seq: 1,
      last_seq: 6,
    });
  });

  it('frees live subscriptions on unsubscribe: no growth after many readers come and go', async () => {
    const { runtime, session } = await sessionWith(3, '10');
    for (let i = 0; i < 200; i++) {
      const sub = runtime.events.events$(session.id, i % 4).subscribe();
      sub.unsubscribe();
    }
    expect(runtime.events.subscriberCount()).toBe(0);
    const held = runtime.events.events$(session.id).subscribe();
    expect(runtime.events.subscriberCount(session.id)).toBe(1);
    held.unsubscribe();
    expect(runtime.events.subscriberCount(session.id)).toBe(0);
  });

  it('publishes frozen events, so one reader cannot change what another sees', async () => {
    const store = new MemoryStore();
    const hub = new EventHub(store, 10);
    const log = new EventLog(store, hub);
    runtime = await startRuntime({}, { store, logger: pino({ level: 'silent' }) });
    const session = await runtime.sessions.create();
    const [event] = await log.commit({
      session_id: session.id,
      trace_id: null,
      events: [{ type: 'progress', meta: { n: 1 } }],
    });
    expect(Object.isFrozen(event)).toBe(true);
    expect(() => ((event!.meta as Record<string, unknown>).n = 2)).toThrow(TypeError);
  });

  it('completes live readers when a session is dropped', async () => {
    const hub = new EventHub(new MemoryStore(), 10);
    const done = firstValueFrom(hub.events$('s1', 0).pipe(toArray()));
    await Promise.resolve();
    expect(hub.subscriberCount('s1')).toBe(1);
    hub.drop('s1');
    expect(await done).toEqual([]);
    expect(hub.subscriberCount()).toBe(0);
  });

  it('publishes final events to live readers and observers, keeps none hot, and ends the sessions', async () => {
    const hub = new EventHub(new MemoryStore(), 10);
    const first = { ...makeEvent('s1'), seq: 1 };
    hub.publish([first]);
    const reading = firstValueFrom(hub.events$('s1', 1).pipe(toArray()));
    const observed: unknown[] = [];
    const observer = hub.all$().subscribe((event) => observed.push(event));
    await Promise.resolve();
    const expired = [
      { ...makeEvent('s1', { type: 'session.expired', step: null }), seq: 2 },
      { ...makeEvent('s2', { type: 'session.expired', step: null }), seq: 1 },
    ];
    hub.publishFinal(expired);
    expect(await reading).toEqual([expired[0]]);
    expect(observed).toEqual(expired);
    expect(hub.recent('s1')).toEqual([]);
    expect(hub.recent('s2')).toEqual([]);
    expect(hub.subscriberCount()).toBe(0);
    observer.unsubscribe();
  });
});
