import nock from 'nock';
import { describe, expect, it } from 'vitest';
import type { LlmSettings } from '../../core/llm/language-model.ts';
import { describeToolConformance } from '../../tests/conformance/tool-conformance.ts';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { chunks, LLM } from '../../tests/fixtures/tool-samples.ts';
import { sseBody } from '../../tests/unit/llm/fake-openai-server.ts';
import { composeAnswer, extractAnswer } from './index.ts';

const llm: LlmSettings = { url: LLM, model: 'tutor-model', retryDelayMs: 1 };
const endpoint = new URL(LLM);
const model = () => nock(endpoint.origin).post(endpoint.pathname);
const streamed = (pieces: string[]) =>
  model().reply(200, sseBody(pieces, [40, pieces.length]), { 'content-type': 'text/event-stream' });
const question = 'What does switchMap do?';
const input = { question, passages: chunks };

describeToolConformance(composeAnswer(), {
  label: 'compose_answer (no language model)',
  validInput: input,
  invalidInput: { question: '', passages: chunks },
});

describeToolConformance(composeAnswer(), {
  label: 'compose_answer (language model)',
  llm,
  validInput: input,
  invalidInput: { question, passages: 'not a list' },
  arrange: () => {
    const scope = streamed(['It cancels ', 'the previous inner stream [rxjs-guide.md#switchmap].']);
    return () => scope.done();
  },
  arrangeHang: () =>
    void model()
      .delay(10_000)
      .reply(200, sseBody(['late']), { 'content-type': 'text/event-stream' }),
});

describe('compose_answer', () => {
  useNock();

  it('without a language model quotes the best passages with their sources, and says why', async () => {
    const h = toolHarness(composeAnswer());
    const { value } = await h.outcome(input);
    expect(value).toEqual({
      answer: extractAnswer(question, chunks),
      sources: ['rxjs-guide.md#map', 'rxjs-guide.md#switchmap'],
      composed_by: 'extract',
    });
    expect(h.run.ofType('tool.progress').map((e) => e.message)).toEqual([
      'quoting the best passages (no language model configured)',
    ]);
    expect(h.run.ofType('message')).toEqual([]);
  });

  it('with one, streams the answer the model writes from the passages into the session', async () => {
    const sent: Array<{ messages: Array<{ role: string; content: string }> }> = [];
    model().reply(
      200,
      (_uri, body) => {
        sent.push(body as (typeof sent)[number]);
        return sseBody(['It cancels ', 'the previous one.']);
      },
      { 'content-type': 'text/event-stream' },
    );
    const h = toolHarness(composeAnswer(), [], llm);
    const { value } = await h.outcome(input);
    expect(value).toEqual({
      answer: 'It cancels the previous one.',
      sources: ['rxjs-guide.md#map', 'rxjs-guide.md#switchmap'],
      composed_by: 'model',
    });
    expect(h.run.ofType('message')).toEqual([
      expect.objectContaining({ message: 'It cancels the previous one.', tool: 'compose_answer' }),
    ]);
    expect(
      h.run
        .ofType('message.delta')
        .map((e) => e.meta?.text)
        .join(''),
    ).toBe('It cancels the previous one.');
    // The prompt holds the question and every passage with its source, to be cited.
    const [system, user] = sent[0]!.messages;
    expect(system?.role).toBe('system');
    expect(user?.content).toContain(`Question: ${question}`);
    for (const chunk of chunks) expect(user?.content).toContain(`${chunk.text} [${chunk.source}]`);
  });

  it('with nothing retrieved, says so without asking the model', async () => {
    const h = toolHarness(composeAnswer(), [], llm);
    const { value } = await h.outcome({ question, passages: [] });
    expect(value).toMatchObject({
      composed_by: 'extract',
      answer: expect.stringContaining('I found nothing'),
    });
    expect(h.http.requests).toEqual([]);
  });

  it('fails with what the user may read when the model fails, and never falls back silently', async () => {
    model().times(3).reply(503, '{}');
    const h = toolHarness(composeAnswer(), [], llm);
    const { error } = await h.outcome(input);
    expect(error).toMatchObject({
      code: 'TOOL_FAILED',
      details: { user_message: 'the language model server failed (HTTP 503)' },
    });
    expect(h.run.ofType('tool.failed')).toHaveLength(1);
  });
});
