import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import {
  allEvents,
  expectProblem,
  newSession,
  problemFields,
  runToEnd,
  sleep,
  TEST_PLUGINS,
  useDemoBackends,
  useGateway,
  type Gateway,
} from './platform.ts';
import type { SseStream } from './sse.ts';

const QUESTION = 'Quiz me on mergeMap concurrency';
const isEnd = (events: SessionEvent[]) =>
  events.some((event) => /^run\.(completed|failed|cancelled)$/.test(event.type));
const seqs = (events: SessionEvent[]) => events.map((event) => event.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function settleSubscribers(gw: Gateway, sessionId: string | undefined, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (gw.platform.runtime.events.subscriberCount(sessionId) !== count) {
    if (Date.now() > deadline) {
      throw new Error(
        `subscribers: ${gw.platform.runtime.events.subscriberCount(sessionId)}, expected ${count}`,
      );
    }
    await sleep(10);
  }
}

/** The status a stream request gets; a stream that opens (200) is closed at once instead of read. */
async function streamStatus(
  gw: Gateway,
  path: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const controller = new AbortController();
  const response = await fetch(`${gw.url}${path}`, {
    headers: { Accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  controller.abort();
  return response.status;
}

describe('events: paged, streamed (SSE), resumed', () => {
  // Slow backends: each tool call of the quiz takes 150 ms, so its events arrive over time.
  const demo = useDemoBackends({ latencyMs: 150 });
  const gw = useGateway(() => ({ PLUGINS: TEST_PLUGINS, RAG_URL: demo().ragUrl, EXAM_URL: demo().examUrl }));
  const stream = (id: string, headers?: Record<string, string>, query = '') =>
    gw().sse(`/v1/sessions/${id}/events/stream${query}`, headers);

  it('streams the events live while a quiz runs: id = seq, event: session_event, nothing missing', async () => {
    const id = await newSession(gw().api, { agent_id: 'quiz' });
    const sse = await stream(id);
    expect(sse.response.status).toBe(200);
    expect(sse.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(sse.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    await sse.until((events) => events.length === 1);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: QUESTION } },
    });
    await sse.until((events) => events.some((event) => event.step === 'start_retrieval'));
    // Seen while the run is still going: streamed live, not replayed afterwards.
    const midway = await gw().api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
      params: { path: { session_id: id, run_id: run!.id } },
    });
    expect(midway.data!.status).toBe('running');
    const events = await sse.until(isEnd);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', run_id: run!.id });
    const stored = await allEvents(gw().api, id);
    expect(events).toEqual(stored);
    expect(seqs(events)).toEqual(range(1, stored.length));
    const frames = sse.frames.filter((frame) => frame.data !== undefined);
    expect(frames.every((frame, i) => frame.id === String(i + 1) && frame.event === 'session_event')).toBe(
      true,
    );
    sse.close();
    await settleSubscribers(gw(), id, 0);
  });

  it('resumes with Last-Event-ID mid-run: exactly n+1… with no gap and no duplicate', async () => {
    const id = await newSession(gw().api);
    const first = await stream(id);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'tick', ticks: 50, everyMs: 20 }, flow: 'tick' },
    });
    const head = await first.until((events) => events.length >= 6);
    first.close();
    await settleSubscribers(gw(), id, 0);
    const n = head.at(-1)!.seq;
    const meanwhile = await gw().api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
      params: { path: { session_id: id, run_id: run!.id } },
    });
    expect(meanwhile.data!.status).toBe('running');
    const resumed = await stream(id, { 'Last-Event-ID': String(n) });
    const tail = await resumed.until(isEnd);
    resumed.close();
    expect(tail[0]!.seq).toBe(n + 1);
    const all = [...head, ...tail];
    expect(seqs(all)).toEqual(range(1, all.length));
    expect(all).toEqual(await allEvents(gw().api, id));
    expect(all.filter((event) => event.run_id === run!.id && event.type === 'step')).toHaveLength(50);
  });

  it('Last-Event-ID wins over ?after=; ?after= alone resumes too; a bad Last-Event-ID is 400', async () => {
    const id = await newSession(gw().api);
    for (let i = 0; i < 4; i += 1) {
      await gw().api.PATCH('/v1/sessions/{session_id}', {
        params: { path: { session_id: id } },
        body: { data: { i } },
      });
    }
    const byHeader = await stream(id, { 'Last-Event-ID': '3' }, '?after=1');
    expect(seqs(await byHeader.until((events) => events.length === 2))).toEqual([4, 5]);
    const byQuery = await stream(id, {}, '?after=1');
    expect(seqs(await byQuery.until((events) => events.length === 4))).toEqual([2, 3, 4, 5]);
    const caughtUp = await stream(id, { 'Last-Event-ID': '5' });
    await caughtUp.waitFor(() => caughtUp.heartbeats >= 2, 2000, 'heartbeats');
    expect(caughtUp.events).toEqual([]);
    for (const s of [byHeader, byQuery, caughtUp]) s.close();
    const bad = await gw().call('GET', `/v1/sessions/${id}/events/stream`, {
      headers: { 'Last-Event-ID': 'abc' },
    });
    expectProblem(bad, 400, 'INVALID_ARGUMENT');
    expect(problemFields(bad)).toEqual(['headers.Last-Event-ID']);
    const negative = await gw().call('GET', `/v1/sessions/${id}/events/stream?after=-2`);
    expectProblem(negative, 400, 'INVALID_ARGUMENT');
    await settleSubscribers(gw(), id, 0);
  });

  it('a cursor past the last event is 400 INVALID_CURSOR naming its field, before any stream, as over REST and Socket.IO', async () => {
    const id = await newSession(gw().api);
    await gw().api.PATCH('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
      body: { data: { n: 1 } },
    });
    const path = `/v1/sessions/${id}/events/stream`;
    // Before the fix these opened a 200 stream that waited in silence: fail on the status, not a hang.
    expect(await streamStatus(gw(), path, { 'Last-Event-ID': '3' })).toBe(400);
    const byHeader = await gw().call('GET', path, { headers: { 'Last-Event-ID': '3' } });
    expectProblem(
      byHeader,
      400,
      'INVALID_CURSOR',
      `Last-Event-ID 3 is past the last event of session ${id} (seq 2)`,
    );
    expect(problemFields(byHeader)).toEqual(['headers.Last-Event-ID']);
    expect(await streamStatus(gw(), `${path}?after=7`)).toBe(400);
    const byQuery = await gw().call('GET', `${path}?after=7`);
    expectProblem(byQuery, 400, 'INVALID_CURSOR', `after 7 is past the last event of session ${id} (seq 2)`);
    expect(problemFields(byQuery)).toEqual(['query.after']);
    // Only the cursor in use counts: Last-Event-ID wins over after, for the refusal too.
    expect(await streamStatus(gw(), `${path}?after=1`, { 'Last-Event-ID': '9' })).toBe(400);
    const headerWins = await stream(id, { 'Last-Event-ID': '1' }, '?after=9');
    expect(seqs(await headerWins.until((events) => events.length === 1))).toEqual([2]);
    // A cursor at the last event is a reader that is caught up: it waits for the next one.
    const caughtUp = await stream(id, {}, '?after=2');
    await gw().api.PATCH('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
      body: { data: { n: 2 } },
    });
    expect(seqs(await caughtUp.until((events) => events.length === 1))).toEqual([3]);
    for (const s of [headerWins, caughtUp]) s.close();
    // The same rule on the paged log.
    const paged = await gw().call('GET', `/v1/sessions/${id}/events?after=4`);
    expectProblem(paged, 400, 'INVALID_CURSOR', `after 4 is past the last event of session ${id} (seq 3)`);
    expect(problemFields(paged)).toEqual(['query.after']);
    await settleSubscribers(gw(), id, 0);
  });

  it('sends a heartbeat comment every heartbeatMs on an idle stream', async () => {
    const id = await newSession(gw().api);
    const sse = await stream(id);
    const started = Date.now();
    await sse.waitFor(() => sse.heartbeats >= 4, 3000, 'four heartbeats');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(sse.frames[0]).toEqual({ comment: 'stream open' });
    expect(sse.events).toHaveLength(1);
    sse.close();
  });

  it('a closed client frees its subscription; several clients each get every event', async () => {
    const id = await newSession(gw().api);
    const before = gw().platform.runtime.events.subscriberCount();
    const clients: SseStream[] = [];
    for (let i = 0; i < 3; i += 1) clients.push(await stream(id));
    await settleSubscribers(gw(), id, 3);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'fan out', delayMs: 20 }, flow: 'ask' },
    });
    await runToEnd(gw().api, id, run!.id);
    const stored = await allEvents(gw().api, id);
    for (const client of clients)
      expect(await client.until((events) => events.length === stored.length)).toEqual(stored);
    clients[0]!.close();
    await settleSubscribers(gw(), id, 2);
    for (const client of clients.slice(1)) client.close();
    await settleSubscribers(gw(), id, 0);
    expect(gw().platform.runtime.events.subscriberCount()).toBe(before);
  });

  it('an expired session streams its stored events and ends; a live stream ends when its session expires', async () => {
    const live = await newSession(gw().api);
    const watching = await stream(live);
    await watching.until((events) => events.length === 1);
    const done = await newSession(gw().api);
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: done } },
      body: { input: { question: 'q' }, flow: 'ask' },
    });
    await runToEnd(gw().api, done, run!.id);
    await gw().platform.runtime.sweeper.sweep({ force: true });

    await watching.finished();
    expect(watching.events.map((event) => event.type)).toEqual(['session.created', 'session.expired']);
    const replay = await stream(done, { 'Last-Event-ID': '1' });
    await replay.finished();
    const stored = await allEvents(gw().api, done);
    expect(stored.at(-1)!.type).toBe('session.expired');
    expect(replay.events).toEqual(stored.slice(1));
    await settleSubscribers(gw(), undefined, 0);
  });

  it('a stream ends when its session is deleted', async () => {
    const id = await newSession(gw().api);
    const sse = await stream(id);
    await sse.until((events) => events.length === 1);
    await gw().api.DELETE('/v1/sessions/{session_id}', { params: { path: { session_id: id } } });
    await sse.finished();
    await settleSubscribers(gw(), id, 0);
  });

  it('listEvents pages by after/limit with last_seq; listMessages keeps the conversation', async () => {
    const id = await newSession(gw().api, { agent_id: 'quiz' });
    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: QUESTION } },
    });
    await runToEnd(gw().api, id, run!.id);
    const total = (await gw().api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } }))
      .data!.last_seq;
    const paged: SessionEvent[] = [];
    let after = 0;
    for (;;) {
      const { data, response } = await gw().api.GET('/v1/sessions/{session_id}/events', {
        params: { path: { session_id: id }, query: { after, limit: 4 } },
      });
      expect(response.status).toBe(200);
      expect(data!.last_seq).toBe(total);
      if (data!.items.length === 0) break;
      expect(data!.items.length).toBeLessThanOrEqual(4);
      paged.push(...(data!.items as SessionEvent[]));
      after = data!.items.at(-1)!.seq;
    }
    expect(seqs(paged)).toEqual(range(1, total));
    const atEnd = await gw().api.GET('/v1/sessions/{session_id}/events', {
      params: { path: { session_id: id }, query: { after: total } },
    });
    expect(atEnd.data).toEqual({ items: [], last_seq: total });
    const { data: messages } = await gw().api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: id } },
    });
    expect(messages!.items.map((message) => message.role)).toEqual(['user', 'tool', 'assistant']);
    expect(messages!.items[0]).toMatchObject({ content: QUESTION, run_id: run!.id, tool: null });
    expect(messages!.items[1]).toMatchObject({ role: 'tool', tool: 'rag_search' });
  });
});
