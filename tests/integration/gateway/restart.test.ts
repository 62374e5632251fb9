import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allEvents,
  INTERNAL_TOKEN,
  newSession,
  runToEnd,
  startGateway,
  TEST_PLUGINS,
  type Gateway,
} from './platform.ts';

const ENV = { INTERNAL_TOKEN, PLUGINS: TEST_PLUGINS };

describe('restarting the gateway on the same SQLite file', () => {
  const open: Gateway[] = [];
  afterEach(async () => {
    for (const gw of open.splice(0)) await gw.close();
    // Both gateways share one folder; it goes once both are closed.
    rmSync(dir, { recursive: true, force: true });
  });
  let dir = '';

  async function first(): Promise<Gateway> {
    const gw = await startGateway(ENV, { keepDir: true });
    dir = gw.dir;
    return gw;
  }

  it('keeps sessions, runs, events, messages and checkpoints; seq goes on after the last one', async () => {
    const a = await first();
    const id = await newSession(a.api, { user_id: 'ann', agent_id: 'quiz', metadata: { course: 'rxjs' } });
    const { data: run } = await a.api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'Quiz me on mergeMap concurrency', num_questions: 2 } },
    });
    await runToEnd(a.api, id, run!.id);
    await a.api.POST('/v1/sessions/{session_id}/checkpoints', {
      params: { path: { session_id: id } },
      body: { state: { step: 2 }, label: 'mid' },
    });
    const before = {
      session: (await a.api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } })).data,
      runs: (await a.api.GET('/v1/sessions/{session_id}/runs', { params: { path: { session_id: id } } }))
        .data,
      events: await allEvents(a.api, id),
      messages: (
        await a.api.GET('/v1/sessions/{session_id}/messages', { params: { path: { session_id: id } } })
      ).data,
      checkpoints: (
        await a.api.GET('/v1/sessions/{session_id}/checkpoints', { params: { path: { session_id: id } } })
      ).data,
    };
    // A stream open at shutdown ends with the gateway.
    const sse = await a.sse(`/v1/sessions/${id}/events/stream`, {
      'Last-Event-ID': String(before.events.length),
    });
    await a.close();
    await sse.finished();

    const b = await startGateway(ENV, { dir, keepDir: true });
    open.push(b);
    expect(b.url).not.toBe('');
    expect(
      (await b.api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } })).data,
    ).toEqual(before.session);
    expect(
      (await b.api.GET('/v1/sessions/{session_id}/runs', { params: { path: { session_id: id } } })).data,
    ).toEqual(before.runs);
    expect(await allEvents(b.api, id)).toEqual(before.events);
    expect(
      (await b.api.GET('/v1/sessions/{session_id}/messages', { params: { path: { session_id: id } } })).data,
    ).toEqual(before.messages);
    expect(
      (await b.api.GET('/v1/sessions/{session_id}/checkpoints', { params: { path: { session_id: id } } }))
        .data,
    ).toEqual(before.checkpoints);
    const { data: listed } = await b.api.GET('/v1/sessions', { params: { query: { user_id: 'ann' } } });
    expect(listed!.items.map((session) => session.id)).toEqual([id]);

    // Resuming the stream on the new process: the last two stored events, then live ones, no gap.
    const n = before.events.length;
    const resumed = await b.sse(`/v1/sessions/${id}/events/stream`, { 'Last-Event-ID': String(n - 2) });
    await resumed.until((events) => events.length === 2);
    const progress = await b.call('POST', '/v1/progress', {
      json: { session_id: id, step: 'after-restart', message: 'still here' },
      headers: { 'X-Internal-Token': INTERNAL_TOKEN },
    });
    expect((progress.body as { seq: number }).seq).toBe(n + 1);
    const { data: again } = await b.api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'Quiz me on socket.io rooms', num_questions: 1 } },
    });
    await runToEnd(b.api, id, again!.id);
    const all = await allEvents(b.api, id);
    expect(all.map((event) => event.seq)).toEqual(all.map((_, i) => i + 1));
    const streamed = await resumed.until((events) => events.at(-1)?.type === 'run.completed');
    expect(streamed).toEqual(all.slice(n - 2));
    resumed.close();
    const session = (await b.api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } }))
      .data!;
    expect(session).toMatchObject({ run_count: 2, last_seq: all.length, active_run_id: null });
  });

  it('a run still going at shutdown is cancelled and stored as such; the next gateway sees it ended', async () => {
    const a = await first();
    const id = await newSession(a.api);
    const { data: run } = await a.api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'forever', everyMs: 10 }, flow: 'tick' },
    });
    await a.close();

    const b = await startGateway(ENV, { dir, keepDir: true });
    open.push(b);
    const { data } = await b.api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
      params: { path: { session_id: id, run_id: run!.id } },
    });
    expect(data!.status).toBe('cancelled');
    const events = await allEvents(b.api, id);
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', run_id: run!.id });
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(
      (await b.api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } })).data!
        .active_run_id,
    ).toBeNull();
  });
});
