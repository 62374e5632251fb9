import { once } from 'node:events';
import { lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TributaryError } from '../../../core/errors.ts';
import type { EventDraft } from '../../../core/events/event.ts';
import type { LlmSettings } from '../../../core/llm/language-model.ts';
import { callTool } from '../../../core/plugins/tool-call.ts';
import { shoutTool, testScope, toolDeps } from '../registry/scope.ts';
import type { TestScope } from '../registry/scope.ts';
import { chunk, fakeOpenAi, steppedStream, streamed } from './fake-openai-server.ts';
import type { FakeOpenAi } from './fake-openai-server.ts';

const KEY = 'sk-stream-0123456789-SECRET';

let fake: FakeOpenAi;
beforeEach(async () => {
  fake = await fakeOpenAi();
});
afterEach(async () => {
  await fake.close();
});

/** A tool that streams the model's answer to the session (`stream: true`) and returns its text. */
function call(t: TestScope, settings: Partial<LlmSettings> = {}, timeoutMs?: number) {
  const tool = shoutTool({
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    output: { type: 'object', required: ['text'] },
    execute: async ({ text }, ctx) => {
      const said = await ctx.llm.chat(
        {
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: text },
          ],
          temperature: 0.2,
        },
        { stream: true },
      );
      return { text: said.text };
    },
  });
  const llm: LlmSettings = { url: fake.url, model: 'fake-model', apiKey: KEY, retryDelayMs: 1, ...settings };
  return lastValueFrom(
    callTool<{ text: string }>({ ...toolDeps(tool), llm }, t.scope, 'shout', { text: 'hi' }),
  );
}

const deltas = (t: TestScope): EventDraft[] => t.ofType('message.delta');
const textOf = (events: EventDraft[]): string => events.map((e) => String(e.meta?.text)).join('');

describe('ctx.llm.chat with stream: true', () => {
  it('writes the answer as message.delta events, then one message whose text they join into', async () => {
    const pieces = Array.from({ length: 60 }, (_, i) => `word${i} `);
    fake.replies.push(streamed(pieces, [11, 60]));
    const t = testScope();
    const out = await call(t);
    const whole = pieces.join('');
    expect(out.text).toBe(whole);
    const [message, ...more] = t.ofType('message');
    expect(more).toEqual([]);
    expect(message).toMatchObject({
      tool: 'shout',
      message: whole,
      meta: {
        role: 'assistant',
        model: 'fake-model',
        finish_reason: 'stop',
        usage: { tokens_in: 11, tokens_out: 60 },
      },
    });
    expect(message?.meta).not.toHaveProperty('incomplete');
    // Coalesced: fewer events than tokens, each naming the message, in order, adding up to it.
    expect(deltas(t).length).toBeGreaterThan(0);
    expect(deltas(t).length).toBeLessThan(pieces.length);
    for (const delta of deltas(t)) {
      expect(delta).toMatchObject({
        tool: 'shout',
        meta: { message_id: message?.meta?.message_id, role: 'assistant' },
      });
      expect(delta.message).toBe(delta.meta?.text);
    }
    expect(textOf(deltas(t))).toBe(whole);
    expect(t.types().filter((type) => type !== 'message.delta')).toEqual([
      'tool.started',
      'message',
      'tool.completed',
    ]);
    expect(t.messages).toEqual([
      expect.objectContaining({
        id: message?.meta?.message_id,
        role: 'assistant',
        content: whole,
        tool: 'shout',
      }),
    ]);
  });

  it("adds the model's token counts to the run's usage and to the call's tool.completed", async () => {
    fake.replies.push(streamed(['Two ', 'tokens'], [21, 2]));
    const t = testScope();
    await call(t);
    expect(t.usage).toEqual([{ tokens_in: 21, tokens_out: 2 }]);
    expect(t.ofType('tool.completed')[0]?.meta).toMatchObject({
      usage: { tokens_in: 21, tokens_out: 2 },
      model: 'fake-model',
    });
  });

  it('cut short by a cancel: aborts the request and keeps the text so far as an incomplete message', async () => {
    const held = steppedStream(['The first half', ' and the rest']);
    fake.replies.push(held.reply);
    const t = testScope();
    const pending = call(t);
    await vi.waitFor(() => expect(textOf(deltas(t))).toBe('The first half'));
    const aborted = once(fake.events, 'aborted');
    t.controller.abort(new TributaryError('RUN_CANCELLED', 'cancelled by request'));
    // Written while the abort happens, before anything that reacts to the cancel afterwards.
    expect(t.ofType('message')).toEqual([
      expect.objectContaining({
        message: 'The first half',
        meta: expect.objectContaining({ incomplete: true, reason: 'cancelled' }),
      }),
    ]);
    await expect(pending).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    await aborted;
    expect(fake.aborted).toBe(1);
    expect(t.ofType('tool.failed')).toEqual([]);
  });

  it('cut short by the tool timeout: the incomplete message comes before tool.failed', async () => {
    fake.replies.push((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('stalled after this'));
    });
    const t = testScope();
    await expect(call(t, {}, 1000)).rejects.toMatchObject({ code: 'TOOL_TIMEOUT' });
    expect(t.types().filter((type) => type !== 'message.delta')).toEqual([
      'tool.started',
      'message',
      'tool.failed',
    ]);
    expect(t.ofType('message')[0]).toMatchObject({
      message: 'stalled after this',
      meta: { incomplete: true, reason: 'timeout' },
    });
    expect(textOf(deltas(t))).toBe('stalled after this');
  });

  it('cut short by a broken stream: the incomplete message says it failed', async () => {
    fake.replies.push((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk('partial ')}data: {not json}\n\n`);
    });
    const t = testScope();
    await expect(call(t)).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    expect(t.ofType('message')[0]).toMatchObject({
      message: 'partial ',
      meta: { incomplete: true, reason: 'failed' },
    });
    expect(t.ofType('tool.failed')).toHaveLength(1);
  });

  it('writes no message when the model fails before any text', async () => {
    fake.replies.push((res) => res.writeHead(401).end('{}'));
    const t = testScope();
    await expect(call(t)).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    expect(t.types()).toEqual(['tool.started', 'tool.failed']);
  });
});

describe('the span of a model call', () => {
  it('is a GenAI client span under the tool span: model, finish reason, tokens, no content', async () => {
    fake.replies.push(streamed(['secret-free ', 'answer'], [9, 2]));
    const t = testScope();
    await call(t);
    const llm = t.spans.filter((span) => span.kind === 'llm');
    expect(llm).toHaveLength(1);
    expect(llm[0]).toMatchObject({
      name: 'chat fake-model',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'fake-model',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.response.model': 'fake-model',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 9,
        'gen_ai.usage.output_tokens': 2,
        'server.address': '127.0.0.1',
      },
      ends: [{ status: 'ok' }],
    });
    expect(llm[0]?.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(llm[0]?.attributes['gen_ai.output.messages']).toBeUndefined();
    // Its HTTP request carries the model call's span, not the tool's.
    expect(fake.requests[0]?.headers.traceparent).toBe(llm[0]?.traceparent);
  });

  it('records prompt and answer when asked to, with credentials masked', async () => {
    fake.replies.push(streamed([`the key was ${KEY}, `, 'password=hunter2'], [9, 2]));
    const t = testScope();
    const tool = shoutTool({
      output: { type: 'object', required: ['text'] },
      execute: async (_input, ctx) => ({
        text: (
          await ctx.llm.chat({ messages: [{ role: 'user', content: 'use Bearer abc.def and api_key=xyz' }] })
        ).text,
      }),
    });
    const llm: LlmSettings = { url: fake.url, model: 'fake-model', apiKey: KEY, recordContent: true };
    await lastValueFrom(callTool({ ...toolDeps(tool), llm }, t.scope, 'shout', { text: 'hi' }));
    const attributes = t.spans.find((span) => span.kind === 'llm')?.attributes ?? {};
    expect(JSON.parse(String(attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'use Bearer [redacted] and api_key=[redacted]' }] },
    ]);
    expect(JSON.parse(String(attributes['gen_ai.output.messages']))).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'the key was [redacted], password=[redacted]' }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('ends as cancelled when the run is cancelled mid-answer', async () => {
    const held = steppedStream(['never ', 'finished']);
    fake.replies.push(held.reply);
    const t = testScope();
    const pending = call(t);
    await once(fake.events, 'request');
    t.controller.abort(new TributaryError('RUN_CANCELLED', 'cancelled by request'));
    await expect(pending).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    expect(t.spans.find((span) => span.kind === 'llm')?.ends).toEqual([
      expect.objectContaining({ status: 'cancelled' }),
    ]);
  });
});

describe('a call with its own timeoutMs', () => {
  it('is aborted past it with TOOL_TIMEOUT while the tool goes on', async () => {
    fake.replies.push(steppedStream(['slow ', 'answer']).reply);
    const aborted = once(fake.events, 'aborted');
    const t = testScope();
    const tool = shoutTool({
      output: { type: 'object', required: ['text'] },
      execute: async (_input, ctx) => {
        const error = await ctx.llm
          .chat({ messages: [{ role: 'user', content: 'hi' }] }, { timeoutMs: 200 })
          .then(
            () => expect.fail('the call answered'),
            (e: unknown) => e as TributaryError,
          );
        return { text: `${error.code}: ${error.message}` };
      },
    });
    const llm: LlmSettings = { url: fake.url, model: 'fake-model' };
    const out = await lastValueFrom(
      callTool<{ text: string }>({ ...toolDeps(tool), llm }, t.scope, 'shout', { text: 'hi' }),
    );
    expect(out.text).toBe('TOOL_TIMEOUT: the language model did not answer within 200 ms');
    await aborted;
    expect(t.types()).toEqual(['tool.started', 'tool.completed']);
  });

  it.each([0, -5, 1.5, Number.NaN])('refuses timeoutMs %s, naming it', async (timeoutMs) => {
    const t = testScope();
    const tool = shoutTool({
      output: { type: 'object', required: ['text'] },
      execute: async (_input, ctx) => ({
        text: (await ctx.llm.chat({ messages: [{ role: 'user', content: 'hi' }] }, { timeoutMs })).text,
      }),
    });
    const llm: LlmSettings = { url: fake.url, model: 'fake-model' };
    await expect(
      lastValueFrom(callTool({ ...toolDeps(tool), llm }, t.scope, 'shout', { text: 'hi' })),
    ).rejects.toMatchObject({ message: expect.stringContaining('timeoutMs must be an integer') });
    expect(fake.requests).toEqual([]);
  });
});
