import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineFlow, defineTool, type FlowEmission, type Runtime } from '../../../core/index.ts';
import { useTool } from '../../../plugins/flow-kit.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { fakeOpenAi, status, streamed } from './fake-openai-server.ts';
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
    { plugins: [ask, chat], logger: pino({ level: 'trace' }, sink) },
  );
});
afterEach(async () => {
  await runtime.shutdown();
  await fake.close();
});

async function runChat() {
  const session = await runtime.sessions.create();
  const run = await runtime.runs.create(session.id, { input: { question: 'what is rxjs' } });
  const terminal = await terminalOf(runtime, session.id, run.id);
  const events = (await runtime.store.listEvents(session.id, { after: 0, limit: 1000 })).filter(
    (e) => e.run_id === run.id,
  );
  return { terminal, events };
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
