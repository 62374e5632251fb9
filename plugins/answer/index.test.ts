import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { chunks, RAG, useFlowRuntime } from '../../tests/fixtures/flow-samples.ts';
import { runFlow, shape } from '../../tests/fixtures/runtime.ts';
import { LLM } from '../../tests/fixtures/tool-samples.ts';
import { sseBody } from '../../tests/unit/llm/fake-openai-server.ts';

const STEPS = ['intent_determined', 'start_retrieval', 'retrieval_done', 'final_answer'];
const steps = (events: Array<{ type: string; step: string | null }>) =>
  events.filter((e) => e.type === 'step').map((e) => e.step);

describe('answer flow', () => {
  const runtime = useFlowRuntime();

  it('answer: retrieves and answers from the passages, citing sources', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    const { events } = await runFlow(runtime(), 'answer', { question: 'What does mergeMap do?' });
    expect(steps(events)).toEqual(STEPS);
    const answer = events.filter((e) => e.type === 'message').at(-1)!.message;
    expect(answer).toContain(
      'mergeMap subscribes to inner Observables concurrently. [rxjs-guide.md#mergemap]',
    );
    expect(answer).toContain('Sources: rxjs-guide.md#mergemap, rxjs-guide.md#takeuntil');
  });
});

describe('answer flow with a language model (LLM_URL)', () => {
  const runtime = useFlowRuntime({ LLM_URL: LLM, LLM_MODEL: 'tutor-model' });
  const endpoint = new URL(LLM);
  const model = () => nock(endpoint.origin).post(endpoint.pathname);
  /** The planner asks the same model first, in JSON mode; registered first, it takes that request. */
  const plans = () =>
    nock(endpoint.origin)
      .post(endpoint.pathname, (body: { response_format?: unknown }) => body.response_format !== undefined)
      .reply(200, sseBody(['{"intent":"answer","topic":"mergeMap"}'], [30, 8]), {
        'content-type': 'text/event-stream',
      });

  it('streams the answer the model writes: deltas, then the one assistant message; the run counts its tokens', async () => {
    plans();
    nock(RAG).post('/search').reply(200, { chunks });
    const pieces = ['mergeMap runs ', 'inner streams ', 'concurrently [rxjs-guide.md#mergemap].'];
    model().reply(200, sseBody(pieces, [120, 9]), { 'content-type': 'text/event-stream' });
    const { events, sessionId, runId } = await runFlow(runtime(), 'answer', {
      question: 'What does mergeMap do?',
    });
    expect(steps(events)).toEqual(STEPS);
    expect(events.find((e) => e.step === 'intent_determined')?.meta).toMatchObject({
      intent: 'answer',
      topic: 'mergeMap',
      source: 'llm',
    });
    const whole = pieces.join('');
    const assistant = events.filter((e) => e.type === 'message' && e.meta.role === 'assistant');
    expect(assistant.map((e) => e.message)).toEqual([whole]);
    const deltas = events.filter((e) => e.type === 'message.delta');
    expect(deltas.map((e) => e.meta.text).join('')).toBe(whole);
    // The answer streams inside the compose_answer call, after the final_answer step.
    const order = shape(events).filter(
      (s) => s !== 'message.delta:compose_answer' && s !== 'tool.progress:compose_answer',
    );
    expect(order.slice(order.indexOf('step:final_answer'))).toEqual([
      'step:final_answer',
      'tool.started:compose_answer',
      'message:compose_answer',
      'tool.completed:compose_answer',
      'run.completed',
    ]);
    const run = await runtime().runs.get(sessionId, runId);
    expect(run.result).toEqual({
      answer: whole,
      sources: ['rxjs-guide.md#mergemap', 'rxjs-guide.md#takeuntil'],
      composed_by: 'model',
    });
    // The planner's tokens and the answer's.
    expect(run.usage).toEqual({ tokens_in: 150, tokens_out: 17 });
  });

  it('a model that fails ends in one tool.failed, the tool_error step and a message the user can read', async () => {
    plans();
    nock(RAG).post('/search').reply(200, { chunks });
    model().times(3).reply(500, '{"error":"boom"}');
    const { events } = await runFlow(runtime(), 'answer', { question: 'What does mergeMap do?' });
    expect(events.at(-1)?.type).toBe('run.failed');
    expect(events.filter((e) => e.type === 'tool.failed')).toHaveLength(1);
    expect(steps(events)).toEqual([...STEPS, 'tool_error']);
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toBe(
      'Sorry, I could not compose the answer: the language model server failed (HTTP 500).',
    );
  });
});
