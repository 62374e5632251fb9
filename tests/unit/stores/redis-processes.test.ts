import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import type { Runtime, Session, SessionEvent, Stats } from '../../../core/index.ts';
import { RedisStore } from '../../../stores/redis/redis-store.ts';
import { startRuntime } from '../../fixtures/runtime.ts';
import { makeCheckpoint, makeMessage } from './fixtures.ts';

/*
 * Two processes on one Redis, as two gateway replicas are: each its own RedisStore connection
 * (same prefix) and its own Runtime. Their background work and bookkeeping must add up to what one
 * process would do: each session idled and expired once, the per-user cap held, each session
 * deleted once, the same stats from both.
 */

const REDIS_URL = inject('redisUrl');
const admin = new Redis(REDIS_URL);
const prefixes: string[] = [];
const runtimes: Runtime[] = [];

/** Every key under `prefix`, by SCAN (the store itself never scans). */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of admin.scanStream({ match: `${prefix}*`, count: 500 }))
    keys.push(...(batch as string[]));
  return keys.sort();
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.shutdown()));
  vi.useRealTimers();
});

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await keysUnder(prefix);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
});

/** Idle after 2 s without activity, expired 3 s after that (the sweeps are called, no timer runs). */
const FAST = { IDLE_AFTER_SECONDS: '2', SESSION_TTL_SECONDS: '3' };

/** Two runtimes, each on its own connection to one fresh prefix. */
async function twoProcesses(env: Record<string, string> = {}): Promise<[Runtime, Runtime, string]> {
  const prefix = `tributary-test:${randomUUID()}:`;
  prefixes.push(prefix);
  const [a, b] = await Promise.all(
    [0, 1].map(() =>
      startRuntime({ ...FAST, ...env }, { store: new RedisStore({ url: REDIS_URL, prefix }) }),
    ),
  );
  if (!a || !b) throw new Error('no runtime');
  runtimes.push(a, b);
  return [a, b, prefix];
}

async function eventsOf(runtime: Runtime, sessionId: string): Promise<SessionEvent[]> {
  return runtime.store.listEvents(sessionId, { after: 0, limit: 1000 });
}

/** How many events of each session match `predicate`, by session id. */
async function countEach(
  runtime: Runtime,
  sessions: readonly Session[],
  predicate: (event: SessionEvent) => boolean,
): Promise<number[]> {
  return Promise.all(sessions.map(async (s) => (await eventsOf(runtime, s.id)).filter(predicate).length));
}

const isIdled = (e: SessionEvent) => e.type === 'session.updated' && e.meta?.state === 'idle';
const isExpired = (e: SessionEvent) => e.type === 'session.expired';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

describe('two processes sweeping one Redis', () => {
  beforeEach(() => {
    // The sweep's clock only: ioredis keeps its real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });

  it('idle and expire each due session exactly once when both sweep at the same time', async () => {
    const [a, b] = await twoProcesses();
    const sessions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).sessions.create({ name: `s${i}` })),
    );

    vi.setSystemTime(T0 + 2_001);
    const idled = await Promise.all([a.sweeper.sweep(), b.sweeper.sweep()]);
    expect(idled.reduce((sum, r) => sum + r.idled, 0)).toBe(sessions.length);
    expect(await countEach(a, sessions, isIdled)).toEqual(sessions.map(() => 1));

    vi.setSystemTime(T0 + 5_002);
    const expired = await Promise.all([b.sweeper.sweep(), a.sweeper.sweep()]);
    expect(expired.reduce((sum, r) => sum + r.expired, 0)).toBe(sessions.length);
    expect(await countEach(b, sessions, isExpired)).toEqual(sessions.map(() => 1));
    expect(await countEach(a, sessions, isIdled)).toEqual(sessions.map(() => 1));
  });

  it('expire each session exactly once when both force a sweep at the same time', async () => {
    const [a, b] = await twoProcesses();
    const sessions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? a : b).sessions.create({ user_id: `u${i % 4}` })),
    );
    const swept = await Promise.all([a.sweeper.sweep({ force: true }), b.sweeper.sweep({ force: true })]);
    expect(swept.reduce((sum, r) => sum + r.expired, 0)).toBe(sessions.length);
    expect(await countEach(a, sessions, isExpired)).toEqual(sessions.map(() => 1));
    expect((await a.stats()).expired_sessions).toBe(sessions.length);
  });

  it('never touch a session whose run the other process holds, queued or running', async () => {
    // One slot: a's second run waits in a's queue, stored `queued`, with no active_run_id.
    const [a, b] = await twoProcesses({ CONCURRENCY_LIMIT: '1' });
    const running = await a.sessions.create();
    const queued = await a.sessions.create();
    const free = await b.sessions.create();
    const first = await a.runs.create(running.id, { input: { question: 'long', delayMs: 60_000 } });
    const second = await a.runs.create(queued.id, { input: { question: 'next' } });
    expect(second.status).toBe('queued');
    vi.setSystemTime(T0 + 60_000);
    expect(await b.sweeper.sweep()).toEqual({ idled: 1, expired: 0 });
    expect(await b.sweeper.sweep({ force: true })).toEqual({ idled: 0, expired: 1 });
    expect((await b.sessions.get(free.id)).state).toBe('expired');
    for (const busy of [running, queued]) {
      expect((await b.sessions.get(busy.id)).state).toBe('active');
      expect(await countEach(b, [busy], (e) => isIdled(e) || isExpired(e))).toEqual([0]);
    }
    await a.runs.cancel(queued.id, second.id);
    await a.runs.cancel(running.id, first.id);
  });
});

describe('two processes sharing the per-user cap', () => {
  it('reject: creates made at the same instant on both never pass the cap together', async () => {
    const [a, b] = await twoProcesses({ MAX_SESSIONS_PER_USER: '3', SESSION_CAP_POLICY: 'reject' });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).sessions.create({ user_id: 'ann' })),
    );
    const created = results.filter((r) => r.status === 'fulfilled');
    expect(created).toHaveLength(3);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'SESSION_CAP_REACHED' });
    expect(await a.store.countSessions({ user_id: 'ann', state: ['active', 'idle'] })).toBe(3);
    expect(await b.store.countSessions({ user_id: 'ann' })).toBe(3);
  });

  it('evict: each idle session is evicted once, and the user never holds more than the cap', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    const [a, b] = await twoProcesses({ MAX_SESSIONS_PER_USER: '2', SESSION_CAP_POLICY: 'evict' });
    const idle = [await a.sessions.create({ user_id: 'ann' }), await b.sessions.create({ user_id: 'ann' })];
    vi.setSystemTime(T0 + 2_001);
    expect(await a.sweeper.sweep()).toEqual({ idled: 2, expired: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).sessions.create({ user_id: 'ann' })),
    );
    // Two places were freed (one idle session each), so two creates won; the rest found no idle session left.
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'SESSION_CAP_REACHED' });
    expect(await countEach(a, idle, isExpired)).toEqual([1, 1]);
    expect(await a.store.countSessions({ user_id: 'ann', state: ['active', 'idle'] })).toBe(2);
  });
});

describe('two processes deleting and counting', () => {
  it('bulk deletes of overlapping sessions delete each once and leave no orphan key, writes racing them', async () => {
    const [a, b, prefix] = await twoProcesses();
    const sessions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).sessions.create({ user_id: 'bob' })),
    );
    for (const s of sessions) {
      await a.store.write({
        session_id: s.id,
        messages: [makeMessage(s.id)],
        checkpoints: [makeCheckpoint(s.id)],
      });
    }
    const run = await b.runs.create(sessions[0]!.id, { input: { question: 'quick' } });
    await b.runs.cancel(sessions[0]!.id, run.id).catch(() => undefined);
    const ids = sessions.map((s) => s.id);
    // Writes that race the deletes: each lands before its session goes, or is refused.
    const racing = Promise.allSettled(ids.map((id) => a.sessions.recordProgress(id, { message: 'late' })));
    const [byUser, fromA, fromB] = await Promise.all([
      b.sessions.removeMany({ user_id: 'bob' }),
      a.store.deleteSessions(ids.slice(0, 30)),
      b.store.deleteSessions(ids.slice(10)),
    ]);
    await racing;
    const deleted = [...fromA, ...fromB];
    expect(byUser + deleted.length).toBe(ids.length);
    expect(new Set(deleted).size).toBe(deleted.length);
    expect(await keysUnder(prefix)).toEqual([`${prefix}order`]);
    expect(await a.store.countSessions({})).toBe(0);
    expect((await b.stats()).total_sessions).toBe(0);
  });

  it('answer the same stats from either process, for everyone and for one user', async () => {
    const [a, b] = await twoProcesses({ CONCURRENCY_LIMIT: '1' });
    const ann = await Promise.all([a, b, a].map((rt) => rt.sessions.create({ user_id: 'ann' })));
    const bob = await Promise.all([b, b].map((rt) => rt.sessions.create({ user_id: 'bob' })));
    await a.sessions.update(ann[0]!.id, { state: 'archived' });
    await b.sweeper.sweep({ force: true }).then(() => undefined);
    const more = await a.sessions.create({ user_id: 'bob' });
    // A run on each process; both must count the run the other one holds.
    const long = await a.runs.create(more.id, { input: { question: 'long', delayMs: 60_000 } });
    const done = await b.sessions.create({ user_id: 'ann' });
    const quick = await b.runs.create(done.id, { input: { question: 'quick' } });
    await vi.waitFor(async () => expect((await b.runs.get(done.id, quick.id)).status).toBe('completed'));

    // recent's minutes follow the clock: two calls a minute boundary apart differ only in empty minutes.
    const settled = (stats: Stats) => ({
      ...stats,
      recent: { ...stats.recent, per_minute: stats.recent.per_minute.filter((m) => m.finished > 0) },
    });
    const [fromA, fromB] = (await Promise.all([a.stats(), b.stats()])).map(settled);
    expect(fromA).toEqual(fromB);
    // b's run, finished, counts in a's recent too: it is read from the store, not from this process.
    expect(fromA!.recent.per_minute.map((m) => m.by_status)).toEqual([
      { completed: 1, failed: 0, cancelled: 0 },
    ]);
    expect(fromA).toMatchObject({
      total_sessions: 7,
      active_sessions: 2,
      expired_sessions: 4,
      runs_by_status: { running: 1, completed: 1 },
      queue_depth: 0,
      running_runs: 1,
    });
    for (const user of ['ann', 'bob'])
      expect(settled(await a.stats({ user_id: user }))).toEqual(settled(await b.stats({ user_id: user })));
    expect(bob).toHaveLength(2);
    await a.runs.cancel(more.id, long.id);
  });
});
