import { describe, expect, it } from 'vitest';
import type { TributaryClient } from '../../../clients/api-client.ts';
import type { Run } from '../../../core/runs/run.ts';
import type { components } from '../../../openapi/schema.d.ts';
import {
  ANN_KEY,
  API_KEYS,
  BOB_KEY,
  expectProblem,
  INTERNAL_TOKEN,
  newSession,
  runToEnd,
  TEST_PLUGINS,
  useGateway,
} from './platform.ts';

const runs = (counts: Partial<Record<'queued' | 'running' | 'completed' | 'failed', number>>) => ({
  queued: 0,
  running: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  ...counts,
});

/** Starts a run of `ask` and returns it as created (`running` or `queued`). */
async function startRun(api: TributaryClient, sessionId: string, input: Record<string, unknown>) {
  const { data, response } = await api.POST('/v1/sessions/{session_id}/runs', {
    params: { path: { session_id: sessionId } },
    body: { input: { question: 'q', ...input }, flow: 'ask' },
  });
  expect(response.status).toBe(202);
  return data!;
}

describe('GET /v1/stats with API keys: scoped to the caller, totals for an operator', () => {
  const gw = useGateway({ API_KEYS, INTERNAL_TOKEN, PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'ask' });
  const ann = () => gw().client(ANN_KEY);
  const bob = () => gw().client(BOB_KEY);

  it("each key sees only its user's sessions, runs, queue and running runs; the operator sees all", async () => {
    // ann: two sessions; a completed and a failed run, one run holding a session and one queued behind it.
    const annFirst = await newSession(ann());
    const annSecond = await newSession(ann());
    for (const input of [{}, { fail: true }]) {
      const run = await startRun(ann(), annFirst, input);
      await runToEnd(ann(), annFirst, run.id);
    }
    const holding = await startRun(ann(), annSecond, { delayMs: 60_000 });
    const waiting = await startRun(ann(), annSecond, {});
    expect([holding.status, waiting.status]).toEqual(['running', 'queued']);
    // bob: one session, one completed run.
    const bobs = await newSession(bob());
    await runToEnd(bob(), bobs, (await startRun(bob(), bobs, {})).id);

    const { data: annStats } = await ann().GET('/v1/stats');
    expect(annStats).toEqual({
      scope: 'user',
      total_sessions: 2,
      active_sessions: 2,
      idle_sessions: 0,
      expired_sessions: 0,
      avg_session_duration_s: expect.any(Number),
      runs_by_status: runs({ queued: 1, running: 1, completed: 1, failed: 1 }),
      queue_depth: 1,
      running_runs: 1,
      // The test flow calls no model.
      usage: { tokens_in: 0, tokens_out: 0 },
      recent: expect.objectContaining({ window_s: 900 }),
    });
    const { data: bobStats } = await bob().GET('/v1/stats');
    expect(bobStats).toMatchObject({
      scope: 'user',
      total_sessions: 1,
      active_sessions: 1,
      runs_by_status: runs({ completed: 1 }),
      queue_depth: 0,
      running_runs: 0,
    });

    const { data: all, response } = await bob().GET('/v1/stats', {
      params: { query: { scope: 'all' }, header: { 'X-Internal-Token': INTERNAL_TOKEN } },
    });
    expect(response.status).toBe(200);
    expect(all).toMatchObject({
      scope: 'all',
      total_sessions: 3,
      active_sessions: 3,
      runs_by_status: runs({ queued: 1, running: 1, completed: 2, failed: 1 }),
      queue_depth: 1,
      running_runs: 1,
    });

    for (const id of [waiting.id, holding.id]) {
      await ann().POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
        params: { path: { session_id: annSecond, run_id: id } },
      });
    }
  });

  it("sums the sessions' tokens: the caller's own, every user's for the operator; deleted ones leave", async () => {
    const operator = () =>
      bob().GET('/v1/stats', {
        params: { query: { scope: 'all' }, header: { 'X-Internal-Token': INTERNAL_TOKEN } },
      });
    const usages = async () => ({
      ann: (await ann().GET('/v1/stats')).data!.usage,
      bob: (await bob().GET('/v1/stats')).data!.usage,
      all: (await operator()).data!.usage,
    });
    const plus = (u: { tokens_in: number; tokens_out: number }, tokens_in: number, tokens_out: number) => ({
      tokens_in: u.tokens_in + tokens_in,
      tokens_out: u.tokens_out + tokens_out,
    });
    const before = await usages();
    const annSession = await newSession(ann());
    const bobSession = await newSession(bob());
    // Models add tokens to a session's usage through the store; this writes them there directly.
    const { store } = gw().platform.runtime;
    await store.write({ session_id: annSession, patch: { usage: { tokens_in: 120, tokens_out: 45 } } });
    await store.write({ session_id: bobSession, patch: { usage: { tokens_in: 7, tokens_out: 3 } } });
    // A later answer raises the same session's usage: it counts once, at its new value.
    await store.write({ session_id: annSession, patch: { usage: { tokens_in: 200, tokens_out: 60 } } });

    expect(await usages()).toEqual({
      ann: plus(before.ann, 200, 60),
      bob: plus(before.bob, 7, 3),
      all: plus(before.all, 207, 63),
    });

    const deleted = await ann().DELETE('/v1/sessions/{session_id}', {
      params: { path: { session_id: annSession } },
    });
    expect(deleted.response.status).toBe(204);
    expect(await usages()).toEqual({
      ann: before.ann,
      bob: plus(before.bob, 7, 3),
      all: plus(before.all, 7, 3),
    });
  });

  it('refuses scope=all to a key without the internal token, or with a wrong one (403)', async () => {
    const asAnn = { Authorization: `Bearer ${ANN_KEY}` };
    expectProblem(
      await gw().call('GET', '/v1/stats?scope=all', { headers: asAnn }),
      403,
      'FORBIDDEN',
      'scope=all needs the X-Internal-Token header',
    );
    expectProblem(
      await gw().call('GET', '/v1/stats?scope=all', {
        headers: { ...asAnn, 'X-Internal-Token': `${INTERNAL_TOKEN}x` },
      }),
      403,
      'FORBIDDEN',
      'invalid X-Internal-Token',
    );
    // The token is an operator's on top of a key, not instead of one.
    expectProblem(
      await gw().call('GET', '/v1/stats?scope=all', { headers: { 'X-Internal-Token': INTERNAL_TOKEN } }),
      401,
      'UNAUTHORIZED',
    );
    expectProblem(
      await gw().call('GET', '/v1/stats?scope=mine', { headers: asAnn }),
      400,
      'INVALID_ARGUMENT',
    );
  });
});

describe('GET /v1/stats recent: runs finished over the last 15 minutes, by minute, with their p50 and p99', () => {
  const gw = useGateway({ API_KEYS, INTERNAL_TOKEN, PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'ask' });
  const ann = () => gw().client(ANN_KEY);
  const bob = () => gw().client(BOB_KEY);
  type Recent = components['schemas']['RecentRuns'];
  type Minute = Recent['per_minute'][number];
  const minuteOf = (iso: string) => new Date(Math.floor(Date.parse(iso) / 60_000) * 60_000).toISOString();
  /** What the runs should make of `per_minute`: their count per minute and status. */
  const expectedMinutes = (finished: readonly Run[]) => {
    const counts: Record<string, Minute['by_status']> = {};
    for (const run of finished) {
      const at = (counts[minuteOf(run.finished_at!)] ??= { completed: 0, failed: 0, cancelled: 0 });
      at[run.status as keyof Minute['by_status']] += 1;
    }
    return counts;
  };
  const nonEmpty = (recent: Recent) =>
    Object.fromEntries(recent.per_minute.filter((m) => m.finished > 0).map((m) => [m.minute, m.by_status]));

  it("gives each key its own runs' counts and durations, and the operator everyone's", async () => {
    const annSession = await newSession(ann());
    const annRuns: Run[] = [];
    for (const input of [{ delayMs: 30 }, { fail: true }, {}]) {
      annRuns.push(await runToEnd(ann(), annSession, (await startRun(ann(), annSession, input)).id));
    }
    const bobSession = await newSession(bob());
    const bobRun = await runToEnd(bob(), bobSession, (await startRun(bob(), bobSession, { delayMs: 60 })).id);
    // A run still going counts nowhere in recent.
    const open = await startRun(bob(), bobSession, { delayMs: 60_000 });

    const annRecent = (await ann().GET('/v1/stats')).data!.recent;
    const bobRecent = (await bob().GET('/v1/stats')).data!.recent;
    const allRecent = (
      await bob().GET('/v1/stats', {
        params: { query: { scope: 'all' }, header: { 'X-Internal-Token': INTERNAL_TOKEN } },
      })
    ).data!.recent;

    for (const recent of [annRecent, bobRecent, allRecent]) {
      expect(recent.window_s).toBe(900);
      expect(recent.per_minute).toHaveLength(15);
      // Consecutive minutes, oldest first.
      const starts = recent.per_minute.map((m) => Date.parse(m.minute));
      expect(starts.slice(1).map((t, i) => t - starts[i]!)).toEqual(Array(14).fill(60_000));
    }
    expect(annRuns.map((r) => r.status)).toEqual(['completed', 'failed', 'completed']);
    expect(nonEmpty(annRecent)).toEqual(expectedMinutes(annRuns));
    expect(nonEmpty(bobRecent)).toEqual(expectedMinutes([bobRun]));
    expect(nonEmpty(allRecent)).toEqual(expectedMinutes([...annRuns, bobRun]));

    // Nearest rank: of n sorted durations, p50 is the ceil(n/2)-th, p99 the ceil(0.99n)-th (the largest here).
    const durations = (runs: readonly Run[]) => runs.map((r) => r.duration_ms!).sort((a, b) => a - b);
    const [, a2, a3] = durations(annRuns);
    expect(annRecent.duration_ms).toEqual({ p50: a2, p99: a3 });
    expect(bobRecent.duration_ms).toEqual({ p50: bobRun.duration_ms, p99: bobRun.duration_ms });
    const all = durations([...annRuns, bobRun]);
    expect(allRecent.duration_ms).toEqual({ p50: all[1], p99: all[3] });

    await bob().POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
      params: { path: { session_id: bobSession, run_id: open.id } },
    });
  });
});

describe('GET /v1/stats?scope=all when the server has no INTERNAL_TOKEN', () => {
  const gw = useGateway({ API_KEYS, PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'ask' });

  it('is 403 for every key, and a key still gets its own stats', async () => {
    const asAnn = { Authorization: `Bearer ${ANN_KEY}` };
    expectProblem(
      await gw().call('GET', '/v1/stats?scope=all', {
        headers: { ...asAnn, 'X-Internal-Token': INTERNAL_TOKEN },
      }),
      403,
      'FORBIDDEN',
      'scope=all is disabled: the server has no INTERNAL_TOKEN',
    );
    expect((await gw().client(ANN_KEY).GET('/v1/stats')).data).toMatchObject({
      scope: 'user',
      total_sessions: 0,
    });
  });
});

describe('GET /v1/stats in open mode (no API_KEYS)', () => {
  const gw = useGateway({ PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'ask' });

  it('gives every caller the totals of every user, with or without scope=all', async () => {
    await newSession(gw().api, { user_id: 'ann' });
    await newSession(gw().api, { user_id: 'bob' });
    await newSession(gw().api);
    const totals = { scope: 'all', total_sessions: 3, active_sessions: 3 };
    expect((await gw().api.GET('/v1/stats')).data).toMatchObject(totals);
    const { data } = await gw().api.GET('/v1/stats', { params: { query: { scope: 'all' } } });
    expect(data).toMatchObject(totals);
  });
});
