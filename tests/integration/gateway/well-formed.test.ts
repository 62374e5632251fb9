import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { trackedClients } from '../socket/socket-client.ts';
import { INTERNAL_TOKEN, newSession, runToEnd, TEST_PLUGINS, useGateway } from './platform.ts';

/** A lone surrogate has no UTF-8 spelling; U+FFFD is what every transport must serve instead. */
const LONE = 'a\ud800b';
const FIXED = 'a\ufffdb';

/**
 * The JSON text of a value, as a transport writes it: a lone surrogate shows as `\ud800`, U+FFFD as
 * itself, so equal texts are equal bytes on the wire (and the diff of a failure stays readable).
 */
const bytes = (value: unknown) => JSON.stringify(value);

describe('one spelling of every string on every transport (SQLite store)', () => {
  const gw = useGateway({ INTERNAL_TOKEN, PLUGINS: TEST_PLUGINS });
  const clients = trackedClients(() => gw().url);
  afterEach(() => clients.closeAll());

  it('a progress event with lone surrogates: the POST answer, GET events, the SSE frame and the socket event are the same bytes', async () => {
    const id = await newSession(gw().api);
    const sse = await gw().sse(`/v1/sessions/${id}/events/stream`);
    const socket = await clients.connect();
    expect(await socket.subscribe(id)).toMatchObject({ ok: true });

    const posted = await gw().call('POST', '/v1/progress', {
      json: {
        session_id: id,
        step: `step ${LONE}`,
        tool: `tool_${LONE}`,
        message: LONE,
        meta: { [`key ${LONE}`]: LONE, list: [LONE, { deep: `\udc00${LONE}` }] },
      },
      headers: { 'X-Internal-Token': INTERNAL_TOKEN },
    });
    expect(posted.status).toBe(202);
    const event = posted.body as SessionEvent;

    const streamed = (await sse.until((events) => events.some((e) => e.seq === event.seq))).find(
      (e) => e.seq === event.seq,
    );
    const frame = sse.frames.find((f) => f.id === String(event.seq));
    sse.close();
    const pushed = await socket.until((e) => e.seq === event.seq);
    const { data: page } = await gw().api.GET('/v1/sessions/{session_id}/events', {
      params: { path: { session_id: id }, query: { after: event.seq - 1 } },
    });
    const stored = page!.items[0];

    expect(bytes(streamed)).toBe(bytes(event));
    expect(bytes(pushed)).toBe(bytes(event));
    expect(bytes(stored)).toBe(bytes(event));
    // The SSE frame's data is the very text of the POST answer.
    expect(frame!.data).toBe(posted.text);
    // And that one spelling is the well-formed one.
    expect(event).toMatchObject({
      message: FIXED,
      step: `step ${FIXED}`,
      tool: `tool_${FIXED}`,
      meta: { [`key ${FIXED}`]: FIXED, list: [FIXED, { deep: `\ufffd${FIXED}` }] },
    });
  });

  it("session name and metadata, a run's input and its messages, a checkpoint: as answered, so stored", async () => {
    const created = await gw().call('POST', '/v1/sessions', {
      json: { name: LONE, metadata: { [LONE]: LONE } },
    });
    expect(created.status).toBe(201);
    const session = created.body as { id: string };
    const read = await gw().call('GET', `/v1/sessions/${session.id}`);
    expect(bytes(read.body)).toBe(bytes(created.body));
    expect(session).toMatchObject({ name: FIXED, metadata: { [FIXED]: FIXED } });

    const { data: run } = await gw().api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: session.id } },
      body: { input: { question: LONE }, flow: 'ask' },
    });
    expect(run!.input).toEqual({ question: FIXED });
    const done = await runToEnd(gw().api, session.id, run!.id);
    expect(bytes(done.input)).toBe(bytes(run!.input));
    const { data: messages } = await gw().api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: session.id } },
    });
    expect(messages!.items.map((m) => [m.role, m.content])).toEqual([
      ['user', FIXED],
      ['assistant', `answer to ${FIXED}`],
    ]);
    // The flow's `data` went through the session patch.
    const after = await gw().call('GET', `/v1/sessions/${session.id}`);
    expect(after.body).toMatchObject({ data: { last_answer: `answer to ${FIXED}` } });

    const saved = await gw().call('POST', `/v1/sessions/${session.id}/checkpoints`, {
      json: { label: LONE, state: { [LONE]: [LONE] } },
    });
    expect(saved.status).toBe(201);
    const latest = await gw().call('GET', `/v1/sessions/${session.id}/checkpoints/latest`);
    expect(bytes(latest.body)).toBe(bytes(saved.body));
    expect(saved.body).toMatchObject({ label: FIXED, state: { [FIXED]: [FIXED] } });
  });
});
