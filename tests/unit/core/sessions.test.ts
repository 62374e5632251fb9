import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTributaryError, type Runtime, type Session, type SessionState } from '../../../core/index.ts';
import { eventWhere, startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import type { SessionEvent } from '../../../core/events/event.ts';
import type { WriteBatch } from '../../../core/store/session-store.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { makeEvent } from '../stores/fixtures.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
  vi.useRealTimers();
});

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** Freezes `Date` (only `Date`: real timers keep the runtime's async work going) at `T0 + ms`. */
function clockAt(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0 + ms);
}

/** The rejection of `promise`, failing the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

async function start(env: Record<string, string> = {}): Promise<Runtime> {
  runtime = await startRuntime(env);
  return runtime;
}

async function eventsOf(rt: Runtime, sessionId: string) {
  return rt.store.listEvents(sessionId, { after: 0, limit: 1000 });
}

describe('Sessions.create and get', () => {
  it('creates an active session with defaults, a session.created event at seq 1 and its expiry', async () => {
    clockAt(0);
    const rt = await start({ IDLE_AFTER_SECONDS: '60', SESSION_TTL_SECONDS: '120' });
    const session = await rt.sessions.create();
    expect(session).toMatchObject({
      user_id: null,
      agent_id: null,
      team_id: null,
      workflow_id: null,
      name: null,
      state: 'active',
      metadata: {},
      data: {},
      last_seq: 1,
      active_run_id: null,
      run_count: 0,
      usage: { tokens_in: 0, tokens_out: 0 },
    });
    // A UUIDv7 whose first 48 bits are its creation time.
    expect(session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(session.id.slice(0, 8) + session.id.slice(9, 13), 16)).toBe(T0);
    expect(session.created_at).toBe(new Date(T0).toISOString());
    expect(session.updated_at).toBe(session.created_at);
    expect(session.last_active_at).toBe(session.created_at);
    expect(Date.parse(session.expires_at!)).toBe(Date.parse(session.last_active_at) + (60 + 120) * 1000);

    const events = await eventsOf(rt, session.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      seq: 1,
      type: 'session.created',
      session_id: session.id,
      run_id: null,
      level: 'info',
      meta: { user_id: null, agent_id: null },
    });
    expect(await rt.sessions.get(session.id)).toEqual(session);
  });

  it('keeps the fields it is given', async () => {
    const rt = await start();
    const session = await rt.sessions.create({
      user_id: 'ann',
      agent_id: 'ask',
      team_id: 't1',
      workflow_id: 'w1',
      name: 'revision',
      metadata: { course: 'rxjs' },
      data: { level: 2 },
    });
    expect(session).toMatchObject({
      user_id: 'ann',
      agent_id: 'ask',
      team_id: 't1',
      workflow_id: 'w1',
      name: 'revision',
      metadata: { course: 'rxjs' },
      data: { level: 2 },
    });
    const [created] = await eventsOf(rt, session.id);
    expect(created?.meta).toEqual({ user_id: 'ann', agent_id: 'ask' });
  });

  it('get of an unknown id is SESSION_NOT_FOUND naming session_id', async () => {
    const rt = await start();
    const error = await rejectionOf(rt.sessions.get('no-such-session'));
    expect(isTributaryError(error, 'SESSION_NOT_FOUND')).toBe(true);
    expect(error).toMatchObject({ kind: 'not_found', field: 'session_id' });
    expect((error as Error).message).toContain('no-such-session');
  });
});

describe('Sessions.list', () => {
  async function seed(rt: Runtime) {
    const a = await rt.sessions.create({
      user_id: 'ann',
      agent_id: 'quiz',
      team_id: 'red',
      workflow_id: 'w1',
    });
    const b = await rt.sessions.create({
      user_id: 'ann',
      agent_id: 'grade',
      team_id: 'blue',
      workflow_id: 'w2',
    });
    const c = await rt.sessions.create({
      user_id: 'bob',
      agent_id: 'quiz',
      team_id: 'blue',
      workflow_id: 'w1',
    });
    const d = await rt.sessions.create({
      user_id: 'bob',
      agent_id: 'grade',
      team_id: 'red',
      workflow_id: 'w2',
    });
    await rt.sessions.update(d.id, { state: 'archived' });
    return { a, b, c, d };
  }
  const ids = (items: readonly Session[]) => items.map((s) => s.id).sort();
  const sorted = (...sessions: Session[]) => sessions.map((s) => s.id).sort();

  it('filters by user_id, agent_id, team_id, workflow_id and state (one or several)', async () => {
    const rt = await start();
    const { a, b, c, d } = await seed(rt);
    expect(ids((await rt.sessions.list()).items)).toEqual(sorted(a, b, c, d));
    expect(ids((await rt.sessions.list({ user_id: 'ann' })).items)).toEqual(sorted(a, b));
    expect(ids((await rt.sessions.list({ agent_id: 'quiz' })).items)).toEqual(sorted(a, c));
    expect(ids((await rt.sessions.list({ team_id: 'red' })).items)).toEqual(sorted(a, d));
    expect(ids((await rt.sessions.list({ workflow_id: 'w2' })).items)).toEqual(sorted(b, d));
    expect(ids((await rt.sessions.list({ state: 'archived' })).items)).toEqual(sorted(d));
    expect(ids((await rt.sessions.list({ state: 'active' })).items)).toEqual(sorted(a, b, c));
    expect(ids((await rt.sessions.list({ state: ['archived', 'idle'] })).items)).toEqual(sorted(d));
    expect(ids((await rt.sessions.list({ state: ['archived', 'active'] })).items)).toEqual(
      sorted(a, b, c, d),
    );
    expect(ids((await rt.sessions.list({ user_id: 'bob', agent_id: 'quiz' })).items)).toEqual(sorted(c));
    expect((await rt.sessions.list({ user_id: 'nobody' })).items).toEqual([]);
  });

  it('pages with a cursor: every session exactly once, newest first, next_cursor null at the end', async () => {
    const rt = await start();
    const created: Session[] = [];
    for (let i = 0; i < 5; i += 1) created.push(await rt.sessions.create({ user_id: 'pager' }));
    await rt.sessions.create({ user_id: 'other' });

    const pages: Session[][] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Session[]; next_cursor: string | null } = await rt.sessions.list({
        user_id: 'pager',
        limit: 2,
        cursor,
      });
      pages.push(page.items);
      cursor = page.next_cursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const all = (await rt.sessions.list({ user_id: 'pager' })).items;
    expect(pages.flat().map((s) => s.id)).toEqual(all.map((s) => s.id));
    expect(ids(pages.flat())).toEqual(sorted(...created));
    // Newest first.
    const createdAt = all.map((s) => s.created_at);
    expect([...createdAt].sort().reverse()).toEqual(createdAt);

    // A limit that exactly fits leaves no cursor behind.
    expect((await rt.sessions.list({ user_id: 'pager', limit: 5 })).next_cursor).toBeNull();
  });

  it.each([0, 1001, 1.5, -1, Number.NaN])('limit %s is INVALID_ARGUMENT naming limit', async (limit) => {
    const rt = await start();
    const error = await rejectionOf(rt.sessions.list({ limit }));
    expect(isTributaryError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error).toMatchObject({ field: 'limit', kind: 'invalid' });
  });

  it('accepts the edges of limit, 1 and 1000', async () => {
    const rt = await start();
    await rt.sessions.create();
    await rt.sessions.create();
    expect((await rt.sessions.list({ limit: 1 })).items).toHaveLength(1);
    expect((await rt.sessions.list({ limit: 1000 })).items).toHaveLength(2);
  });

  it('an unknown state filter is INVALID_STATE, alone or in a list', async () => {
    const rt = await start();
    for (const state of ['bogus', ['active', 'bogus']]) {
      const error = await rejectionOf(rt.sessions.list({ state: state as SessionState }));
      expect(isTributaryError(error, 'INVALID_STATE')).toBe(true);
      expect(error).toMatchObject({ field: 'state', kind: 'invalid' });
    }
  });

  it('a cursor it did not issue is INVALID_CURSOR', async () => {
    const rt = await start();
    await expect(rt.sessions.list({ cursor: 'not a cursor' })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
      field: 'cursor',
    });
  });
});

describe('Sessions.update', () => {
  it('changes name and metadata, merges data, writes session.updated and records activity', async () => {
    clockAt(0);
    const rt = await start({ IDLE_AFTER_SECONDS: '60', SESSION_TTL_SECONDS: '60' });
    const session = await rt.sessions.create({ name: 'old', metadata: { a: 1, b: 2 }, data: { x: 1, y: 2 } });
    vi.setSystemTime(T0 + 5_000);

    const updated = await rt.sessions.update(session.id, {
      name: 'new',
      metadata: { c: 3 },
      data: { y: 20, z: 30 },
    });
    expect(updated.name).toBe('new');
    expect(updated.metadata).toEqual({ c: 3 }); // metadata is replaced
    expect(updated.data).toEqual({ x: 1, y: 20, z: 30 }); // data is merged
    expect(updated.last_seq).toBe(2);
    expect(updated.last_active_at).toBe(new Date(T0 + 5_000).toISOString());
    expect(updated.updated_at).toBe(updated.last_active_at);
    expect(updated.expires_at).toBe(new Date(T0 + 5_000 + 120_000).toISOString());
    expect(updated.created_at).toBe(session.created_at);

    const events = await eventsOf(rt, session.id);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'session.created'],
      [2, 'session.updated'],
    ]);
    expect(events[1]?.meta).toEqual({ fields: ['name', 'metadata', 'data'] });
  });

  it('concurrent data updates both land (data merges with what is stored, not a stale read)', async () => {
    const rt = await start();
    const session = await rt.sessions.create({ data: { base: true } });
    await Promise.all([
      rt.sessions.update(session.id, { data: { a: 1 } }),
      rt.sessions.update(session.id, { data: { b: 2 } }),
      rt.sessions.update(session.id, { data: { c: 3 } }),
    ]);
    expect((await rt.sessions.get(session.id)).data).toEqual({ base: true, a: 1, b: 2, c: 3 });
    expect((await rt.sessions.get(session.id)).last_seq).toBe(4);
  });

  it.each(['idle', 'expired', 'bogus'])('state %s is INVALID_STATE and changes nothing', async (state) => {
    const rt = await start();
    const session = await rt.sessions.create({ name: 'keep' });
    const error = await rejectionOf(
      rt.sessions.update(session.id, { name: 'changed', state: state as SessionState }),
    );
    expect(isTributaryError(error, 'INVALID_STATE')).toBe(true);
    expect(error).toMatchObject({ field: 'state', kind: 'invalid' });
    expect(await rt.sessions.get(session.id)).toEqual(session);
    expect(await eventsOf(rt, session.id)).toHaveLength(1);
  });

  it('update of an unknown session is SESSION_NOT_FOUND', async () => {
    const rt = await start();
    await expect(rt.sessions.update('missing', { name: 'x' })).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
  });

  it('an archived session refuses runs until its state is set back to active', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const archived = await rt.sessions.update(session.id, { state: 'archived' });
    expect(archived.state).toBe('archived');
    expect(archived.expires_at).toBeNull();

    const error = await rejectionOf(rt.runs.create(session.id, { input: { question: 'hi' } }));
    expect(isTributaryError(error, 'SESSION_ARCHIVED')).toBe(true);
    expect(error).toMatchObject({ kind: 'conflict', field: 'session_id' });
    expect(await rt.runs.list(session.id)).toEqual([]);

    const active = await rt.sessions.update(session.id, { state: 'active' });
    expect(active.state).toBe('active');
    expect(active.expires_at).not.toBeNull();
    const run = await rt.runs.create(session.id, { input: { question: 'hi' } });
    expect((await terminalOf(rt, session.id, run.id)).type).toBe('run.completed');
  });

  it('an expired session cannot be updated (SESSION_EXPIRED), not even back to active', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    await rt.sessions.expire([session], 'forced');
    const error = await rejectionOf(rt.sessions.update(session.id, { state: 'active' }));
    expect(isTributaryError(error, 'SESSION_EXPIRED')).toBe(true);
    expect((await rt.sessions.get(session.id)).state).toBe('expired');
  });
});

describe('Sessions.remove and removeMany', () => {
  it('remove deletes the session and its events; unknown ids are SESSION_NOT_FOUND', async () => {
    const rt = await start();
    const doomed = await rt.sessions.create();
    const kept = await rt.sessions.create();
    await rt.sessions.remove(doomed.id);
    await expect(rt.sessions.get(doomed.id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(await eventsOf(rt, doomed.id)).toEqual([]);
    expect((await rt.sessions.get(kept.id)).id).toBe(kept.id);
    await expect(rt.sessions.remove(doomed.id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('removeMany deletes by user_id or by agent_id and says how many', async () => {
    const rt = await start();
    const ann1 = await rt.sessions.create({ user_id: 'ann', agent_id: 'quiz' });
    const ann2 = await rt.sessions.create({ user_id: 'ann', agent_id: 'grade' });
    const bob1 = await rt.sessions.create({ user_id: 'bob', agent_id: 'quiz' });
    const bob2 = await rt.sessions.create({ user_id: 'bob', agent_id: 'grade' });

    expect(await rt.sessions.removeMany({ user_id: 'ann' })).toBe(2);
    for (const s of [ann1, ann2])
      await expect(rt.sessions.get(s.id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });

    expect(await rt.sessions.removeMany({ agent_id: 'quiz' })).toBe(1);
    await expect(rt.sessions.get(bob1.id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect((await rt.sessions.get(bob2.id)).id).toBe(bob2.id);

    expect(await rt.sessions.removeMany({ user_id: 'nobody' })).toBe(0);
    expect((await rt.sessions.list()).items.map((s) => s.id)).toEqual([bob2.id]);
  });

  it('removeMany without a filter is INVALID_ARGUMENT and deletes nothing', async () => {
    const rt = await start();
    const session = await rt.sessions.create({ user_id: 'ann' });
    const error = await rejectionOf(rt.sessions.removeMany({}));
    expect(isTributaryError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error).toMatchObject({ kind: 'invalid', field: 'user_id' });
    expect((await rt.sessions.get(session.id)).id).toBe(session.id);
  });
});

describe('per-user session cap', () => {
  it('reject: the create past the cap is SESSION_CAP_REACHED (429) and writes nothing', async () => {
    const rt = await start({ MAX_SESSIONS_PER_USER: '2', SESSION_CAP_POLICY: 'reject' });
    const one = await rt.sessions.create({ user_id: 'ann' });
    const two = await rt.sessions.create({ user_id: 'ann' });
    const error = await rejectionOf(rt.sessions.create({ user_id: 'ann', name: 'third' }));
    expect(isTributaryError(error, 'SESSION_CAP_REACHED')).toBe(true);
    expect(error).toMatchObject({ kind: 'limited', field: 'user_id', details: { cap: 2, policy: 'reject' } });

    const all = (await rt.sessions.list()).items;
    expect(all.map((s) => s.id).sort()).toEqual([one.id, two.id].sort());
    expect(await rt.sessions.get(one.id)).toEqual(one);
    expect(await rt.sessions.get(two.id)).toEqual(two);
    // Other users and anonymous sessions are not capped by ann's sessions.
    await expect(rt.sessions.create({ user_id: 'bob' })).resolves.toMatchObject({ user_id: 'bob' });
    await expect(rt.sessions.create()).resolves.toMatchObject({ user_id: null });
  });

  it('only live sessions count: an expired one frees a place', async () => {
    const rt = await start({ MAX_SESSIONS_PER_USER: '1' });
    const first = await rt.sessions.create({ user_id: 'ann' });
    await expect(rt.sessions.create({ user_id: 'ann' })).rejects.toMatchObject({
      code: 'SESSION_CAP_REACHED',
    });
    await rt.sessions.expire([first], 'forced');
    await expect(rt.sessions.create({ user_id: 'ann' })).resolves.toMatchObject({ state: 'active' });
  });

  it('evict: expires the idle session with the oldest activity, then creates; with none idle it rejects', async () => {
    clockAt(0);
    const rt = await start({
      MAX_SESSIONS_PER_USER: '2',
      SESSION_CAP_POLICY: 'evict',
      IDLE_AFTER_SECONDS: '60',
      SESSION_TTL_SECONDS: '600',
    });
    const older = await rt.sessions.create({ user_id: 'ann', name: 'older' });
    vi.setSystemTime(T0 + 1_000);
    const younger = await rt.sessions.create({ user_id: 'ann', name: 'younger' });
    // The older session is used again, so the younger one has the oldest activity.
    vi.setSystemTime(T0 + 10_000);
    await rt.sessions.update(older.id, { data: { seen: true } });

    // Not idle yet: no one to evict.
    await expect(rt.sessions.create({ user_id: 'ann' })).rejects.toMatchObject({
      code: 'SESSION_CAP_REACHED',
      details: { policy: 'evict' },
    });

    vi.setSystemTime(T0 + 80_000);
    expect(await rt.sweeper.sweep()).toEqual({ idled: 2, expired: 0 });
    expect((await rt.sessions.get(younger.id)).state).toBe('idle');

    const third = await rt.sessions.create({ user_id: 'ann', name: 'third' });
    expect(third.state).toBe('active');
    expect((await rt.sessions.get(younger.id)).state).toBe('expired');
    expect((await rt.sessions.get(older.id)).state).toBe('idle');
    const expired = await eventsOf(rt, younger.id);
    expect(expired.at(-1)).toMatchObject({ type: 'session.expired', meta: { reason: 'evicted' } });

    const fourth = await rt.sessions.create({ user_id: 'ann', name: 'fourth' });
    expect((await rt.sessions.get(older.id)).state).toBe('expired');
    expect(fourth.state).toBe('active');

    // Now both live sessions are active: nothing idle to evict.
    const error = await rejectionOf(rt.sessions.create({ user_id: 'ann' }));
    expect(isTributaryError(error, 'SESSION_CAP_REACHED')).toBe(true);
    expect(await rt.store.countSessions({ user_id: 'ann' })).toBe(4);
    expect(await rt.store.countSessions({ user_id: 'ann', state: ['active', 'idle'] })).toBe(2);
  });

  it('concurrent creates cannot pass the cap together', async () => {
    const rt = await start({ MAX_SESSIONS_PER_USER: '2', SESSION_CAP_POLICY: 'reject' });
    const results = await Promise.allSettled(
      [0, 1, 2, 3, 4].map(() => rt.sessions.create({ user_id: 'ann' })),
    );
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(2);
    expect(rejected).toHaveLength(3);
    for (const r of rejected) expect(isTributaryError(r.reason, 'SESSION_CAP_REACHED')).toBe(true);
    expect(await rt.store.countSessions({ user_id: 'ann' })).toBe(2);
  });
});

describe('per-user session cap, checked by the store in the insert', () => {
  it('counts again when another process filled the cap meanwhile, and gives up after a few tries', async () => {
    /** A store where, at each create, another process has just taken the user's last place. */
    class Crowded extends MemoryStore {
      creates = 0;
      override async writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
        if (batches.some((b) => b.create && b.expect)) {
          this.creates += 1;
          return batches.map(() => []);
        }
        return super.writeMany(batches);
      }
    }
    const store = new Crowded();
    runtime = await startRuntime({ MAX_SESSIONS_PER_USER: '2', SESSION_CAP_POLICY: 'reject' }, { store });
    const error = await rejectionOf(runtime.sessions.create({ user_id: 'ann' }));
    expect(error).toMatchObject({ code: 'SESSION_CAP_REACHED', field: 'user_id' });
    expect(store.creates).toBe(5);
    expect(await store.countSessions({})).toBe(0);
    // Without a user there is no cap, so no expectation for the store to refuse.
    expect((await runtime.sessions.create()).user_id).toBeNull();
  });
});

describe('a session expired between the read and the write', () => {
  /** A store where another process expires the session right before this process's next write to it. */
  class ExpiresFirst extends MemoryStore {
    expireNext: string | null = null;
    override async writeMany(batches: readonly WriteBatch[]): Promise<SessionEvent[][]> {
      const id = this.expireNext;
      if (id !== null && batches.some((b) => b.session_id === id)) {
        this.expireNext = null;
        await super.writeMany([
          {
            session_id: id,
            patch: { state: 'expired' },
            events: [makeEvent(id, { type: 'session.expired', run_id: null, step: null })],
          },
        ]);
      }
      return super.writeMany(batches);
    }
  }

  it('takes no progress and no update: SESSION_EXPIRED, nothing written', async () => {
    const store = new ExpiresFirst();
    runtime = await startRuntime({}, { store });
    const rt = runtime;
    for (const write of [
      (id: string) => rt.sessions.recordProgress(id, { message: 'late' }),
      (id: string) => rt.sessions.update(id, { name: 'late' }),
    ]) {
      const session = await rt.sessions.create();
      store.expireNext = session.id;
      expect(await rejectionOf(write(session.id))).toMatchObject({
        code: 'SESSION_EXPIRED',
        field: 'session_id',
      });
      expect((await eventsOf(rt, session.id)).map((e) => e.type)).toEqual([
        'session.created',
        'session.expired',
      ]);
      expect(await rt.sessions.get(session.id)).toMatchObject({ state: 'expired', name: null });
    }
  });
});

describe('Runtime.stats', () => {
  it('counts sessions by state, runs by status, the queue and the running runs', async () => {
    const rt = await start({ CONCURRENCY_LIMIT: '1' });
    const empty = await rt.stats();
    expect(empty).toMatchObject({
      total_sessions: 0,
      active_sessions: 0,
      idle_sessions: 0,
      expired_sessions: 0,
      avg_session_duration_s: 0,
      queue_depth: 0,
      running_runs: 0,
      runs_by_status: { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 },
    });

    const busy = await rt.sessions.create();
    const waiting = await rt.sessions.create();
    const archived = await rt.sessions.create();
    const expired = await rt.sessions.create();
    await rt.sessions.update(archived.id, { state: 'archived' });
    await rt.sessions.expire([expired], 'forced');

    const long = await rt.runs.create(busy.id, { input: { question: 'long', delayMs: 10_000 } });
    const queued = await rt.runs.create(waiting.id, { input: { question: 'next' } });
    expect([long.status, queued.status]).toEqual(['running', 'queued']);

    const stats = await rt.stats();
    expect(stats).toMatchObject({
      total_sessions: 4,
      active_sessions: 2,
      idle_sessions: 0,
      expired_sessions: 1,
      queue_depth: 1,
      running_runs: 1,
      runs_by_status: { queued: 1, running: 1, completed: 0, failed: 0, cancelled: 0 },
    });
    expect(stats.avg_session_duration_s).toBeGreaterThanOrEqual(0);

    await rt.runs.cancel(busy.id, long.id);
    await terminalOf(rt, waiting.id, queued.id);
    const after = await rt.stats();
    expect(after).toMatchObject({
      queue_depth: 0,
      running_runs: 0,
      runs_by_status: { queued: 0, running: 0, completed: 1, cancelled: 1 },
    });
    await eventWhere(rt, busy.id, (e) => e.type === 'run.cancelled');
  });
});
