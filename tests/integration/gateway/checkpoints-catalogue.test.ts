import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endRun, startLiveRun } from './live-run.ts';
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
const CHECKPOINT_KEY = 'a'.repeat(64);

describe('checkpoints over HTTP (encrypted at rest with CHECKPOINT_KEY)', () => {
  const gw = useGateway({ CHECKPOINT_KEY, PLUGINS: TEST_PLUGINS });

  it('createCheckpoint 201, listCheckpoints oldest first, getLatestCheckpoint the newest; secrets redacted', async () => {
    const id = await newSession(gw().api);
    const path = { session_id: id };
    const first = await gw().api.POST('/v1/sessions/{session_id}/checkpoints', {
      params: { path },
      body: {
        label: 'after quiz',
        state: { last_exam_id: 'exam-42', animal: 'platypus', password: 'pw', secret_key: 'sk' },
      },
    });
    expect(first.response.status).toBe(201);
    expect(first.data).toMatchObject({
      session_id: id,
      run_id: null,
      label: 'after quiz',
      state: {
        last_exam_id: 'exam-42',
        animal: 'platypus',
        password: '[redacted]',
        secret_key: '[redacted]',
      },
    });
    const second = await gw().api.POST('/v1/sessions/{session_id}/checkpoints', {
      params: { path },
      body: { state: { step: 2 } },
    });
    expect(second.data).toMatchObject({ label: null, state: { step: 2 } });
    const { data: list } = await gw().api.GET('/v1/sessions/{session_id}/checkpoints', { params: { path } });
    expect(list!.items.map((checkpoint) => checkpoint.id)).toEqual([first.data!.id, second.data!.id]);
    const { data: latest, response } = await gw().api.GET('/v1/sessions/{session_id}/checkpoints/latest', {
      params: { path },
    });
    expect(response.status).toBe(200);
    expect(latest).toEqual(second.data);
    const saved = (await allEvents(gw().api, id)).filter((event) => event.type === 'checkpoint.saved');
    expect(saved.map((event) => event.meta)).toEqual([
      { checkpoint_id: first.data!.id, label: 'after quiz', encrypted: true },
      { checkpoint_id: second.data!.id, label: null, encrypted: true },
    ]);
    // At rest the state is ciphertext: the SQLite file does not hold it in the clear.
    const db = new Database(join(gw().dir, 't.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT payload FROM checkpoints WHERE session_id = ?').all(id) as {
        payload: string;
      }[];
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.payload).not.toMatch(/platypus|exam-42|step/);
    } finally {
      db.close();
    }
  });

  it('a checkpoint may name a live run of the session, not an unknown (404) or ended (409) one', async () => {
    const id = await newSession(gw().api);
    const other = await newSession(gw().api);
    const run = await startLiveRun(gw().api, id);
    const foreign = await startLiveRun(gw().api, other);
    const save = (runId: string) =>
      gw().call('POST', `/v1/sessions/${id}/checkpoints`, {
        json: { state: { done: true }, run_id: runId, label: 'mid-run' },
      });
    const live = await save(run.id);
    expect(live.status).toBe(201);
    expect(live.body).toMatchObject({ run_id: run.id, label: 'mid-run' });

    for (const runId of [UNKNOWN, foreign.id]) {
      const reply = await save(runId);
      expectProblem(reply, 404, 'RUN_NOT_FOUND', `run ${runId} not found in session ${id}`);
      expect(problemFields(reply)).toEqual(['run_id']);
    }
    await endRun(gw().api, id, run.id);
    const late = await save(run.id);
    expectProblem(late, 409, 'RUN_FINISHED', `run ${run.id} has ended (cancelled)`);
    expect(problemFields(late)).toEqual(['run_id']);
    // Nothing was written for the refused ones: one checkpoint, and the run ends with its terminal event.
    const { data } = await gw().api.GET('/v1/sessions/{session_id}/checkpoints', {
      params: { path: { session_id: id } },
    });
    expect(data!.items.map((checkpoint) => checkpoint.run_id)).toEqual([run.id]);
    const events = (await allEvents(gw().api, id)).filter((event) => event.run_id === run.id);
    expect(events.at(-1)?.type).toBe('run.cancelled');
    await endRun(gw().api, other, foreign.id);
  });

  it('refuses: no checkpoint yet (404), unknown session (404), bad bodies (400), expired session (409)', async () => {
    const id = await newSession(gw().api);
    const none = await gw().call('GET', `/v1/sessions/${id}/checkpoints/latest`);
    expectProblem(none, 404, 'CHECKPOINT_NOT_FOUND', `session ${id} has no checkpoint`);
    expect(
      (await gw().api.GET('/v1/sessions/{session_id}/checkpoints', { params: { path: { session_id: id } } }))
        .data,
    ).toEqual({ items: [] });
    for (const [method, path] of [
      ['GET', `/v1/sessions/${UNKNOWN}/checkpoints`],
      ['GET', `/v1/sessions/${UNKNOWN}/checkpoints/latest`],
      ['POST', `/v1/sessions/${UNKNOWN}/checkpoints`],
    ] as const) {
      expectProblem(
        await gw().call(method, path, method === 'POST' ? { json: { state: {} } } : {}),
        404,
        'SESSION_NOT_FOUND',
      );
    }
    const cases: [unknown, string[]][] = [
      [{}, ['body.state']],
      [{ state: 'x' }, ['body.state']],
      [{ state: {}, label: '' }, ['body.label']],
      [{ state: {}, run_id: 'r1' }, ['body.run_id']],
      [{ state: {}, more: 1 }, ['body.more']],
    ];
    for (const [json, fields] of cases) {
      const reply = await gw().call('POST', `/v1/sessions/${id}/checkpoints`, { json });
      expectProblem(reply, 400, 'INVALID_ARGUMENT');
      expect(problemFields(reply)).toEqual(fields);
    }
    await gw().platform.runtime.sweeper.sweep({ force: true });
    const before = await allEvents(gw().api, id);
    const expired = await gw().call('POST', `/v1/sessions/${id}/checkpoints`, {
      json: { state: { late: true } },
    });
    expectProblem(expired, 409, 'SESSION_EXPIRED');
    expect(await allEvents(gw().api, id)).toEqual(before);
    // Reading what an expired session kept still works.
    expect((await gw().call('GET', `/v1/sessions/${id}/checkpoints`)).status).toBe(200);
  });
});

describe('catalogue and stats', () => {
  const gw = useGateway();

  it('listTools: every built-in tool with its JSON Schemas, sorted by name', async () => {
    const { data, response } = await gw().api.GET('/v1/tools');
    expect(response.status).toBe(200);
    const names = data!.items.map((tool) => tool.name);
    expect(names).toEqual(['compose_answer', 'generate_exam', 'grade_exam', 'planner', 'rag_search']);
    const rag = data!.items.find((tool) => tool.name === 'rag_search')!;
    expect(rag.input).toMatchObject({ type: 'object', required: expect.arrayContaining(['query']) });
    expect(rag.output).toMatchObject({ type: 'object' });
  });

  it('listFlows: quiz, answer and grade with their input schemas and the tools they call', async () => {
    const { data, response } = await gw().api.GET('/v1/flows');
    expect(response.status).toBe(200);
    expect(data!.items.map((flow) => flow.name)).toEqual(['answer', 'auto', 'grade', 'quiz']);
    const quiz = data!.items.find((flow) => flow.name === 'quiz')!;
    expect(quiz).toMatchObject({ version: '1.0.0', tools: ['planner', 'rag_search', 'generate_exam'] });
    expect(quiz.input).toMatchObject({ required: ['question'] });
  });

  it('getStats: counts sessions by state and runs by status', async () => {
    const before = (await gw().api.GET('/v1/stats')).data!;
    const id = await newSession(gw().api);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'What does switchMap do?' }, flow: 'answer' },
    });
    await runToEnd(gw().api, id, run!.id);
    const { data: after, response } = await gw().api.GET('/v1/stats');
    expect(response.status).toBe(200);
    expect(after!.total_sessions).toBe(before.total_sessions + 1);
    expect(after!.active_sessions).toBe(before.active_sessions + 1);
    expect(after!.runs_by_status.completed).toBe(before.runs_by_status.completed + 1);
    expect(after).toMatchObject({ queue_depth: 0, running_runs: 0 });
    expectProblem(await gw().call('POST', '/v1/stats'), 405, 'METHOD_NOT_ALLOWED');
  });

  it('health: GET /healthz 200; /readyz names the store', async () => {
    expect((await gw().api.GET('/healthz')).data).toEqual({ status: 'ok' });
    expect((await gw().api.GET('/readyz')).data).toEqual({ status: 'ready', store: 'sqlite' });
    const spec = await gw().api.GET('/openapi.json');
    expect(spec.data).toMatchObject({ openapi: '3.1.0', info: { title: 'Tributary' } });
  });
});
