import nock from 'nock';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../core/errors.ts';
import type { LlmSettings } from '../../core/llm/language-model.ts';
import type { ToolContext } from '../../core/plugins/plugin.ts';
import { describeToolConformance } from '../../tests/conformance/tool-conformance.ts';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { LLM } from '../../tests/fixtures/tool-samples.ts';
import { sseBody } from '../../tests/unit/llm/fake-openai-server.ts';
import { planner } from './index.ts';

const KEY = 'sk-planner-test-0123456789';
/** No retries by the kit, so each fallback case is one request. */
const llm: LlmSettings = { url: LLM, model: 'planner-model', apiKey: KEY, retries: 0 };
const endpoint = new URL(LLM);
const model = () => nock(endpoint.origin).post(endpoint.pathname);
const SSE = { 'content-type': 'text/event-stream' };
/** The model answers `content` as one streamed piece. */
const answers = (content: string) => () => model().reply(200, sseBody([content], [50, 12]), SSE);
const question = 'Quiz me on RxJS operators';
const byRules = { intent: 'quiz', topic: 'RxJS operators', source: 'rules' };

// Without a model the planner does no I/O at all: no `arrange`, and nothing in flight to cancel.
describeToolConformance(planner(), {
  label: 'planner (rules)',
  validInput: { question },
  invalidInput: { question: '' },
});

describeToolConformance(planner(), {
  label: 'planner (language model)',
  llm,
  validInput: { question },
  invalidInput: { question: 42 },
  arrange: () => {
    const scope = answers(JSON.stringify({ intent: 'quiz', topic: 'RxJS operators' }))();
    return () => scope.done();
  },
  arrangeHang: () =>
    void model()
      .delay(10_000)
      .reply(200, sseBody(['{}']), SSE),
});

describe('planner without a language model', () => {
  useNock();

  it('plans by rules and says so', async () => {
    const h = toolHarness(planner());
    expect(await h.outcome({ question })).toEqual({ value: byRules });
    expect(h.http.requests).toEqual([]);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'planned quiz on "RxJS operators" by rules',
    ]);
  });
});

describe('planner with a language model (ctx.llm)', () => {
  useNock();

  it('asks the model in JSON mode, with the model and key of the settings, and uses its plan', async () => {
    const sent: unknown[] = [];
    const scope = model()
      .matchHeader('authorization', `Bearer ${KEY}`)
      .matchHeader('traceparent', /^00-/)
      .reply(
        200,
        (_uri, body) => {
          sent.push(body);
          return sseBody(['{"intent":"quiz",', '"topic":" operators of RxJS "}'], [50, 12]);
        },
        SSE,
      );
    const h = toolHarness(planner(), [], llm);
    expect(await h.outcome({ question })).toEqual({
      value: { intent: 'quiz', topic: 'operators of RxJS', source: 'llm' },
    });
    scope.done();
    expect(sent).toEqual([
      {
        model: 'planner-model',
        messages: [
          { role: 'system', content: expect.stringContaining('"intent": "quiz" | "answer" | "grade"') },
          { role: 'user', content: question },
        ],
        response_format: { type: 'json_object' },
        // The kit always streams over HTTP; the plan itself never reaches the session (below).
        stream: true,
        stream_options: { include_usage: true },
      },
    ]);
    expect(h.run.types()).toEqual(['tool.started', 'tool.progress', 'tool.completed']);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'planned quiz on "operators of RxJS" by the LLM',
    ]);
    // The model's tokens count into the call's usage.
    expect(h.run.ofType('tool.completed')[0]?.meta).toMatchObject({
      usage: { tokens_in: 50, tokens_out: 12 },
      model: 'fake-model',
    });
    expect(JSON.stringify(h.run.events)).not.toContain(KEY);
  });

  it('lets the model overrule the rules', async () => {
    answers('{"intent":"answer","topic":"the quiz operator"}')();
    const h = toolHarness(planner(), [], llm);
    expect((await h.outcome({ question: 'Is there a quiz operator?' })).value).toEqual({
      intent: 'answer',
      topic: 'the quiz operator',
      source: 'llm',
    });
  });

  it.each([
    ['HTTP 500', () => model().reply(500), `language model: HTTP 500 from ${LLM}`],
    [
      'HTTP 401',
      () => model().reply(401, 'invalid api key'),
      `language model: HTTP 401 from ${LLM}: invalid api key`,
    ],
    [
      'a reset connection',
      () => model().replyWithError('socket hang up'),
      `language model: connection failed to ${LLM}: socket hang up`,
    ],
    [
      'a reply that is not an event stream',
      () => model().reply(200, { choices: [] }),
      `language model: expected text/event-stream from ${LLM}, got "application/json"`,
    ],
    ['an empty answer', answers(''), `language model: empty completion from ${LLM} (finish_reason stop)`],
    [
      'an answer that is not JSON',
      answers('I think it is a quiz'),
      'unusable LLM reply: the reply is not JSON',
    ],
    [
      'an unknown intent',
      answers('{"intent":"chat","topic":"RxJS"}'),
      'unusable LLM reply: intent "chat" is not one of quiz, answer, grade',
    ],
    [
      'no intent',
      answers('{"topic":"RxJS"}'),
      'unusable LLM reply: intent undefined is not one of quiz, answer, grade',
    ],
    [
      'an empty topic',
      answers('{"intent":"quiz","topic":"  "}'),
      'unusable LLM reply: the reply has no topic',
    ],
    [
      'a JSON array',
      answers('["quiz"]'),
      'unusable LLM reply: intent undefined is not one of quiz, answer, grade',
    ],
  ])('falls back to the rules on %s, saying why', async (_what, arrange, reason) => {
    arrange();
    const h = toolHarness(planner(), [], llm);
    expect(await h.outcome({ question })).toEqual({ value: byRules });
    expect(h.http.requests).toHaveLength(1);
    expect(h.run.types()).toEqual(['tool.started', 'tool.progress', 'tool.completed']);
    expect(h.run.ofType('tool.progress')[0]).toMatchObject({
      message: `LLM planner failed (${reason}); planned quiz on "RxJS operators" by rules`,
      meta: { intent: 'quiz', fallback: 'rules', reason },
    });
  });

  it("takes the kit's retries of a busy model, then falls back when they fail too", async () => {
    model().times(3).reply(503);
    const h = toolHarness(planner(), [], { ...llm, retries: 2, retryDelayMs: 1 });
    expect(await h.outcome({ question })).toEqual({ value: byRules });
    expect(h.http.requests).toHaveLength(3);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'the language model is busy; retrying in 1 ms',
      'the language model is busy; retrying in 2 ms',
      `LLM planner failed (language model: HTTP 503 from ${LLM}); planned quiz on "RxJS operators" by rules`,
    ]);
  });

  it('falls back to the rules when the model is slower than the planner’s timeout, aborting the request', async () => {
    model()
      .delay(10_000)
      .reply(200, sseBody(['{"intent":"answer","topic":"x"}']), SSE);
    const h = toolHarness(planner({ timeoutMs: 100 }), [], llm);
    expect(await h.outcome({ question })).toEqual({ value: byRules });
    expect(h.http.requests).toHaveLength(1);
    // The planner stopped waiting and the kit aborted the request: nothing is left running.
    expect(h.http.allAborted()).toBe(true);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'LLM planner failed (the language model did not answer within 100 ms); planned quiz on "RxJS operators" by rules',
    ]);
  });

  it('does not fall back when the run is cancelled mid-call: the cancel wins', async () => {
    const requested = new Promise((resolve) =>
      model()
        .delay(10_000)
        .reply(200, sseBody(['{"intent":"answer","topic":"x"}']), SSE)
        .on('request', resolve),
    );
    const h = toolHarness(planner(), [], llm);
    const ended = h.outcome({ question });
    await requested;
    expect(h.http.requests).toHaveLength(1);
    h.run.controller.abort();
    expect((await ended).error).toMatchObject({ code: 'RUN_CANCELLED' });
    await h.http.settled();
    expect(h.http.allAborted()).toBe(true);
    expect(h.run.types()).toEqual(['tool.started']);
  });

  // Through callTool the core hides what a cancelled tool does next; called directly, the tool itself must rethrow.
  it('rethrows the abort reason of a cancel the model call ends with, without planning by rules', async () => {
    const controller = new AbortController();
    const reason = new TributaryError('RUN_CANCELLED', 'cancelled by the user');
    const progress: string[] = [];
    const ctx = {
      signal: controller.signal,
      session_id: 's1',
      run_id: 'r1',
      attempt: 1,
      progress: (message: string) => progress.push(message),
      logger: pino({ level: 'silent' }),
      fetch,
      llm: {
        configured: true,
        chat: () => {
          controller.abort(reason);
          return Promise.reject(reason);
        },
      },
    } satisfies ToolContext;
    await expect(planner().execute({ question }, ctx)).rejects.toBe(reason);
    expect(progress).toEqual([]);
  });

  it('refuses a timeoutMs that is not a positive integer, naming the field', () => {
    expect(() => planner({ timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'planner.timeoutMs' }),
    );
  });
});
