import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { planner } from './index.ts';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { completion, LLM } from '../../tests/fixtures/tool-samples.ts';
import { describeToolConformance } from '../../tests/conformance/tool-conformance.ts';
import { hangOnce, replyOnce } from '../../tests/fixtures/nock-replies.ts';

const llm = new URL(LLM);
const backend = () => nock(llm.origin).post(llm.pathname);
const question = 'Quiz me on RxJS operators';
const byRules = { intent: 'quiz', topic: 'RxJS operators', source: 'rules' };

describe('planner without an LLM', () => {
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

describe('planner with an LLM', () => {
  useNock();

  it('asks the chat completions endpoint in JSON mode and uses its plan', async () => {
    const sent: unknown[] = [];
    const scope = backend()
      .matchHeader('traceparent', /^00-/)
      .reply(200, (_uri, body) => {
        sent.push(body);
        return completion(JSON.stringify({ intent: 'quiz', topic: ' operators of RxJS ' }));
      });
    const h = toolHarness(planner({ llmUrl: LLM }));
    expect(await h.outcome({ question })).toEqual({
      value: { intent: 'quiz', topic: 'operators of RxJS', source: 'llm' },
    });
    scope.done();
    expect(sent).toEqual([
      {
        model: 'tributary-planner',
        messages: [
          { role: 'system', content: expect.stringContaining('"intent": "quiz" | "answer" | "grade"') },
          { role: 'user', content: question },
        ],
        response_format: { type: 'json_object' },
      },
    ]);
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'planned quiz on "operators of RxJS" by the LLM',
    ]);
  });

  it('lets the LLM overrule the rules', async () => {
    backend().reply(200, completion('{"intent":"answer","topic":"the quiz operator"}'));
    const h = toolHarness(planner({ llmUrl: LLM }));
    expect((await h.outcome({ question: 'Is there a quiz operator?' })).value).toEqual({
      intent: 'answer',
      topic: 'the quiz operator',
      source: 'llm',
    });
  });

  const reply = (content: unknown) => () => backend().reply(200, completion(content));
  it.each([
    ['HTTP 500', () => backend().reply(500), `HTTP 500 from ${LLM}`],
    ['HTTP 503 (no retry: the rules are the fallback)', () => backend().reply(503), `HTTP 503 from ${LLM}`],
    [
      'HTTP 401',
      () => backend().reply(401, { error: { message: 'invalid api key' } }),
      `HTTP 401 from ${LLM}: invalid api key`,
    ],
    [
      'a reset connection',
      () => backend().replyWithError({ code: 'ECONNRESET' }),
      `connection failed calling planner at ${LLM}: ECONNRESET`,
    ],
    ['a body that is not JSON', () => backend().reply(200, 'Internal error'), `invalid JSON from ${LLM}`],
    [
      'no choices',
      () => backend().reply(200, { choices: [] }),
      'unusable LLM reply: the reply has no choices[0].message.content',
    ],
    [
      'content that is not JSON',
      reply('I think it is a quiz'),
      'unusable LLM reply: the reply content is not JSON',
    ],
    [
      'an unknown intent',
      reply('{"intent":"chat","topic":"RxJS"}'),
      'unusable LLM reply: intent "chat" is not one of quiz, answer, grade',
    ],
    [
      'no intent',
      reply('{"topic":"RxJS"}'),
      'unusable LLM reply: intent undefined is not one of quiz, answer, grade',
    ],
    ['an empty topic', reply('{"intent":"quiz","topic":"  "}'), 'unusable LLM reply: the reply has no topic'],
    [
      'a JSON array',
      reply('["quiz"]'),
      'unusable LLM reply: intent undefined is not one of quiz, answer, grade',
    ],
  ])('falls back to the rules on %s, saying why', async (_what, arrange, reason) => {
    arrange();
    const h = toolHarness(planner({ llmUrl: LLM }));
    expect(await h.outcome({ question })).toEqual({ value: byRules });
    expect(h.http.requests).toHaveLength(1);
    expect(h.run.types()).toEqual(['tool.started', 'tool.progress', 'tool.completed']);
    expect(h.run.ofType('tool.progress')[0]).toMatchObject({
      message: `LLM planner failed (${reason}); planned quiz on "RxJS operators" by rules`,
      meta: { intent: 'quiz', fallback: 'rules', reason },
    });
  });

  it('falls back to the rules when the LLM is slower than its timeout', async () => {
    backend().delay(2_000).reply(200, completion('{"intent":"answer","topic":"x"}'));
    const h = toolHarness(planner({ llmUrl: LLM, timeoutMs: 100 }));
    expect(await h.outcome({ question })).toEqual({ value: byRules });
    expect(h.http.allAborted()).toBe(true);
    expect(h.run.ofType('tool.progress')[0]?.message).toBe(
      `LLM planner failed (timeout after 100 ms calling planner at ${LLM}); planned quiz on "RxJS operators" by rules`,
    );
  });

  it('does not fall back when the run is cancelled mid-call: the cancel wins', async () => {
    const requested = new Promise((resolve) =>
      backend()
        .delay(10_000)
        .reply(200, completion('{"intent":"answer","topic":"x"}'))
        .on('request', resolve),
    );
    const h = toolHarness(planner({ llmUrl: LLM }));
    const ended = h.outcome({ question });
    await requested;
    expect(h.http.requests).toHaveLength(1);
    h.run.controller.abort();
    expect((await ended).error).toMatchObject({ code: 'RUN_CANCELLED' });
    await h.http.settled();
    expect(h.http.allAborted()).toBe(true);
    expect(h.run.types()).toEqual(['tool.started']);
  });

  it('refuses an llmUrl that is not an absolute http(s) URL', () => {
    expect(() => planner({ llmUrl: 'llm.test/v1' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: 'planner: llmUrl must be an absolute http(s) URL',
      }),
    );
  });
});

// Without an LLM the planner does no I/O at all: no `arrange`, and nothing in flight to cancel.
describeToolConformance(planner(), {
  label: 'planner (rules)',
  validInput: { question: 'Quiz me on RxJS operators' },
  invalidInput: { question: '' },
});

describeToolConformance(planner({ llmUrl: LLM }), {
  label: 'planner (LLM)',
  validInput: { question: 'Quiz me on RxJS operators' },
  invalidInput: { question: 42 },
  arrange: () =>
    replyOnce(
      llm.origin,
      llm.pathname,
      completion(JSON.stringify({ intent: 'quiz', topic: 'RxJS operators' })),
    ),
  arrangeHang: () => hangOnce(llm.origin, llm.pathname),
});
