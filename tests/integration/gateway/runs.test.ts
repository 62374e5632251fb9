import { afterEach, describe, expect, it } from 'vitest';
import { isFinished } from '../../../core/index.ts';
import {
  allEvents,
  eventWhere,
  expectProblem,
  newSession,
  problemFields,
  runToEnd,
  TEST_PLUGINS,
  useGateway,
  type Gateway,
} from './platform.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
/** A run of the `tick` flow: a step every 20 ms until cancelled. */
const ticking = { input: { question: 'tick', everyMs: 20 }, flow: 'tick' } as const;

/** Cancels whatever still runs, so each test starts with every slot free. */
async function cancelAll(gw: Gateway): Promise<void> {
  const { data } = await gw.api.GET('/v1/sessions', { params: { query: { limit: 1000 } } });
  for (const session of data?.items ?? []) {
    const runs = await gw.api.GET('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: session.id } },
    });
    for (const run of runs.data?.items ?? []) {
      if (isFinished(run.status)) continue;
      await gw.api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
        params: { path: { session_id: session.id, run_id: run.id } },
      });
    }
  }
}

describe('runs over HTTP', () => {
  const gw = useGateway({ PLUGINS: TEST_PLUGINS, CONCURRENCY_LIMIT: '2', DEFAULT_FLOW: 'ask' });
  afterEach(() => cancelAll(gw()));

  it('createRun: 202 running, then completed with its result, timings, messages and events', async () => {
    const id = await newSession(gw().api);
    const { data: run, response } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'what is mergeMap?', delayMs: 30 } },
    });
    expect(response.status).toBe(202);
    expect(run).toMatchObject({
      session_id: id,
      flow: 'ask',
      status: 'running',
      multitask: 'enqueue',
      result: null,
    });
    const done = await runToEnd(gw().api, id, run!.id);
    expect(done).toMatchObject({
      status: 'completed',
      result: { answer: 'answer to what is mergeMap?' },
      error: null,
    });
    expect(done.duration_ms).toBeGreaterThanOrEqual(30);
    const { data: list } = await gw().api.GET('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
    });
    expect(list!.items.map((item) => item.id)).toEqual([run!.id]);
    const { data: messages } = await gw().api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: id } },
    });
    expect(messages!.items.map((message) => [message.role, message.content])).toEqual([
      ['user', 'what is mergeMap?'],
      ['assistant', 'answer to what is mergeMap?'],
    ]);
    const types = (await allEvents(gw().api, id))
      .filter((event) => event.run_id === run!.id)
      .map((event) => event.type);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.completed');
    const session = await gw().api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } });
    expect(session.data).toMatchObject({
      run_count: 1,
      active_run_id: null,
      data: { last_answer: 'answer to what is mergeMap?' },
    });
  });

  it('createRun: refused input changes nothing (no run, no event, no message)', async () => {
    const id = await newSession(gw().api);
    const before = (await gw().api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } }))
      .data!;
    const invalid = await gw().call('POST', `/v1/sessions/${id}/runs`, {
      json: { input: { question: 'q', num_questions: 99 }, flow: 'quiz' },
    });
    expectProblem(invalid, 400, 'INVALID_ARGUMENT', 'input.num_questions must be <= 20');
    expect(problemFields(invalid)).toEqual(['input.num_questions']);
    const unknownFlow = await gw().call('POST', `/v1/sessions/${id}/runs`, {
      json: { input: { question: 'q' }, flow: 'nope' },
    });
    expectProblem(unknownFlow, 404, 'FLOW_NOT_FOUND');
    const badTrace = await gw().call('POST', `/v1/sessions/${id}/runs`, {
      json: { input: { question: 'q' } },
      headers: { traceparent: 'not-a-traceparent' },
    });
    expectProblem(badTrace, 400, 'INVALID_ARGUMENT');
    expect(problemFields(badTrace)).toEqual(['headers.traceparent']);
    expectProblem(
      await gw().call('POST', `/v1/sessions/${UNKNOWN}/runs`, { json: { input: { question: 'q' } } }),
      404,
      'SESSION_NOT_FOUND',
    );
    const after = (await gw().api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } }))
      .data!;
    expect(after).toEqual(before);
    expect(
      (await gw().api.GET('/v1/sessions/{session_id}/runs', { params: { path: { session_id: id } } })).data,
    ).toEqual({ items: [] });
    const { data: messages } = await gw().api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: id } },
    });
    expect(messages).toEqual({ items: [] });
  });

  it('createRun: a W3C traceparent is accepted', async () => {
    const id = await newSession(gw().api);
    const { response, data } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: {
        path: { session_id: id },
        header: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      },
      body: { input: { question: 'traced' } },
    });
    expect(response.status).toBe(202);
    expect((await runToEnd(gw().api, id, data!.id)).status).toBe('completed');
  });

  it('past CONCURRENCY_LIMIT a run is 202 queued with a run.queued event, and starts when a slot frees', async () => {
    const busy = [await newSession(gw().api), await newSession(gw().api)];
    const running = [];
    for (const id of busy) {
      const { data } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
        params: { path: { session_id: id } },
        body: ticking,
      });
      expect(data!.status).toBe('running');
      running.push(data!);
    }
    const waiting = await newSession(gw().api);
    const { data: queued, response } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: waiting } },
      body: { input: { question: 'after the others' } },
    });
    expect(response.status).toBe(202);
    expect(queued!.status).toBe('queued');
    const event = await eventWhere(gw().api, waiting, (e) => e.type === 'run.queued');
    expect(event).toMatchObject({ run_id: queued!.id, meta: { position: 1 } });
    const stats = await gw().api.GET('/v1/stats');
    expect(stats.data).toMatchObject({ queue_depth: 1, running_runs: 2 });
    const first = running[0]!;
    await gw().api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
      params: { path: { session_id: first.session_id, run_id: first.id } },
    });
    expect((await runToEnd(gw().api, waiting, queued!.id)).status).toBe('completed');
  });

  it('multitask: reject is 409 SESSION_BUSY, enqueue waits, interrupt cancels the active run', async () => {
    const id = await newSession(gw().api);
    const path = { session_id: id };
    const { data: active } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path },
      body: ticking,
    });
    const rejected = await gw().call('POST', `/v1/sessions/${id}/runs`, {
      json: { input: { question: 'q' }, multitask: 'reject' },
    });
    expectProblem(rejected, 409, 'SESSION_BUSY');
    const { data: enqueued } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path },
      body: { input: { question: 'next' }, multitask: 'enqueue' },
    });
    expect(enqueued!.status).toBe('queued');
    const { data: interrupting } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path },
      body: { input: { question: 'now' }, multitask: 'interrupt' },
    });
    expect((await runToEnd(gw().api, id, active!.id)).status).toBe('cancelled');
    expect((await runToEnd(gw().api, id, interrupting!.id)).status).toBe('completed');
    expect((await runToEnd(gw().api, id, enqueued!.id)).status).toBe('completed');
    const { data: runs } = await gw().api.GET('/v1/sessions/{session_id}/runs', { params: { path } });
    expect(runs!.items.map((run) => run.id)).toEqual([active!.id, enqueued!.id, interrupting!.id]);
  });

  it('cancelRun: 202 and the run ends with run.cancelled; 409 once finished; 404 for an unknown run', async () => {
    const id = await newSession(gw().api);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: ticking,
    });
    await eventWhere(gw().api, id, (event) => event.step === 'tick_2');
    const cancel = await gw().api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
      params: { path: { session_id: id, run_id: run!.id } },
    });
    expect(cancel.response.status).toBe(202);
    expect(cancel.data).toMatchObject({ id: run!.id, status: 'cancelled', error: { code: 'RUN_CANCELLED' } });
    const events = (await allEvents(gw().api, id)).filter((event) => event.run_id === run!.id);
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled' });
    expect(events.filter((event) => event.type === 'run.cancelled')).toHaveLength(1);
    const again = await gw().call('POST', `/v1/sessions/${id}/runs/${run!.id}/cancel`);
    expectProblem(again, 409, 'RUN_FINISHED', `run ${run!.id} already cancelled`);
    expectProblem(await gw().call('POST', `/v1/sessions/${id}/runs/${UNKNOWN}/cancel`), 404, 'RUN_NOT_FOUND');
    expectProblem(await gw().call('POST', `/v1/sessions/${id}/runs/nope/cancel`), 400, 'INVALID_ARGUMENT');
  });

  it('getRun / listRuns: 404 for a run of another session or an unknown session', async () => {
    const id = await newSession(gw().api);
    const other = await newSession(gw().api);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'q' } },
    });
    await runToEnd(gw().api, id, run!.id);
    expectProblem(await gw().call('GET', `/v1/sessions/${other}/runs/${run!.id}`), 404, 'RUN_NOT_FOUND');
    expectProblem(await gw().call('GET', `/v1/sessions/${UNKNOWN}/runs`), 404, 'SESSION_NOT_FOUND');
    expectProblem(
      await gw().call('GET', `/v1/sessions/${UNKNOWN}/runs/${run!.id}`),
      404,
      'SESSION_NOT_FOUND',
    );
  });

  it('createRunAnywhere: makes a session when none is named, uses the one named, 404 for an unknown one', async () => {
    const made = await gw().api.POST('/v1/runs', {
      body: { input: { question: 'q' }, user_id: 'ann', agent_id: 'ask' },
    });
    expect(made.response.status).toBe(202);
    const session = await gw().api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: made.data!.session_id } },
    });
    expect(session.data).toMatchObject({ user_id: 'ann', agent_id: 'ask', run_count: 1 });
    expect(made.data!.flow).toBe('ask');
    const id = await newSession(gw().api);
    const named = await gw().api.POST('/v1/runs', { body: { session_id: id, input: { question: 'q' } } });
    expect(named.data!.session_id).toBe(id);
    const before = (await gw().api.GET('/v1/stats')).data!.total_sessions;
    const unknown = await gw().call('POST', '/v1/runs', {
      json: { session_id: UNKNOWN, input: { question: 'q' } },
    });
    expectProblem(unknown, 404, 'SESSION_NOT_FOUND');
    const invalid = await gw().call('POST', '/v1/runs', { json: { input: { question: '' } } });
    expectProblem(invalid, 400, 'INVALID_ARGUMENT');
    expect(problemFields(invalid)).toEqual(['body.input.question']);
    expect((await gw().api.GET('/v1/stats')).data!.total_sessions).toBe(before);
  });

  it('resolveApproval: approving lets the paused run go on', async () => {
    const id = await newSession(gw().api);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'publish me', publish: true } },
    });
    const requested = await eventWhere(gw().api, id, (event) => event.type === 'approval.requested');
    const approvalId = String(requested.meta.approval_id);
    expect(
      (
        await gw().api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
          params: { path: { session_id: id, run_id: run!.id } },
        })
      ).data!.status,
    ).toBe('running');
    const { data, response } = await gw().api.POST(
      '/v1/sessions/{session_id}/runs/{run_id}/approvals/{approval_id}',
      {
        params: { path: { session_id: id, run_id: run!.id, approval_id: approvalId } },
        body: { approve: true },
      },
    );
    expect(response.status).toBe(200);
    expect(data!.id).toBe(run!.id);
    expect((await runToEnd(gw().api, id, run!.id)).status).toBe('completed');
    const events = await allEvents(gw().api, id);
    expect(events.find((event) => event.type === 'approval.resolved')).toMatchObject({
      meta: { approval_id: approvalId, approved: true },
    });
    expect(events.some((event) => event.step === 'published')).toBe(true);
    // Answered once: a second answer finds nothing pending.
    const again = await gw().call('POST', `/v1/sessions/${id}/runs/${run!.id}/approvals/${approvalId}`, {
      json: { approve: true },
    });
    expectProblem(again, 404, 'APPROVAL_NOT_FOUND');
  });

  it('resolveApproval: rejecting fails the run; bad bodies are 400 and unknown approvals 404', async () => {
    const id = await newSession(gw().api);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'publish me', publish: true } },
    });
    const requested = await eventWhere(gw().api, id, (event) => event.type === 'approval.requested');
    const path = `/v1/sessions/${id}/runs/${run!.id}/approvals/${String(requested.meta.approval_id)}`;
    const invalid = await gw().call('POST', path, { json: { approve: 'yes' } });
    expectProblem(invalid, 400, 'INVALID_ARGUMENT');
    expect(problemFields(invalid)).toEqual(['body.approve']);
    expectProblem(
      await gw().call('POST', `/v1/sessions/${id}/runs/${run!.id}/approvals/${UNKNOWN}`, {
        json: { approve: true },
      }),
      404,
      'APPROVAL_NOT_FOUND',
    );
    const rejected = await gw().call('POST', path, { json: { approve: false } });
    expect(rejected.status).toBe(200);
    const done = await runToEnd(gw().api, id, run!.id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_REJECTED' } });
  });
});
