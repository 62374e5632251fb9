import { describe, expect, it } from 'vitest';
import {
  allEvents,
  API_KEYS,
  ANN_KEY,
  expectProblem,
  INTERNAL_TOKEN,
  newSession,
  problemFields,
  TEST_PLUGINS,
  useGateway,
} from './platform.ts';
import { endRun, startLiveRun } from './live-run.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('POST /v1/progress with INTERNAL_TOKEN configured', () => {
  const gw = useGateway({ INTERNAL_TOKEN, API_KEYS, PLUGINS: TEST_PLUGINS });
  const withToken = (json: unknown, token = INTERNAL_TOKEN) =>
    gw().call('POST', '/v1/progress', { json, headers: { 'X-Internal-Token': token } });

  it('with the token: 202 with the stored progress event (meta redacted), visible in the log and the stream', async () => {
    const id = await newSession(gw().client(ANN_KEY));
    const sse = await gw().sse(`/v1/sessions/${id}/events/stream`, { Authorization: `Bearer ${ANN_KEY}` });
    const reply = await withToken({
      session_id: id,
      step: 'indexing',
      message: '40 of 120 documents indexed',
      level: 'warn',
      tool: 'rag_search',
      meta: { done: 40, total: 120, token: 'hunter2', nested: { password: 'pw' } },
    });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({
      seq: 2,
      session_id: id,
      run_id: null,
      type: 'progress',
      step: 'indexing',
      tool: 'rag_search',
      level: 'warn',
      message: '40 of 120 documents indexed',
      meta: { done: 40, total: 120, token: '[redacted]', nested: { password: '[redacted]' } },
    });
    expect(reply.text).not.toMatch(/hunter2|"pw"/);
    const streamed = await sse.until((events) => events.length === 2);
    expect(streamed[1]).toEqual(reply.body);
    sse.close();
    const api = gw().client(ANN_KEY);
    const { data } = await api.GET('/v1/sessions/{session_id}/events', {
      params: { path: { session_id: id } },
    });
    expect(data!.items.at(-1)).toEqual(reply.body);
    // level defaults to info; API keys play no part (none sent here).
    const plain = await withToken({ session_id: id, step: 's', message: 'm' });
    expect(plain.body).toMatchObject({ seq: 3, level: 'info', tool: null, meta: {} });
  });

  it('carries the id of a live run of the session; the typed client sends it with a header', async () => {
    const api = gw().client(ANN_KEY);
    const id = await newSession(api);
    const run = await startLiveRun(api, id);
    const typed = gw().client();
    const { data, response } = await typed.POST('/v1/progress', {
      body: { session_id: id, run_id: run.id, step: 'post-process', message: 'half way' },
      headers: { 'X-Internal-Token': INTERNAL_TOKEN },
    });
    expect(response.status).toBe(202);
    expect(data).toMatchObject({ run_id: run.id, step: 'post-process' });
    await endRun(api, id, run.id);
  });

  it("refuses a run id that does not exist in the session (404) or has ended (409): the terminal event stays the run's last", async () => {
    const api = gw().client(ANN_KEY);
    const id = await newSession(api);
    const other = await newSession(api);
    const foreign = await startLiveRun(api, other);
    const run = await startLiveRun(api, id);
    const progress = (runId: string) => withToken({ session_id: id, run_id: runId, step: 's', message: 'm' });
    const before = await allEvents(api, id);
    for (const runId of [UNKNOWN, foreign.id]) {
      const reply = await progress(runId);
      expectProblem(reply, 404, 'RUN_NOT_FOUND', `run ${runId} not found in session ${id}`);
      expect(problemFields(reply)).toEqual(['run_id']);
    }
    expect(await allEvents(api, id)).toEqual(before);

    await endRun(api, id, run.id);
    const late = await progress(run.id);
    expectProblem(late, 409, 'RUN_FINISHED', `run ${run.id} has ended (cancelled)`);
    expect(problemFields(late)).toEqual(['run_id']);
    const events = (await allEvents(api, id)).filter((event) => event.run_id === run.id);
    expect(events.at(-1)?.type).toBe('run.cancelled');
    // The other session's run was live all along: the refusal is about the session, not the run's state.
    await endRun(api, other, foreign.id);
  });

  it('without the token or with a wrong one: 401, nothing written', async () => {
    const id = await newSession(gw().client(ANN_KEY));
    const body = { session_id: id, step: 's', message: 'm' };
    const missing = await gw().call('POST', '/v1/progress', { json: body });
    expectProblem(missing, 401, 'UNAUTHORIZED', 'missing X-Internal-Token header');
    expectProblem(
      await withToken(body, 'wrong-token-000000000000'),
      401,
      'UNAUTHORIZED',
      'invalid X-Internal-Token',
    );
    expectProblem(
      await withToken(body, INTERNAL_TOKEN.slice(0, -1)),
      401,
      'UNAUTHORIZED',
      'invalid X-Internal-Token',
    );
    // An API key is no substitute for the token.
    const keyed = await gw().call('POST', '/v1/progress', {
      json: body,
      headers: { Authorization: `Bearer ${ANN_KEY}` },
    });
    expectProblem(keyed, 401, 'UNAUTHORIZED');
    const api = gw().client(ANN_KEY);
    const { data } = await api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } });
    expect(data!.last_seq).toBe(1);
  });

  it('refuses bad bodies (400), unknown sessions (404) and expired ones (409), writing nothing', async () => {
    const id = await newSession(gw().client(ANN_KEY));
    const cases: [unknown, string[]][] = [
      [{ session_id: id, message: 'm' }, ['body.step']],
      [{ session_id: 'nope', step: 's', message: 'm' }, ['body.session_id']],
      [{ session_id: id, step: 's', message: '' }, ['body.message']],
      [{ session_id: id, step: 's', message: 'm', level: 'fatal' }, ['body.level']],
      [{ session_id: id, step: 's', message: 'm', extra: 1 }, ['body.extra']],
    ];
    for (const [json, fields] of cases) {
      const reply = await withToken(json);
      expectProblem(reply, 400, 'INVALID_ARGUMENT');
      expect(problemFields(reply)).toEqual(fields);
    }
    const unknown = await withToken({ session_id: UNKNOWN, step: 's', message: 'm' });
    expectProblem(unknown, 404, 'SESSION_NOT_FOUND');
    await gw().platform.runtime.sweeper.sweep({ force: true });
    const before = await allEvents(gw().client(ANN_KEY), id);
    const expired = await withToken({ session_id: id, step: 's', message: 'm' });
    expectProblem(expired, 409, 'SESSION_EXPIRED', `session ${id} has expired`);
    expect(await allEvents(gw().client(ANN_KEY), id)).toEqual(before);
  });
});

describe('POST /v1/progress with no INTERNAL_TOKEN configured', () => {
  const gw = useGateway();

  it('refuses every call with 403, token or not', async () => {
    const id = await newSession(gw().api);
    const body = { session_id: id, step: 's', message: 'm' };
    for (const headers of [{}, { 'X-Internal-Token': INTERNAL_TOKEN }] as Record<string, string>[]) {
      const reply = await gw().call('POST', '/v1/progress', { json: body, headers });
      expectProblem(
        reply,
        403,
        'FORBIDDEN',
        'progress ingestion is disabled: the server has no INTERNAL_TOKEN',
      );
    }
    expect((await allEvents(gw().api, id)).map((event) => event.type)).toEqual(['session.created']);
  });
});
