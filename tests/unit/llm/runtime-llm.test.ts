import { once } from 'node:events';
import { pino } from 'pino';
import { filter, firstValueFrom } from 'rxjs';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineFlow, defineTool, type FlowEmission, type Runtime } from '../../../core/index.ts';
import { useTool } from '../../../plugins/flow-kit.ts';
import { streamAnswer, streamedAnswer } from '../../fixtures/streaming-plugins.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { fakeOpenAi, status, steppedStream, streamed } from './fake-openai-server.ts';
import type { FakeOpenAi } from './fake-openai-server.ts';

const KEY = 'sk-runtime-key-0123456789';

const ask = defineTool<{ question: string }, { text: string }>({
  name: 'ask',
  version: '1.0.0',
  description: 'Asks the language model',
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  output: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  async execute({ question }, ctx) {
    const { text } = await ctx.llm.chat({ messages: [{ role: 'user', content: question }] });
    return { text };
  },
});

const chat = defineFlow<{ question: string }>({
  name: 'chat',
  version: '1.0.0',
  description: 'Answers with the model',
  tools: ['ask'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    const { text } = yield* useTool<{ text: string }>(ctx, 'ask', input, 'ask the model');
    yield { type: 'message', role: 'assistant', content: text };
  },
});

let fake: FakeOpenAi;
let runtime: Runtime;
let logs: string[];
beforeEach(async () => {
  fake = await fakeOpenAi();
  logs = [];
  const sink = new Writable({
    write(line: Buffer, _encoding, done) {
      logs.push(line.toString('utf8'));
      done();
    },
  });
  runtime = await startRuntime(
    { DEFAULT_FLOW: 'chat', LLM_URL: fake.url, LLM_MODEL: 'fake-model', LLM_API_KEY: KEY },
    { plugins: [ask, chat, streamAnswer, streamedAnswer], logger: pino({ level: 'trace' }, sink) },
  );
});
afterEach(async () => {
  await runtime.shutdown();
  await fake.close();
});

async function runChat(flow = 'chat', sessionId?: string) {
  const session =
    sessionId === undefined ? await runtime.sessions.create() : await runtime.sessions.get(sessionId);
  const run = await runtime.runs.create(session.id, { flow, input: { question: 'what is rxjs' } });
  const terminal = await terminalOf(runtime, session.id, run.id);
  const events = (await runtime.store.listEvents(session.id, { after: 0, limit: 1000 })).filter(
    (e) => e.run_id === run.id,
  );
  return { session, run, terminal, events };
}

describe('LLM_URL, LLM_MODEL and LLM_API_KEY reach the tools as ctx.llm', () => {
  it('answers with the streamed completion', async () => {
    fake.replies.push(streamed(['A ', 'library.']));
    const { terminal, events } = await runChat();
    expect(terminal.type).toBe('run.completed');
    expect(events.find((e) => e.type === 'message')?.message).toBe('A library.');
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(fake.requests[0]?.body.model).toBe('fake-model');
  });

  it('a refused key ends in one tool.failed and a plain message, the key nowhere', async () => {
    fake.replies.push(status(401, `{"error":"bad key ${KEY}"}`));
    const { terminal, events } = await runChat();
    expect(terminal.type).toBe('run.failed');
    expect(events.filter((e) => e.type === 'tool.failed')).toHaveLength(1);
    expect(events.find((e) => e.type === 'message')?.message).toBe(
      'Sorry, I could not ask the model: the language model refused the API key (HTTP 401).',
    );
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(logs.join('')).not.toContain(KEY);
  });
});

describe('a streamed answer in a run', () => {
  it('reaches the session as deltas and one stored message; its tokens add up on the run and the session', async () => {
    fake.replies.push(streamed(['Rx', 'JS is a ', 'library.'], [10, 3]), streamed(['Again.'], [5, 1]));
    const first = await runChat('streamed_answer');
    expect(first.terminal.type).toBe('run.completed');
    const types = first.events.map((e) => e.type).filter((type) => type !== 'message.delta');
    expect(types).toEqual([
      'run.started',
      'step',
      'tool.started',
      'message',
      'tool.completed',
      'run.completed',
    ]);
    const deltas = first.events.filter((e) => e.type === 'message.delta');
    const message = first.events.find((e) => e.type === 'message');
    expect(deltas.map((e) => e.meta.text).join('')).toBe('RxJS is a library.');
    expect(new Set(deltas.map((e) => e.meta.message_id))).toEqual(new Set([message?.meta.message_id]));
    expect(await runtime.store.listMessages(first.session.id)).toContainEqual(
      expect.objectContaining({
        id: message?.meta.message_id,
        role: 'assistant',
        content: 'RxJS is a library.',
      }),
    );

    const second = await runChat('streamed_answer', first.session.id);
    expect(second.terminal.type).toBe('run.completed');
    expect((await runtime.runs.get(first.session.id, first.run.id)).usage).toEqual({
      tokens_in: 10,
      tokens_out: 3,
    });
    expect((await runtime.runs.get(first.session.id, second.run.id)).usage).toEqual({
      tokens_in: 5,
      tokens_out: 1,
    });
    expect((await runtime.sessions.get(first.session.id)).usage).toEqual({ tokens_in: 15, tokens_out: 4 });
  });

  it('cancelled mid-stream: aborts the request, keeps the text so far as an incomplete message, then run.cancelled', async () => {
    const held = steppedStream(['Half an answer', ' that never comes']);
    fake.replies.push(held.reply);
    const session = await runtime.sessions.create();
    const firstDelta = firstValueFrom(
      runtime.events.events$(session.id).pipe(filter((e) => e.type === 'message.delta')),
    );
    const run = await runtime.runs.create(session.id, { flow: 'streamed_answer', input: { question: 'q' } });
    await firstDelta;
    const aborted = once(fake.events, 'aborted');
    const terminal = terminalOf(runtime, session.id, run.id);
    await runtime.runs.cancel(session.id, run.id);
    expect((await terminal).type).toBe('run.cancelled');
    // The fake saw the connection dropped before its stream ended.
    await aborted;
    expect(fake.aborted).toBe(1);
    const events = (await runtime.store.listEvents(session.id, { after: 0, limit: 1000 })).filter(
      (e) => e.run_id === run.id,
    );
    expect(events.map((e) => e.type).filter((type) => type !== 'message.delta')).toEqual([
      'run.started',
      'step',
      'tool.started',
      'message',
      'run.cancelled',
    ]);
    const message = events.find((e) => e.type === 'message');
    expect(message).toMatchObject({
      message: 'Half an answer',
      meta: { incomplete: true, reason: 'cancelled' },
    });
    expect(
      events
        .filter((e) => e.type === 'message.delta')
        .map((e) => e.meta.text)
        .join(''),
    ).toBe('Half an answer');
    expect(await runtime.store.listMessages(session.id)).toContainEqual(
      expect.objectContaining({ role: 'assistant', content: 'Half an answer' }),
    );
  });
});
