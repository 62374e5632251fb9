import { describe, expect, it } from 'vitest';
import {
  allEvents,
  ANN_KEY,
  API_KEYS,
  BOB_KEY,
  expectProblem,
  newSession,
  runToEnd,
  TEST_PLUGINS,
  useGateway,
} from './platform.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('API keys and ownership between two users', () => {
  const gw = useGateway({ API_KEYS, PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'ask' });
  const ann = () => gw().client(ANN_KEY);
  const bob = () => gw().client(BOB_KEY);
  const asBob = { Authorization: `Bearer ${BOB_KEY}` };

  it('every /v1 operation needs a key: 401 when missing or wrong, with nothing written', async () => {
    const id = await newSession(ann());
    const before = (await ann().GET('/v1/stats')).data!.total_sessions;
    const calls: [string, string, unknown?][] = [
      ['POST', '/v1/sessions', {}],
      ['GET', '/v1/sessions'],
      ['DELETE', '/v1/sessions?user_id=ann'],
      ['GET', `/v1/sessions/${id}`],
      ['PATCH', `/v1/sessions/${id}`, { name: 'x' }],
      ['DELETE', `/v1/sessions/${id}`],
      ['POST', `/v1/sessions/${id}/runs`, { input: { question: 'q' } }],
      ['GET', `/v1/sessions/${id}/runs`],
      ['GET', `/v1/sessions/${id}/runs/${UNKNOWN}`],
      ['POST', `/v1/sessions/${id}/runs/${UNKNOWN}/cancel`],
      ['POST', `/v1/sessions/${id}/runs/${UNKNOWN}/approvals/${UNKNOWN}`, { approve: true }],
      ['POST', '/v1/runs', { input: { question: 'q' } }],
      ['GET', `/v1/sessions/${id}/events`],
      ['GET', `/v1/sessions/${id}/events/stream`],
      ['GET', `/v1/sessions/${id}/messages`],
      ['GET', `/v1/sessions/${id}/checkpoints`],
      ['POST', `/v1/sessions/${id}/checkpoints`, { state: {} }],
      ['GET', `/v1/sessions/${id}/checkpoints/latest`],
      ['GET', '/v1/tools'],
      ['GET', '/v1/flows'],
      ['GET', '/v1/stats'],
    ];
    for (const [method, path, json] of calls) {
      const missing = await gw().call(method, path, { json });
      expectProblem(
        missing,
        401,
        'UNAUTHORIZED',
        'missing API key: send Authorization: Bearer <key> or X-API-Key: <key>',
      );
      const wrong = await gw().call(method, path, {
        json,
        headers: { Authorization: 'Bearer not-a-real-key' },
      });
      expectProblem(wrong, 401, 'UNAUTHORIZED', 'invalid API key');
    }
    const almost = await gw().call('GET', '/v1/sessions', { headers: { 'X-API-Key': `${ANN_KEY}x` } });
    expectProblem(almost, 401, 'UNAUTHORIZED', 'invalid API key');
    const basic = await gw().call('GET', '/v1/sessions', { headers: { Authorization: `Basic ${ANN_KEY}` } });
    expectProblem(basic, 401, 'UNAUTHORIZED', /^missing API key/);
    expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="tributary"');
    expect((await ann().GET('/v1/stats')).data!.total_sessions).toBe(before);
    expect((await allEvents(ann(), id)).map((event) => event.type)).toEqual(['session.created']);
  });

  it('a key works as Bearer or X-API-Key; health, readiness, the spec and the docs need none', async () => {
    expect(
      (await gw().call('GET', '/v1/sessions', { headers: { Authorization: `bearer ${ANN_KEY}` } })).status,
    ).toBe(200);
    expect((await gw().call('GET', '/v1/sessions', { headers: { 'X-API-Key': ANN_KEY } })).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs'])
      expect((await gw().call('GET', path)).status).toBe(200);
  });

  it("a user's sessions are theirs: created and listed as their user, naming another is 403", async () => {
    const { data: created } = await ann().POST('/v1/sessions', { body: { agent_id: 'mine' } });
    expect(created!.user_id).toBe('ann');
    const own = await ann().POST('/v1/sessions', { body: { user_id: 'ann' } });
    expect(own.response.status).toBe(201);
    const forged = await gw().call('POST', '/v1/sessions', { json: { user_id: 'ann' }, headers: asBob });
    expectProblem(forged, 403, 'FORBIDDEN', 'body.user_id must be your own user (bob)');
    const bobs = await newSession(bob());
    const { data: annList } = await ann().GET('/v1/sessions', { params: { query: { limit: 1000 } } });
    expect(annList!.items.every((session) => session.user_id === 'ann')).toBe(true);
    expect(annList!.items.map((session) => session.id)).not.toContain(bobs);
    expectProblem(await gw().call('GET', '/v1/sessions?user_id=ann', { headers: asBob }), 403, 'FORBIDDEN');
    // A run created with no session goes into a new session of the caller.
    const { data: run } = await bob().POST('/v1/runs', { body: { input: { question: 'q' } } });
    const { data: session } = await bob().GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: run!.session_id } },
    });
    expect(session!.user_id).toBe('bob');
    const forgedRun = await gw().call('POST', '/v1/runs', {
      json: { input: { question: 'q' }, user_id: 'ann' },
      headers: asBob,
    });
    expectProblem(forgedRun, 403, 'FORBIDDEN', 'body.user_id must be your own user (bob)');
  });

  it("another user's session is 404 for every operation on it, and nothing changes", async () => {
    const id = await newSession(ann(), { name: 'ann only' });
    const { data: run } = await ann().POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'q' } },
    });
    await runToEnd(ann(), id, run!.id);
    await ann().POST('/v1/sessions/{session_id}/checkpoints', {
      params: { path: { session_id: id } },
      body: { state: { a: 1 } },
    });
    const before = await allEvents(ann(), id);
    const calls: [string, string, unknown?][] = [
      ['GET', `/v1/sessions/${id}`],
      ['PATCH', `/v1/sessions/${id}`, { name: 'bob was here' }],
      ['DELETE', `/v1/sessions/${id}`],
      ['POST', `/v1/sessions/${id}/runs`, { input: { question: 'q' } }],
      ['POST', '/v1/runs', { session_id: id, input: { question: 'q' } }],
      ['GET', `/v1/sessions/${id}/runs`],
      ['GET', `/v1/sessions/${id}/runs/${run!.id}`],
      ['POST', `/v1/sessions/${id}/runs/${run!.id}/cancel`],
      ['POST', `/v1/sessions/${id}/runs/${run!.id}/approvals/${UNKNOWN}`, { approve: true }],
      ['GET', `/v1/sessions/${id}/events`],
      ['GET', `/v1/sessions/${id}/events/stream`],
      ['GET', `/v1/sessions/${id}/messages`],
      ['GET', `/v1/sessions/${id}/checkpoints`],
      ['POST', `/v1/sessions/${id}/checkpoints`, { state: { b: 2 } }],
      ['GET', `/v1/sessions/${id}/checkpoints/latest`],
    ];
    for (const [method, path, json] of calls) {
      const reply = await gw().call(method, path, { json, headers: asBob });
      // As if it did not exist: the reply does not even tell bob the session is someone else's.
      expectProblem(reply, 404, 'SESSION_NOT_FOUND', `session ${id} not found`);
    }
    const { data: session } = await ann().GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
    });
    expect(session).toMatchObject({ name: 'ann only', run_count: 1, state: 'active' });
    expect(await allEvents(ann(), id)).toEqual(before);
    const { data: checkpoints } = await ann().GET('/v1/sessions/{session_id}/checkpoints', {
      params: { path: { session_id: id } },
    });
    expect(checkpoints!.items).toHaveLength(1);
  });

  it("bulk delete only ever deletes the caller's sessions; with no filter it is 400", async () => {
    const annId = await newSession(ann(), { agent_id: 'shared-agent' });
    const bobId = await newSession(bob(), { agent_id: 'shared-agent' });
    expectProblem(
      await gw().call('DELETE', '/v1/sessions', { headers: asBob }),
      400,
      'INVALID_ARGUMENT',
      'bulk delete needs user_id or agent_id',
    );
    expectProblem(
      await gw().call('DELETE', '/v1/sessions?user_id=ann', { headers: asBob }),
      403,
      'FORBIDDEN',
    );
    const { data } = await bob().DELETE('/v1/sessions', { params: { query: { agent_id: 'shared-agent' } } });
    expect(data).toEqual({ deleted: 1 });
    expect(
      (await bob().GET('/v1/sessions/{session_id}', { params: { path: { session_id: bobId } } })).response
        .status,
    ).toBe(404);
    expect(
      (await ann().GET('/v1/sessions/{session_id}', { params: { path: { session_id: annId } } })).response
        .status,
    ).toBe(200);
  });
});
