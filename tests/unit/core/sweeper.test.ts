import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import {
  isTributaryError,
  type Run,
  type Runtime,
  type SessionEvent,
  type ExpireDueQuery,
  type SweepCandidates,
  type SweepQuery,
} from '../../../core/index.ts';
import { Sweeper } from '../../../core/sessions/sweeper.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { startRuntime } from '../../fixtures/runtime.ts';

/** Lets the runtime's promise chains and store writes settle without moving the clock. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
/** Idle after 2 s without activity, expired 3 s after that, a sweep every second. */
const FAST = { IDLE_AFTER_SECONDS: '2', SESSION_TTL_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '1' };

let runtime: Runtime | undefined;
beforeEach(() => {
  // The sweeper's clock only: setImmediate stays real, as the event log's writes wait for it.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(T0);
});
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
  vi.useRealTimers();
});

async function start(env: Record<string, string> = {}, options: Parameters<typeof startRuntime>[1] = {}) {
  runtime = await startRuntime({ ...FAST, ...env }, { sweep: true, ...options });
  return runtime;
}

/** Moves the fake clock (firing the sweeper's timer on the way) and lets what it started finish. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

async function stateOf(rt: Runtime, sessionId: string) {
  return (await rt.sessions.get(sessionId)).state;
}

async function eventsOf(rt: Runtime, sessionId: string) {
  return rt.store.listEvents(sessionId, { after: 0, limit: 1000 });
}

/** A run as another process writes it: this process's scheduler knows nothing of it. */
function foreignRun(sessionId: string, status: 'queued' | 'running'): Run {
  return {
    id: `run-${status}`,
    session_id: sessionId,
    flow: 'ask',
    status,
    multitask: 'enqueue',
    input: {},
    result: null,
    error: null,
    created_at: new Date(T0).toISOString(),
    started_at: null,
    finished_at: null,
    duration_ms: null,
    usage: { tokens_in: 0, tokens_out: 0 },
  };
}

describe('Sweeper driven by its RxJS timer', () => {
  it('turns a session without activity idle after IDLE_AFTER, then expires it TTL later', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    expect(session.expires_at).toBe(new Date(T0 + 5_000).toISOString());

    await advance(2_000); // ticks at 1 s and 2 s: not idle for more than 2 s yet
    expect(await stateOf(rt, session.id)).toBe('active');
    await advance(1_000); // tick at 3 s
    expect(await stateOf(rt, session.id)).toBe('idle');
    const idled = (await eventsOf(rt, session.id)).at(-1);
    expect(idled).toMatchObject({ seq: 2, type: 'session.updated', meta: { state: 'idle' } });

    await advance(2_000); // ticks at 4 s and 5 s: expiry is due after 5 s
    expect(await stateOf(rt, session.id)).toBe('idle');
    await advance(1_000); // tick at 6 s
    const expired = await rt.sessions.get(session.id);
    expect(expired).toMatchObject({ state: 'expired', expires_at: null });
    const events = await eventsOf(rt, session.id);
    expect(events.map((e) => e.type)).toEqual(['session.created', 'session.updated', 'session.expired']);
    expect(events.at(-1)).toMatchObject({ seq: 3, meta: { reason: 'ttl' } });

    // Nothing more happens to it on later ticks.
    await advance(5_000);
    expect(await eventsOf(rt, session.id)).toHaveLength(3);
  });

  it('does nothing once stopped', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    rt.sweeper.stop();
    await advance(10_000);
    expect(await stateOf(rt, session.id)).toBe('active');
    rt.sweeper.start();
    await advance(1_000);
    expect(await stateOf(rt, session.id)).toBe('idle');
  });

  it('activity on an idle session makes it active again and pushes expiry back', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    await advance(3_000);
    expect(await stateOf(rt, session.id)).toBe('idle');

    await advance(500); // t = 3.5 s
    const touched = await rt.sessions.update(session.id, { name: 'still here' });
    expect(touched.state).toBe('active');
    expect(touched.last_active_at).toBe(new Date(T0 + 3_500).toISOString());
    expect(touched.expires_at).toBe(new Date(T0 + 8_500).toISOString());

    await advance(2_500); // t = 6 s: the old expiry has passed; idle again (3.5 s + 2 s), not expired
    expect(await stateOf(rt, session.id)).toBe('idle');
    await advance(2_000); // t = 8 s
    expect(await stateOf(rt, session.id)).toBe('idle');
    await advance(1_000); // t = 9 s: past 8.5 s
    expect(await stateOf(rt, session.id)).toBe('expired');
  });

  it('never idles or expires a session while its run is running; the clock starts again when it ends', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const run = await rt.runs.create(session.id, {
      input: { question: 'x', everyMs: 1_000 },
      flow: 'tick',
    });
    expect(run.status).toBe('running');

    await advance(20_000);
    const during = await rt.sessions.get(session.id);
    expect(during).toMatchObject({ state: 'active', active_run_id: run.id, expires_at: null });
    const events = await eventsOf(rt, session.id);
    expect(events.filter((e) => e.type === 'step').length).toBeGreaterThanOrEqual(19);
    expect(events.some((e) => e.type === 'session.expired' || e.meta.state === 'idle')).toBe(false);

    await rt.runs.cancel(session.id, run.id);
    const after = await rt.sessions.get(session.id);
    expect(after).toMatchObject({ state: 'active', active_run_id: null });
    expect(after.expires_at).toBe(new Date(T0 + 20_000 + 5_000).toISOString());
    await advance(3_000);
    expect(await stateOf(rt, session.id)).toBe('idle');
    await advance(3_000);
    expect(await stateOf(rt, session.id)).toBe('expired');
  });

  it('never expires a session whose run waits in the queue for a slot', async () => {
    const rt = await start({ CONCURRENCY_LIMIT: '1' });
    const busy = await rt.sessions.create();
    const waiting = await rt.sessions.create();
    const long = await rt.runs.create(busy.id, { input: { question: 'long', delayMs: 60_000 } });
    const queued = await rt.runs.create(waiting.id, { input: { question: 'next' } });
    expect(queued.status).toBe('queued');

    await advance(20_000);
    expect(await stateOf(rt, busy.id)).toBe('active');
    expect(await stateOf(rt, waiting.id)).toBe('active');
    await rt.runs.cancel(busy.id, long.id);
    await rt.runs.cancel(waiting.id, queued.id).catch(() => undefined);
  });

  it('an expired session refuses runs and completes its live subscribers', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const seen: SessionEvent[] = [];
    let completed = false;
    const subscription = rt.events.events$(session.id).subscribe({
      next: (event) => seen.push(event),
      complete: () => (completed = true),
    });

    await advance(3_000);
    expect(completed).toBe(false);
    await advance(3_000);
    expect(completed).toBe(true);
    expect(seen.map((e) => e.type)).toEqual(['session.created', 'session.updated', 'session.expired']);
    expect(rt.events.subscriberCount(session.id)).toBe(0);
    subscription.unsubscribe();

    const error = await rt.runs
      .create(session.id, { input: { question: 'too late' } })
      .catch((e: unknown) => e);
    expect(isTributaryError(error, 'SESSION_EXPIRED')).toBe(true);
    expect(error).toMatchObject({ kind: 'conflict', field: 'session_id' });
    expect(await rt.runs.list(session.id)).toEqual([]);
  });

  it('a sweep whose store throws is logged, and the next tick works', async () => {
    class FlakyStore extends MemoryStore {
      calls = 0;
      override async sweepCandidates(query: SweepQuery): Promise<SweepCandidates> {
        this.calls += 1;
        if (this.calls === 1) throw new Error('store went away');
        return super.sweepCandidates(query);
      }
    }
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const store = new FlakyStore();
    const rt = await start({}, { store, logger });
    const session = await rt.sessions.create();

    await advance(1_000);
    expect(store.calls).toBe(1);
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0]!) as { msg: string; err: { message: string } };
    expect(logged.msg).toContain('session sweep failed');
    expect(logged.err.message).toBe('store went away');

    await advance(2_000);
    expect(store.calls).toBe(3);
    expect(await stateOf(rt, session.id)).toBe('idle');
    expect(lines).toHaveLength(1);
  });
});

describe('Sweeper.sweep called directly', () => {
  it('force expires every session without a run, but neither archived nor running nor queued ones', async () => {
    const rt = await start({ SWEEP_INTERVAL_SECONDS: '3600', CONCURRENCY_LIMIT: '1' });
    const active = await rt.sessions.create();
    const idle = await rt.sessions.create();
    const archived = await rt.sessions.create();
    const running = await rt.sessions.create();
    const queued = await rt.sessions.create();
    await advance(2_500);
    await rt.sessions.update(active.id, { name: 'fresh' });
    await rt.sessions.update(archived.id, { state: 'archived' });
    await rt.sessions.update(running.id, { name: 'busy' });
    const run = await rt.runs.create(running.id, { input: { question: 'long', delayMs: 60_000 } });
    // Waits for the only slot: the store sees no active run, only the scheduler knows it is busy.
    const waiting = await rt.runs.create(queued.id, { input: { question: 'next' } });
    expect(waiting.status).toBe('queued');
    expect((await rt.sessions.get(queued.id)).active_run_id).toBeNull();
    expect(await rt.sweeper.sweep()).toEqual({ idled: 1, expired: 0 });
    expect(await stateOf(rt, idle.id)).toBe('idle');
    expect(await stateOf(rt, active.id)).toBe('active');

    expect(await rt.sweeper.sweep({ force: true })).toEqual({ idled: 0, expired: 2 });
    for (const s of [active, idle]) {
      expect(await stateOf(rt, s.id)).toBe('expired');
      expect((await eventsOf(rt, s.id)).at(-1)).toMatchObject({
        type: 'session.expired',
        meta: { reason: 'forced' },
      });
    }
    expect(await stateOf(rt, archived.id)).toBe('archived');
    expect(await rt.sessions.get(running.id)).toMatchObject({ state: 'active', active_run_id: run.id });
    expect((await eventsOf(rt, running.id)).some((e) => e.type === 'session.expired')).toBe(false);
    expect(await stateOf(rt, queued.id)).toBe('active');
    expect((await eventsOf(rt, queued.id)).some((e) => e.type === 'session.expired')).toBe(false);

    // A second forced sweep finds nothing left to expire.
    expect(await rt.sweeper.sweep({ force: true })).toEqual({ idled: 0, expired: 0 });
    await rt.runs.cancel(queued.id, waiting.id);
    await rt.runs.cancel(running.id, run.id);
  });

  it('leaves alone a session touched, or given a run, before the store expires: no idle, no expiry', async () => {
    /**
     * Lets something happen after the sweep has read its idle candidates and right before the
     * store's set-based expiry, as another request or process would.
     */
    class RacedStore extends MemoryStore {
      meanwhile: () => Promise<unknown> = async () => undefined;
      override async expireDue(query: ExpireDueQuery): Promise<SessionEvent[]> {
        await this.meanwhile();
        return super.expireDue(query);
      }
    }
    const store = new RacedStore();
    runtime = await startRuntime(FAST, { store, sweep: false });
    const rt = runtime;
    const toIdle = await rt.sessions.create();
    const toExpire = await rt.sessions.create();
    // Both turn idle; toIdle is left to expire, the control case.
    vi.setSystemTime(T0 + 2_001);
    expect(await rt.sweeper.sweep()).toEqual({ idled: 2, expired: 0 });
    vi.setSystemTime(T0 + 5_002);
    const fresh = await rt.sessions.create();
    vi.setSystemTime(T0 + 7_003);
    // Due: toIdle and toExpire (idle past their TTL), fresh (active past IDLE_AFTER). All but toIdle
    // get a message after the sweep has read its idle candidates, right before the expiry.
    store.meanwhile = () =>
      Promise.all([
        rt.sessions.recordProgress(toExpire.id, { message: 'still here' }),
        rt.sessions.update(fresh.id, { name: 'busy' }),
      ]);
    expect(await rt.sweeper.sweep({ force: false })).toEqual({ idled: 0, expired: 1 });
    expect(await stateOf(rt, toIdle.id)).toBe('expired');
    expect(await stateOf(rt, toExpire.id)).toBe('active');
    expect(await stateOf(rt, fresh.id)).toBe('active');
    const types = async (id: string) => (await eventsOf(rt, id)).map((e) => e.type);
    expect(await types(toExpire.id)).toEqual(['session.created', 'session.updated', 'progress']);
    expect(await types(fresh.id)).toEqual(['session.created', 'session.updated']);
    // Forced: age does not count, a run does. One stored right before the expiry (by another
    // process, say) keeps the session; the other free one expires.
    store.meanwhile = () =>
      rt.store.write({
        session_id: toExpire.id,
        runs: [{ ...foreignRun(toExpire.id, 'queued'), id: 'run-elsewhere' }],
      });
    expect(await rt.sweeper.sweep({ force: true })).toEqual({ idled: 0, expired: 1 });
    expect(await stateOf(rt, fresh.id)).toBe('expired');
    expect(await stateOf(rt, toExpire.id)).toBe('active');
    expect(await types(toExpire.id)).toEqual(['session.created', 'session.updated', 'progress']);
  });

  it('never idles or expires a session whose run another process holds (stored queued or running)', async () => {
    runtime = await startRuntime(FAST, { sweep: false });
    const rt = runtime;
    const queued = await rt.sessions.create();
    const running = await rt.sessions.create();
    const free = await rt.sessions.create();
    await rt.store.write({ session_id: queued.id, runs: [foreignRun(queued.id, 'queued')] });
    await rt.store.write({ session_id: running.id, runs: [foreignRun(running.id, 'running')] });
    vi.setSystemTime(T0 + 60_000);
    expect(await rt.sweeper.sweep()).toEqual({ idled: 1, expired: 0 });
    expect(await rt.sweeper.sweep({ force: true })).toEqual({ idled: 0, expired: 1 });
    expect(await stateOf(rt, free.id)).toBe('expired');
    for (const busy of [queued, running]) {
      expect(await stateOf(rt, busy.id)).toBe('active');
      expect((await eventsOf(rt, busy.id)).map((e) => e.type)).toEqual(['session.created']);
    }
  });

  it('never idles or expires a session this process says is busy, even where the store sees no run', async () => {
    runtime = await startRuntime(FAST, { sweep: false });
    const rt = runtime;
    const [busyIdle, busyActive, free] = [
      await rt.sessions.create(),
      await rt.sessions.create(),
      await rt.sessions.create(),
    ];
    vi.setSystemTime(T0 + 2_001);
    await rt.sweeper.sweep(); // all three idle
    await rt.sessions.update(busyActive.id, { name: 'back' });
    // A sweeper of this process whose runs hold busyIdle and busyActive (nothing in the store says so).
    const sweeper = new Sweeper({
      store: rt.store,
      sessions: rt.sessions,
      log: rt.log,
      policy: { idleAfterMs: 2_000, ttlMs: 3_000, maxPerUser: 0, capPolicy: 'reject' },
      busySessions: () => [busyIdle.id, busyActive.id],
      intervalMs: 1_000,
      logger: pino({ level: 'silent' }),
    });
    vi.setSystemTime(T0 + 10_000);
    expect(await sweeper.sweep()).toEqual({ idled: 0, expired: 1 });
    expect(await sweeper.sweep({ force: true })).toEqual({ idled: 0, expired: 0 });
    expect(await stateOf(rt, free.id)).toBe('expired');
    expect(await stateOf(rt, busyIdle.id)).toBe('idle');
    expect(await stateOf(rt, busyActive.id)).toBe('active');
  });

  it('idles and expires by the clock with no timer running', async () => {
    runtime = await startRuntime({ ...FAST, SESSION_TTL_SECONDS: '10' }, { sweep: false });
    const rt = runtime;
    const session = await rt.sessions.create();
    vi.setSystemTime(T0 + 2_001);
    expect(await rt.sweeper.sweep()).toEqual({ idled: 1, expired: 0 });
    vi.setSystemTime(T0 + 12_000);
    expect(await rt.sweeper.sweep()).toEqual({ idled: 0, expired: 0 });
    vi.setSystemTime(T0 + 12_001);
    expect(await rt.sweeper.sweep()).toEqual({ idled: 0, expired: 1 });
    expect(await stateOf(rt, session.id)).toBe('expired');
  });
});
