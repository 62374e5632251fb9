import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  allEvents,
  expectProblem,
  newSession,
  problemFields,
  runToEnd,
  TEST_PLUGINS,
  useGateway,
} from './platform.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const tag = () => `agent-${randomUUID().slice(0, 8)}`;

describe('sessions over HTTP', () => {
  const gw = useGateway({ PLUGINS: TEST_PLUGINS, MAX_SESSIONS_PER_USER: '3' });

  it('createSession: 201 with Location, the Session as given, and a session.created event', async () => {
    const agent = tag();
    const { data, response } = await gw().api.POST('/v1/sessions', {
      body: {
        user_id: 'ann',
        agent_id: agent,
        name: 'RxJS revision',
        metadata: { course: 'rxjs', api_key: 'sk-1' },
      },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/v1/sessions/${data!.id}`);
    expect(data).toMatchObject({
      user_id: 'ann',
      agent_id: agent,
      team_id: null,
      name: 'RxJS revision',
      state: 'active',
      metadata: { course: 'rxjs', api_key: 'sk-1' },
      data: {},
      last_seq: 1,
      active_run_id: null,
      run_count: 0,
      usage: { tokens_in: 0, tokens_out: 0 },
    });
    expect(data).not.toHaveProperty('trace_parent');
    const [created] = await allEvents(gw().api, data!.id);
    expect(created).toMatchObject({ seq: 1, type: 'session.created', session_id: data!.id });
  });

  it('createSession: an empty body is enough; past the per-user cap it is 429 and nothing is created', async () => {
    const { response } = await gw().api.POST('/v1/sessions', { body: {} });
    expect(response.status).toBe(201);
    const user = `capped-${randomUUID().slice(0, 6)}`;
    for (let i = 0; i < 3; i += 1) await newSession(gw().api, { user_id: user });
    const refused = await gw().call('POST', '/v1/sessions', { json: { user_id: user } });
    expectProblem(refused, 429, 'SESSION_CAP_REACHED', `user ${user} has 3 live sessions (cap 3)`);
    const { data } = await gw().api.GET('/v1/sessions', { params: { query: { user_id: user } } });
    expect(data!.items).toHaveLength(3);
  });

  it('getSession: 200 with the session; 404 for an unknown id, 400 for a bad one', async () => {
    const id = await newSession(gw().api, { agent_id: tag() });
    const { data, response } = await gw().api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
    });
    expect(response.status).toBe(200);
    expect(data!.id).toBe(id);
    const unknown = await gw().api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: UNKNOWN } },
    });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      detail: `session ${UNKNOWN} not found`,
    });
    expectProblem(await gw().call('GET', '/v1/sessions/1234'), 400, 'INVALID_ARGUMENT');
  });

  it('listSessions: filters, newest first, pages through next_cursor without repeats', async () => {
    const agent = tag();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1)
      ids.push(await newSession(gw().api, { agent_id: agent, team_id: i % 2 ? 'odd' : 'even' }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { data, response } = await gw().api.GET('/v1/sessions', {
        params: { query: { agent_id: agent, limit: 2, ...(cursor ? { cursor } : {}) } },
      });
      expect(response.status).toBe(200);
      expect(data!.items.length).toBeLessThanOrEqual(2);
      seen.push(...data!.items.map((session) => session.id));
      cursor = data!.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const odd = await gw().api.GET('/v1/sessions', {
      params: { query: { agent_id: agent, team_id: 'odd' } },
    });
    expect(odd.data!.items.map((session) => session.id)).toEqual([ids[3], ids[1]]);
    const archived = await gw().api.GET('/v1/sessions', {
      params: { query: { agent_id: agent, state: 'archived' } },
    });
    expect(archived.data).toEqual({ items: [], next_cursor: null });
    const bad = await gw().api.GET('/v1/sessions', { params: { query: { limit: 0 } } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT', errors: [{ field: 'query.limit' }] });
  });

  it('updateSession: name, metadata (replaced), data (merged), state; a session.updated event each', async () => {
    const id = await newSession(gw().api, { agent_id: tag(), metadata: { a: 1 } });
    const path = { session_id: id };
    const first = await gw().api.PATCH('/v1/sessions/{session_id}', {
      params: { path },
      body: { name: 'renamed', metadata: { b: 2 }, data: { x: 1, y: 1 } },
    });
    expect(first.response.status).toBe(200);
    expect(first.data).toMatchObject({
      name: 'renamed',
      metadata: { b: 2 },
      data: { x: 1, y: 1 },
      last_seq: 2,
    });
    const second = await gw().api.PATCH('/v1/sessions/{session_id}', {
      params: { path },
      body: { data: { y: 2 }, name: null },
    });
    expect(second.data).toMatchObject({ name: null, metadata: { b: 2 }, data: { x: 1, y: 2 } });
    const archived = await gw().api.PATCH('/v1/sessions/{session_id}', {
      params: { path },
      body: { state: 'archived' },
    });
    expect(archived.data).toMatchObject({ state: 'archived', expires_at: null });
    const events = await allEvents(gw().api, id);
    expect(events.map((event) => event.type)).toEqual([
      'session.created',
      'session.updated',
      'session.updated',
      'session.updated',
    ]);
    // An archived session refuses runs until it is made active again.
    const refused = await gw().call('POST', `/v1/sessions/${id}/runs`, {
      json: { input: { question: 'hi' }, flow: 'ask' },
    });
    expectProblem(refused, 409, 'SESSION_ARCHIVED');
    const active = await gw().api.PATCH('/v1/sessions/{session_id}', {
      params: { path },
      body: { state: 'active' },
    });
    expect(active.data!.state).toBe('active');
  });

  it('updateSession: 400 for an empty or unknown change, 404 unknown, 409 once expired', async () => {
    const id = await newSession(gw().api, { agent_id: tag() });
    const empty = await gw().call('PATCH', `/v1/sessions/${id}`, { json: {} });
    expectProblem(empty, 400, 'INVALID_ARGUMENT', 'body must NOT have fewer than 1 properties');
    const idle = await gw().call('PATCH', `/v1/sessions/${id}`, { json: { state: 'idle' } });
    expectProblem(idle, 400, 'INVALID_ARGUMENT');
    expect(problemFields(idle)).toEqual(['body.state']);
    expectProblem(
      await gw().call('PATCH', `/v1/sessions/${UNKNOWN}`, { json: { name: 'x' } }),
      404,
      'SESSION_NOT_FOUND',
    );
    await gw().platform.runtime.sweeper.sweep({ force: true });
    const expired = await gw().call('PATCH', `/v1/sessions/${id}`, { json: { name: 'late' } });
    expectProblem(expired, 409, 'SESSION_EXPIRED', `session ${id} has expired and is read-only`);
    const { data } = await gw().api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
    });
    expect(data).toMatchObject({ state: 'expired', name: null });
  });

  it('deleteSession: 204, cancels its running run, then 404', async () => {
    const id = await newSession(gw().api, { agent_id: tag() });
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'slow', ticks: 100000, everyMs: 20 }, flow: 'tick' },
    });
    expect(run!.status).toBe('running');
    const { response } = await gw().api.DELETE('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
    });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(gw().platform.runtime.runs.activeRunId(id)).toBeUndefined();
    expectProblem(await gw().call('GET', `/v1/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
    expectProblem(await gw().call('GET', `/v1/sessions/${id}/events`), 404, 'SESSION_NOT_FOUND');
    expectProblem(await gw().call('DELETE', `/v1/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
  });

  it('deleteSessions: by agent or user, counts what went; neither filter is 400 and deletes nothing', async () => {
    const agent = tag();
    const kept = await newSession(gw().api, { agent_id: tag() });
    const doomed = [
      await newSession(gw().api, { agent_id: agent }),
      await newSession(gw().api, { agent_id: agent }),
    ];
    const run = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: doomed[0]! } },
      body: { input: { question: 'q', delayMs: 50 }, flow: 'ask' },
    });
    expect(run.response.status).toBe(202);
    const refused = await gw().call('DELETE', '/v1/sessions');
    expectProblem(refused, 400, 'INVALID_ARGUMENT', 'bulk delete needs user_id or agent_id');
    const { data, response } = await gw().api.DELETE('/v1/sessions', {
      params: { query: { agent_id: agent } },
    });
    expect(response.status).toBe(200);
    expect(data).toEqual({ deleted: 2 });
    for (const id of doomed)
      expectProblem(await gw().call('GET', `/v1/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
    expect((await gw().call('GET', `/v1/sessions/${kept}`)).status).toBe(200);
    const none = await gw().api.DELETE('/v1/sessions', { params: { query: { user_id: `nobody-${tag()}` } } });
    expect(none.data).toEqual({ deleted: 0 });
  });

  it('a session created by POST /v1/runs lists, pages and deletes like any other', async () => {
    const agent = tag();
    const { data: run } = await gw().api.POST('/v1/runs', {
      body: { input: { question: 'hello' }, flow: 'ask', agent_id: agent },
    });
    await runToEnd(gw().api, run!.session_id, run!.id);
    const { data } = await gw().api.GET('/v1/sessions', { params: { query: { agent_id: agent } } });
    expect(data!.items.map((session) => session.id)).toEqual([run!.session_id]);
    expect(data!.items[0]).toMatchObject({ run_count: 1, active_run_id: null });
  });
});
