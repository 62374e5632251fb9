import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TributaryError } from '../../../core/errors.ts';
import type { LlmSettings } from '../../../core/llm/language-model.ts';
import { retryAfterMs } from '../../../core/llm/llm-errors.ts';
import { callTool } from '../../../core/plugins/tool-call.ts';
import { shoutTool, testScope, toolDeps } from '../registry/scope.ts';
import type { TestScope } from '../registry/scope.ts';
import { chunk, fakeOpenAi, status, streamed } from './fake-openai-server.ts';
import type { FakeOpenAi } from './fake-openai-server.ts';

const KEY = 'sk-test-0123456789-SECRET';

let fake: FakeOpenAi;
beforeEach(async () => {
  fake = await fakeOpenAi();
});
afterEach(async () => {
  await fake.close();
});

interface Said {
  text: string;
  finish_reason: string;
  usage?: { input_tokens: number; output_tokens: number };
  deltas: string[];
}

/** A tool that asks the model about its input and returns the completion with the deltas it saw. */
function askTool(timeoutMs?: number, retries = 0) {
  return shoutTool({
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    retries,
    retryDelayMs: 1,
    output: { type: 'object', required: ['text'] },
    execute: async ({ text }, ctx) => {
      const deltas: string[] = [];
      const said = await ctx.llm.chat(
        { messages: [{ role: 'user', content: text }] },
        { onDelta: (delta) => deltas.push(delta) },
      );
      return { ...said, deltas };
    },
  });
}

/** A scope whose logger writes every line into `logs`. */
function loggedScope(): TestScope & { logs: string[] } {
  const t = testScope();
  const logs: string[] = [];
  const sink = new Writable({
    write(line: Buffer, _encoding, done) {
      logs.push(line.toString('utf8'));
      done();
    },
  });
  return Object.assign(t, { scope: { ...t.scope, logger: pino({ level: 'trace' }, sink) }, logs });
}

function call(t: TestScope, settings: Partial<LlmSettings> = {}, timeoutMs?: number, retries = 0) {
  const llm: LlmSettings = { url: fake.url, model: 'fake-model', apiKey: KEY, retryDelayMs: 1, ...settings };
  const deps = { ...toolDeps(askTool(timeoutMs, retries)), llm };
  return lastValueFrom(callTool<Said>(deps, t.scope, 'shout', { text: 'hi' }));
}

/** Fails the call, then checks there is exactly one `tool.failed` and the key is nowhere. */
async function failure(
  t: TestScope & { logs: string[] },
  settings: Partial<LlmSettings> = {},
  timeoutMs?: number,
  retries = 0,
) {
  const error = await call(t, settings, timeoutMs, retries).then(
    () => expect.fail('the call succeeded'),
    (e: unknown) => e as TributaryError,
  );
  expect(error).toBeInstanceOf(TributaryError);
  expect(t.ofType('tool.failed')).toHaveLength(1);
  expectNoKey(t, error);
  return error;
}

function expectNoKey(t: TestScope & { logs: string[] }, error?: TributaryError): void {
  const seen = JSON.stringify({
    events: t.events,
    logs: t.logs,
    error: error && { message: error.message, details: error.details, cause: String(error.cause) },
  });
  expect(seen).not.toContain(KEY);
  expect(seen).not.toContain('0123456789-SECRET');
}

describe('ctx.llm', () => {
  it('streams the text in order and ends with the text, finish reason and usage', async () => {
    fake.replies.push(streamed(['Rx', 'JS ', 'is ', 'fun'], [12, 4]));
    const t = loggedScope();
    const out = await call(t);
    expect(out).toMatchObject({
      text: 'RxJS is fun',
      finish_reason: 'stop',
      usage: { input_tokens: 12, output_tokens: 4 },
      deltas: ['Rx', 'JS ', 'is ', 'fun'],
    });
    expect(t.types()).toEqual(['tool.started', 'tool.completed']);
    expectNoKey(t);
  });

  it('asks for a stream with usage, for the model, with the bearer key', async () => {
    fake.replies.push(streamed(['ok']));
    await call(loggedScope());
    const [request] = fake.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.body).toEqual({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('reads events split across writes and lines ending in \\r\\n', async () => {
    fake.replies.push((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      const text = `: keep-alive\r\n\r\n${chunk('héllo')}${chunk(null, 'length')}data: [DONE]\n\n`.replace(
        /\n/g,
        '\r\n',
      );
      for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
      res.end();
    });
    const out = await call(loggedScope());
    expect(out).toMatchObject({ text: 'héllo', finish_reason: 'length', deltas: ['héllo'] });
    expect(out.usage).toBeUndefined();
  });

  it('fails a 401 once, without retrying, saying the key was refused and not showing it', async () => {
    fake.replies.push(status(401, `{"error":{"message":"Incorrect API key provided: ${KEY}"}}`));
    const t = loggedScope();
    const error = await failure(t);
    expect(fake.requests).toHaveLength(1);
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('HTTP 401');
    expect(error.message).toContain('[redacted]');
    expect(error.details?.user_message).toBe('the language model refused the API key (HTTP 401)');
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    fake.replies.push(
      status(429, '{"error":{"message":"slow down"}}', { 'retry-after': '0' }),
      streamed(['ok']),
    );
    const t = loggedScope();
    const out = await call(t, { retryDelayMs: 60_000 });
    expect(out.text).toBe('ok');
    expect(fake.requests).toHaveLength(2);
    // The server's 0 s, not the kit's own 60 s backoff.
    expect(t.ofType('tool.progress').map((e) => e.meta?.retry_in_ms)).toEqual([0]);
    expect(t.logs.join('')).toContain('HTTP 429');
    expectNoKey(t);
  });

  it('fails at once when Retry-After is longer than the kit waits', async () => {
    fake.replies.push(status(429, '{}', { 'retry-after': '120' }));
    const error = await failure(loggedScope(), { maxRetryAfterMs: 1_000 });
    expect(fake.requests).toHaveLength(1);
    expect(error.message).toContain('Retry-After 120000 ms');
  });

  it('retries a 500 before any token, then succeeds', async () => {
    fake.replies.push(status(500, 'boom'), streamed(['fine']));
    const out = await call(loggedScope());
    expect(out.text).toBe('fine');
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up after its retries with one tool.failed', async () => {
    fake.replies.push(status(503, 'down'), status(503, 'down'), status(503, 'down'));
    const error = await failure(loggedScope(), { retries: 2 });
    expect(fake.requests).toHaveLength(3);
    expect(error.details).toMatchObject({
      status: 503,
      user_message: 'the language model server failed (HTTP 503)',
    });
  });

  it('never retries a stream cut after tokens came', async () => {
    fake.replies.push((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('half an '));
      res.write(chunk('answer'), () => res.destroy());
    });
    const t = loggedScope();
    const error = await failure(t);
    expect(fake.requests).toHaveLength(1);
    expect(error.retryable).toBe(false);
    expect(error.details?.user_message).toBe('the language model stopped in the middle of its answer');
    expect(t.ofType('tool.started')).toHaveLength(1);
  });

  it('never retries an error the server puts in the stream after tokens', async () => {
    fake.replies.push((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk('so')}data: {"error":{"message":"upstream overloaded"}}\n\n`);
    });
    const error = await failure(loggedScope());
    expect(fake.requests).toHaveLength(1);
    expect(error.message).toContain('upstream overloaded');
  });

  it('lets an error thrown by onDelta reach the tool as it was thrown', async () => {
    fake.replies.push(streamed(['a', 'b']));
    const t = loggedScope();
    const tool = shoutTool({
      output: { type: 'object' },
      execute: async (_input, ctx) =>
        ctx.llm.chat(
          { messages: [{ role: 'user', content: 'hi' }] },
          {
            onDelta: () => {
              throw new Error('the screen is gone');
            },
          },
        ),
    });
    const llm: LlmSettings = { url: fake.url, model: 'fake-model', apiKey: KEY };
    const error = await lastValueFrom(
      callTool({ ...toolDeps(tool), llm }, t.scope, 'shout', { text: 'hi' }),
    ).then(
      () => expect.fail('the call succeeded'),
      (e: unknown) => e as TributaryError,
    );
    expect(error.message).toBe('shout failed: the screen is gone');
  });

  it('fails on malformed SSE', async () => {
    fake.replies.push((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk('ok')}data: {"choices": [\n\n`);
    });
    const error = await failure(loggedScope());
    expect(error.message).toContain('malformed stream');
    expect(error.details?.user_message).toBe('the language model sent a malformed answer');
  });

  it('fails on a stream that ends without a finish reason', async () => {
    fake.replies.push((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(chunk('and then'));
    });
    const error = await failure(loggedScope());
    expect(error.message).toContain('ended before a finish_reason');
  });

  it('fails on an empty completion', async () => {
    fake.replies.push(streamed([]));
    const error = await failure(loggedScope());
    expect(error.message).toContain('empty completion');
    expect(error.details?.user_message).toBe('the language model returned an empty answer');
  });

  it('fails on an answer that is not a stream', async () => {
    fake.replies.push(status(200, '{"choices":[]}'));
    const error = await failure(loggedScope());
    expect(error.message).toContain('expected text/event-stream');
  });

  it('ends a model that never answers with the tool timeout and aborts the request', async () => {
    fake.replies.push(() => {});
    const aborted = once(fake.events, 'aborted');
    const error = await failure(loggedScope(), {}, 200);
    expect(error.code).toBe('TOOL_TIMEOUT');
    await aborted;
    expect(fake.aborted).toBe(1);
  });

  it('ends a stream that stalls after tokens with the tool timeout, aborts it and never retries it', async () => {
    const stall = (res: ServerResponse): void => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('wait for it'));
    };
    fake.replies.push(stall, stall);
    const aborted = once(fake.events, 'aborted');
    const t = loggedScope();
    // The tool itself allows retries of timeouts: after a token they would repeat it.
    const error = await failure(t, {}, 200, 2);
    expect(error.code).toBe('TOOL_TIMEOUT');
    expect(error.retryable).toBe(false);
    await aborted;
    expect(fake.requests).toHaveLength(1);
    expect(t.ofType('tool.started')).toHaveLength(1);
  });

  it('lets the tool retry a timeout when no token came', async () => {
    fake.replies.push(() => {}, streamed(['late but fine']));
    const t = loggedScope();
    const out = await call(t, {}, 200, 1);
    expect(out.text).toBe('late but fine');
    expect(t.ofType('tool.started')).toHaveLength(2);
  });

  it('aborts the request when the run is cancelled', async () => {
    fake.replies.push(() => {});
    const t = loggedScope();
    const arrived = once(fake.events, 'request');
    const aborted = once(fake.events, 'aborted');
    const pending = call(t);
    await arrived;
    t.controller.abort(new TributaryError('RUN_CANCELLED', 'cancelled by request'));
    await expect(pending).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    await aborted;
    expect(fake.aborted).toBe(1);
    expect(t.ofType('tool.failed')).toHaveLength(0);
  });

  it('stops waiting out a Retry-After when the run is cancelled', async () => {
    fake.replies.push(status(429, '{}', { 'retry-after': '30' }));
    const t = loggedScope();
    const pending = call(t);
    await once(fake.events, 'request');
    t.controller.abort(new TributaryError('RUN_CANCELLED', 'cancelled by request'));
    await expect(pending).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    expect(fake.requests).toHaveLength(1);
  });

  it('says no model is configured when LLM_URL is unset', async () => {
    const t = loggedScope();
    const tool = askTool();
    const error = await lastValueFrom(callTool(toolDeps(tool), t.scope, 'shout', { text: 'hi' })).catch(
      (e: unknown) => e as TributaryError,
    );
    expect(error).toMatchObject({
      code: 'TOOL_FAILED',
      details: { user_message: 'no language model is configured on this server' },
    });
    expect(t.ofType('tool.failed')).toHaveLength(1);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(' 0 ')).toBe(0);
    const now = Date.parse('2026-12-04T10:00:00Z');
    expect(retryAfterMs('Fri, 04 Dec 2026 10:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('Fri, 04 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
