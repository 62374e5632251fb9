import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { connectClient, seqsOf, range } from '../socket/socket-client.ts';
import {
  chunk,
  fakeOpenAi,
  steppedStream,
  type FakeOpenAi,
  type Reply,
} from '../../unit/llm/fake-openai-server.ts';
import { allEvents, newSession, useGateway } from './platform.ts';

/**
 * The `answer` flow against an OpenAI-compatible server of our own, through the whole platform (SQLite,
 * demo RAG backend, gateway): its answer streams to SSE, Socket.IO and REST readers who join mid-answer,
 * a cancel stops the model, and the tokens add up in the run, the session and the stats.
 */
let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await fakeOpenAi();
});
afterAll(async () => {
  await fake.close();
});
const gw = useGateway(() => ({ LLM_URL: fake.url, LLM_MODEL: 'tutor-model' }));

/** The planner asks in JSON mode: a plan without a usage report, so only the answer's tokens count. */
const plan: Reply = (res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk('{"intent":"answer","topic":"RxJS"}'));
  res.end(`${chunk(null, 'stop')}data: [DONE]\n\n`);
};

/** Answers the planner with `plan` and the answer with `answer`, whichever asks first. */
function script(answer: Reply): void {
  const reply: Reply = (res, req) => {
    const asking = fake.requests.at(-1)?.body;
    if (asking?.response_format !== undefined) {
      plan(res, req);
      fake.replies.unshift(reply);
    } else answer(res, req);
  };
  fake.replies.push(reply);
}

const PIECES = ['Streams ', 'of values ', 'over time [rxjs-guide.md#observables].'];
const WHOLE = PIECES.join('');

async function startAnswer(sessionId: string): Promise<string> {
  const { data, response } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
    params: { path: { session_id: sessionId } },
    body: { flow: 'answer', input: { question: 'What is an Observable?' } },
  });
  expect(response.status).toBe(202);
  return data!.id;
}

/** The message a reader put together from what it got: the deltas' texts, and the closing message. */
function readBy(events: readonly SessionEvent[], runId: string) {
  const ofRun = events.filter((e) => e.run_id === runId);
  const message = ofRun.find((e) => e.type === 'message' && e.meta.role === 'assistant');
  // The run streams one message: every delta of the run is a piece of it.
  const deltas = ofRun.filter((e) => e.type === 'message.delta');
  return { deltas: deltas.map((e) => String(e.meta.text)).join(''), message, seqs: seqsOf(events) };
}

const ended = (runId: string) => (events: SessionEvent[]) =>
  events.some(
    (e) =>
      e.run_id === runId && e.type.startsWith('run.') && e.type !== 'run.started' && e.type !== 'run.queued',
  );

describe('a streamed answer through the gateway', () => {
  it('reaches SSE, Socket.IO and REST readers that join mid-answer, each with the whole text once', async () => {
    const stream = steppedStream(PIECES);
    script(stream.reply);
    const id = await newSession(gw().api);
    const runId = await startAnswer(id);
    const path = `/v1/sessions/${id}/events/stream`;
    const fromStart = await gw().sse(path);
    const [first] = (
      await fromStart.until((events) => events.some((e) => e.type === 'message.delta'))
    ).filter((e) => e.type === 'message.delta');
    expect(first?.meta.text).toBe(PIECES[0]);

    // Mid-answer: a new SSE reader, one resuming after the first piece, a socket, and a REST page.
    const fresh = await gw().sse(path);
    const resumed = await gw().sse(path, { 'Last-Event-ID': String(first!.seq) });
    const socket = await connectClient(gw().url);
    const ack = await socket.subscribe(id, 0);
    expect(ack).toMatchObject({ ok: true });
    const { data: page } = await gw().api.GET('/v1/sessions/{session_id}/events', {
      params: { path: { session_id: id }, query: { after: 0 } },
    });
    expect(readBy(page!.items as SessionEvent[], runId)).toMatchObject({
      deltas: PIECES[0],
      message: undefined,
    });

    stream.next();
    stream.next();
    for (const reader of [fromStart, fresh]) {
      const events = await reader.until(ended(runId));
      const got = readBy(events, runId);
      expect(got.message?.message).toBe(WHOLE);
      expect(got.deltas).toBe(WHOLE);
      expect(got.seqs).toEqual(range(1, events.at(-1)!.seq));
    }
    const tail = await resumed.until(ended(runId));
    expect(tail[0]?.seq).toBe(first!.seq + 1);
    expect(PIECES[0] + readBy(tail, runId).deltas).toBe(WHOLE);
    await socket.until((e) => e.run_id === runId && e.type === 'run.completed');
    expect(readBy(socket.of(id), runId)).toMatchObject({ deltas: WHOLE, message: { message: WHOLE } });
    expect(seqsOf(socket.of(id))).toEqual(range(1, socket.of(id).at(-1)!.seq));
    for (const reader of [fromStart, fresh, resumed]) reader.close();
    socket.close();

    const { data: messages } = await gw().api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: id } },
    });
    expect(messages!.items.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([WHOLE]);
  });

  it('cancelled mid-answer: the model connection is closed, the text so far kept as incomplete, then run.cancelled', async () => {
    const stream = steppedStream(['Half of ', 'the answer']);
    script(stream.reply);
    const id = await newSession(gw().api);
    const runId = await startAnswer(id);
    const reader = await gw().sse(`/v1/sessions/${id}/events/stream`);
    await reader.until((events) => events.some((e) => e.type === 'message.delta'));
    const aborted = once(fake.events, 'aborted');
    const { response } = await gw().api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
      params: { path: { session_id: id, run_id: runId } },
    });
    expect(response.status).toBe(202);
    await aborted;
    const events = (await reader.until(ended(runId))).filter((e) => e.run_id === runId);
    reader.close();
    const tail = events
      .map((e) => e.type)
      .filter((type) => type !== 'message.delta')
      .slice(-2);
    expect(tail).toEqual(['message', 'run.cancelled']);
    expect(readBy(events, runId)).toMatchObject({
      deltas: 'Half of ',
      message: { message: 'Half of ', meta: { incomplete: true, reason: 'cancelled' } },
    });
    // Stored so: the same on a later read.
    expect((await allEvents(gw().api, id)).filter((e) => e.run_id === runId).at(-1)?.type).toBe(
      'run.cancelled',
    );
  });

  it("adds the model's tokens to the run, the session and GET /v1/stats", async () => {
    const before = (await gw().api.GET('/v1/stats')).data!.usage;
    const id = await newSession(gw().api);
    const runs: string[] = [];
    for (const pieces of [
      ['One ', 'answer.'],
      ['And ', 'another ', 'one.'],
    ]) {
      const stream = steppedStream(pieces);
      script(stream.reply);
      const runId = await startAnswer(id);
      runs.push(runId);
      const reader = await gw().sse(`/v1/sessions/${id}/events/stream`);
      await reader.until((events) => events.some((e) => e.run_id === runId && e.type === 'message.delta'));
      for (let i = 1; i < pieces.length; i++) stream.next();
      await reader.until(ended(runId));
      reader.close();
    }
    // steppedStream reports 5 tokens in and one out per piece.
    const usageOf = async (runId: string) =>
      (
        await gw().api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
          params: { path: { session_id: id, run_id: runId } },
        })
      ).data!.usage;
    expect(await usageOf(runs[0]!)).toEqual({ tokens_in: 5, tokens_out: 2 });
    expect(await usageOf(runs[1]!)).toEqual({ tokens_in: 5, tokens_out: 3 });
    const session = (
      await gw().api.GET('/v1/sessions/{session_id}', { params: { path: { session_id: id } } })
    ).data!;
    expect(session.usage).toEqual({ tokens_in: 10, tokens_out: 5 });
    const after = (await gw().api.GET('/v1/stats')).data!.usage;
    expect(after).toEqual({ tokens_in: before.tokens_in + 10, tokens_out: before.tokens_out + 5 });
  });
});
