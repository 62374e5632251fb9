import { describe, expect, it } from 'vitest';
import type { Commit } from '../../../core/events/commit.ts';
import type { SessionEvent } from '../../../core/events/event.ts';
import { EventHub } from '../../../core/events/event-hub.ts';
import { EventLog, MAX_GROUP } from '../../../core/events/event-log.ts';
import { TributaryError } from '../../../core/errors.ts';
import type { SessionStore, WriteBatch } from '../../../core/store/session-store.ts';
import { MemoryStore, SqliteStore } from '../../../stores/index.ts';
import { makeRun, makeSession } from '../stores/fixtures.ts';

/** A MemoryStore that records the size of every writeMany call, and can be told to fail some. */
class CountingStore extends MemoryStore {
  calls: number[] = [];
  failWhen: (batches: readonly WriteBatch[]) => Error | null = () => null;

  override async writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
    this.calls.push(batches.length);
    const failure = this.failWhen(batches);
    if (failure) throw failure;
    return super.writeMany(batches);
  }
}

async function setUp<S extends SessionStore>(store: S) {
  const hub = new EventHub(store, 1000);
  const log = new EventLog(store, hub);
  const session = makeSession();
  await log.commit({
    session_id: session.id,
    trace_id: null,
    create: session,
    events: [{ type: 'session.created', message: 'created' }],
  });
  const published: SessionEvent[] = [];
  const subscription = hub.events$(session.id).subscribe((event) => published.push(event));
  return { store, log, session, published, stop: () => subscription.unsubscribe() };
}

const step = (n: number) => ({ type: 'step' as const, message: `step ${n}`, meta: { n } });
const seqs = (events: readonly SessionEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const settled = <T>(pending: readonly Promise<T>[]) => Promise.allSettled(pending);

describe('EventLog group commit', () => {
  it("writes a session's pipelined commits in one writeMany, each with its own events, published in seq order", async () => {
    const { store, log, session, published, stop } = await setUp(new CountingStore());
    store.calls = [];
    const results = await Promise.all(
      range(1, 50).map((n) =>
        log.commit({ session_id: session.id, trace_id: null, events: [step(n), step(n)] }),
      ),
    );
    expect(store.calls).toEqual([50]);
    expect(results.map(seqs)).toEqual(range(1, 50).map((n) => [2 * n, 2 * n + 1]));
    expect(seqs(published)).toEqual(range(1, 101));
    expect(results.flat().every((e) => Object.isFrozen(e) && Object.isFrozen(e.meta))).toBe(true);
    stop();
  });

  it('splits a longer burst into groups of at most MAX_GROUP commits', async () => {
    const { store, log, session, stop } = await setUp(new CountingStore());
    store.calls = [];
    const total = MAX_GROUP * 2 + 3;
    const results = await Promise.all(
      range(1, total).map((n) => log.commit({ session_id: session.id, trace_id: null, events: [step(n)] })),
    );
    expect(store.calls).toEqual([MAX_GROUP, MAX_GROUP, 3]);
    expect(results.flat().map((e) => e.seq)).toEqual(range(2, total + 1));
    stop();
  });

  it('gives each patch function the session as the commits before it in the same group leave it', async () => {
    const { store, log, session, stop } = await setUp(new CountingStore());
    store.calls = [];
    const bump: Commit = {
      session_id: session.id,
      trace_id: null,
      patch: (current) => ({ run_count: current.run_count + 1, name: `after ${current.last_seq}` }),
      events: [step(0)],
    };
    await Promise.all([
      log.commit(bump),
      log.commit({ session_id: session.id, trace_id: null, patch: { data: { k: 1 } } }),
      log.commit(bump),
      log.commit(bump),
    ]);
    expect(store.calls).toEqual([4]);
    expect(await store.getSession(session.id)).toMatchObject({
      run_count: 3,
      data: { k: 1 },
      name: 'after 3',
      last_seq: 4,
    });
    stop();
  });

  it('fails only the commit whose batch the store refuses; the others of its group are written', async () => {
    const { store, log, session, published, stop } = await setUp(new CountingStore());
    const stranger = makeSession();
    const commits = [
      log.commit({ session_id: session.id, trace_id: null, events: [step(1)] }),
      // Its run belongs to another session: the store refuses the batch, and with it the whole call.
      log.commit({
        session_id: session.id,
        trace_id: null,
        runs: [makeRun(stranger.id)],
        events: [step(2)],
      }),
      log.commit({ session_id: session.id, trace_id: null, events: [step(3)] }),
    ];
    const [first, bad, third] = await settled(commits);
    expect(first).toMatchObject({ status: 'fulfilled', value: [{ seq: 2 }] });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } });
    expect(third).toMatchObject({ status: 'fulfilled', value: [{ seq: 3 }] });
    expect(seqs(await store.listEvents(session.id, { after: 0, limit: 10 }))).toEqual([1, 2, 3]);
    expect(seqs(published)).toEqual([1, 2, 3]);
    stop();
  });

  it('fails only the commit whose patch function throws', async () => {
    const { log, session, stop } = await setUp(new CountingStore());
    const [ok, thrown, after] = await settled([
      log.commit({ session_id: session.id, trace_id: null, events: [step(1)] }),
      log.commit({
        session_id: session.id,
        trace_id: null,
        patch: () => {
          throw new Error('no patch for you');
        },
        events: [step(2)],
      }),
      log.commit({ session_id: session.id, trace_id: null, events: [step(3)] }),
    ]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: [{ seq: 2 }] });
    expect(thrown).toMatchObject({ status: 'rejected', reason: { message: 'no patch for you' } });
    expect(after).toMatchObject({ status: 'fulfilled', value: [{ seq: 3 }] });
    stop();
  });

  it('fails every commit of a group at once when the store itself is down, without retrying each', async () => {
    const { store, log, session, stop } = await setUp(new CountingStore());
    store.calls = [];
    store.failWhen = () => new TributaryError('STORE_UNAVAILABLE', 'disk gone');
    const results = await settled(
      range(1, 5).map((n) => log.commit({ session_id: session.id, trace_id: null, events: [step(n)] })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(store.calls).toEqual([5]);
    stop();
  });

  it('fails the whole group when reading the session for a patch function fails, leaving none waiting', async () => {
    const { store, log, session, stop } = await setUp(new CountingStore());
    store.getSession = () => Promise.reject(new TributaryError('STORE_UNAVAILABLE', 'read failed'));
    const results = await settled([
      log.commit({ session_id: session.id, trace_id: null, events: [step(1)] }),
      log.commit({ session_id: session.id, trace_id: null, patch: () => ({ name: 'x' }) }),
    ]);
    expect(results).toMatchObject([
      { status: 'rejected', reason: { code: 'STORE_UNAVAILABLE' } },
      { status: 'rejected', reason: { code: 'STORE_UNAVAILABLE' } },
    ]);
    stop();
  });

  it('hands a patch function a copy it may change without touching the batches before it', async () => {
    const { store, log, session, stop } = await setUp(new CountingStore());
    await Promise.all([
      log.commit({ session_id: session.id, trace_id: null, patch: { data: { a: 1 } } }),
      log.commit({
        session_id: session.id,
        trace_id: null,
        patch: (current) => {
          current.data.a = 'mutated';
          return { name: 'second' };
        },
      }),
    ]);
    expect(await store.getSession(session.id)).toMatchObject({ data: { a: 1 }, name: 'second' });
    stop();
  });

  it('writes a group as one SQLite transaction, and seq stays gap-free across groups', async () => {
    const sqlite = SqliteStore.open({ path: ':memory:' });
    const { log, session, published, stop } = await setUp(sqlite);
    const burst = () =>
      Promise.all(
        range(1, 30).map((n) =>
          log.commit({ session_id: session.id, trace_id: null, patch: { name: `n${n}` }, events: [step(n)] }),
        ),
      );
    await burst();
    await burst();
    expect(seqs(await sqlite.listEvents(session.id, { after: 0, limit: 100 }))).toEqual(range(1, 61));
    expect(await sqlite.getSession(session.id)).toMatchObject({ name: 'n30', last_seq: 61 });
    expect(seqs(published)).toEqual(range(1, 61));
    stop();
    await sqlite.close();
  });
  it("freezes a store's fresh events to the bottom of their meta before anyone sees them", async () => {
    const sqlite = SqliteStore.open({ path: ':memory:' });
    const { log, session, published, stop } = await setUp(sqlite);
    const meta = { list: [{ deep: { n: 1 } }], flat: 'x' };
    const [event] = await log.commit({
      session_id: session.id,
      trace_id: null,
      events: [{ type: 'step', meta }],
    });
    expect(published.at(-1)).toBe(event);
    const inner = event?.meta.list as { deep: object }[];
    for (const value of [event, event?.meta, inner, inner[0], inner[0]?.deep])
      expect(Object.isFrozen(value)).toBe(true);
    stop();
    await sqlite.close();
  });

  it("writes different sessions' commits of one turn in one writeMany; a refused batch fails only its own", async () => {
    const store = new CountingStore();
    const log = new EventLog(store, new EventHub(store, 1000));
    const sessions = range(1, 5).map(() => makeSession());
    const stranger = makeSession();
    const creates = sessions.map((session, i) =>
      log.commit({
        session_id: session.id,
        trace_id: null,
        create: session,
        // The third one's run belongs to another session: the store refuses that batch.
        runs: i === 2 ? [makeRun(stranger.id)] : undefined,
        events: [{ type: 'session.created', message: 'created' }],
      }),
    );
    const results = await settled(creates);
    // One shared call that failed on the bad batch, then each session's group alone.
    expect(store.calls).toEqual([5, 1, 1, 1, 1, 1]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    for (const [i, session] of sessions.entries())
      expect(await store.getSession(session.id)).toEqual(
        i === 2 ? null : expect.objectContaining({ last_seq: 1 }),
      );
    store.calls = [];
    await Promise.all(
      sessions
        .filter((_, i) => i !== 2)
        .map((s) => log.commit({ session_id: s.id, trace_id: null, events: [step(1)] })),
    );
    expect(store.calls).toEqual([4]);
  });
});

describe('EventLog.commitNew', () => {
  const created = (session: ReturnType<typeof makeSession>, extra: Partial<Commit> = {}): Commit => ({
    session_id: session.id,
    trace_id: null,
    create: session,
    events: [{ type: 'session.created', message: 'created' }],
    ...extra,
  });

  it("writes new sessions of one turn in one writeMany with other sessions' commits, published and frozen", async () => {
    const store = new CountingStore();
    const hub = new EventHub(store, 1000);
    const log = new EventLog(store, hub);
    const old = makeSession();
    await log.commitNew(created(old));
    store.calls = [];
    const fresh = range(1, 3).map(() => makeSession());
    const live: SessionEvent[] = [];
    const subscriptions = [old, ...fresh].map((s) =>
      hub.events$(s.id).subscribe((event) => live.push(event)),
    );
    const [stepped, ...creates] = await Promise.all([
      log.commit({ session_id: old.id, trace_id: null, events: [step(1)] }),
      ...fresh.map((s) => log.commitNew(created(s))),
    ]);
    expect(store.calls).toEqual([4]);
    expect(seqs(stepped ?? [])).toEqual([2]);
    for (const [i, events] of creates.entries()) {
      expect(events).toEqual([
        expect.objectContaining({ seq: 1, type: 'session.created', session_id: fresh[i]?.id }),
      ]);
      expect(Object.isFrozen(events[0]) && Object.isFrozen(events[0]?.meta)).toBe(true);
    }
    // Each session's events in seq order (sessions do not wait for each other).
    const liveOf = (id: string) => seqs(live.filter((e) => e.session_id === id));
    expect(liveOf(old.id)).toEqual([1, 2]);
    for (const s of fresh) expect(liveOf(s.id)).toEqual([1]);
    for (const s of fresh) expect(await store.getSession(s.id)).toMatchObject({ last_seq: 1 });
    for (const subscription of subscriptions) subscription.unsubscribe();
  });

  it('fails only the create whose batch the store refuses; the others of the shared call are written', async () => {
    const store = new CountingStore();
    const log = new EventLog(store, new EventHub(store, 1000));
    const fresh = range(1, 4).map(() => makeSession());
    const results = await settled(
      fresh.map((s, i) => log.commitNew(created(s, i === 1 ? { runs: [makeRun(makeSession().id)] } : {}))),
    );
    expect(store.calls).toEqual([4, 1, 1, 1, 1]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    for (const [i, s] of fresh.entries())
      expect(await store.getSession(s.id)).toEqual(i === 1 ? null : expect.objectContaining({ last_seq: 1 }));
  });

  it('fails every create of the call at once when the store is down', async () => {
    const store = new CountingStore();
    store.failWhen = () => new TributaryError('STORE_UNAVAILABLE', 'disk gone');
    const log = new EventLog(store, new EventHub(store, 1000));
    const results = await settled(range(1, 3).map(() => log.commitNew(created(makeSession()))));
    expect(store.calls).toEqual([3]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('resolves with no events when the store skips the batch (its expectation not met)', async () => {
    const store = new CountingStore();
    const log = new EventLog(store, new EventHub(store, 1000));
    const ann = (): ReturnType<typeof makeSession> => ({ ...makeSession(), user_id: 'ann' });
    await log.commitNew(created(ann()));
    expect(await log.commitNew(created(ann(), { expect: { live_sessions_below: 1 } }))).toEqual([]);
  });

  it('fails alone when a check throws, and hands a commit with a patch function to `commit`', async () => {
    const store = new CountingStore();
    const log = new EventLog(store, new EventHub(store, 1000));
    const refused = makeSession();
    await expect(
      log.commitNew(
        created(refused, {
          check: () => {
            throw new Error('no');
          },
        }),
      ),
    ).rejects.toThrow('no');
    expect(await store.getSession(refused.id)).toBeNull();
    // A create with a patch function: through the session's queue, which reads the (missing) session.
    await expect(
      log.commitNew(created(makeSession(), { patch: () => ({ name: 'x' }) })),
    ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('is waited for by flush', async () => {
    const store = new CountingStore();
    const log = new EventLog(store, new EventHub(store, 1000));
    const fresh = range(1, 3).map(() => makeSession());
    const writes = fresh.map((s) => log.commitNew(created(s)));
    await log.flush();
    expect(store.calls).toEqual([3]);
    for (const s of fresh) expect(await store.getSession(s.id)).toMatchObject({ last_seq: 1 });
    await Promise.all(writes);
    // Nothing in flight: it does not wait.
    await log.flush();
  });
});
