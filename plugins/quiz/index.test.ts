import nock from 'nock';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../contracts.ts';
import { chunks, EXAM, exam, RAG, useFlowRuntime } from '../../tests/fixtures/flow-samples.ts';
import { QUIZ_STEPS } from '../../tests/fixtures/quiz-steps.ts';
import { runFlow, shape } from '../../tests/fixtures/runtime.ts';

const runtime = useFlowRuntime();

describe('quiz flow', () => {
  it('emits the six steps in order with tool events between them, and the quiz in the final message', async () => {
    nock(RAG).post('/search', { query: 'RxJS operators', top_k: 4 }).reply(200, { chunks });
    nock(EXAM)
      .post(
        '/api/generate',
        (body: { topic: string; context: Chunk[] }) =>
          body.topic === 'RxJS operators' && body.context.length === 2,
      )
      .reply(200, { exam });
    const { sessionId, events } = await runFlow(runtime(), 'quiz', { question: 'Quiz me on RxJS operators' });
    expect(shape(events)).toEqual([
      'run.started',
      'tool.started:planner',
      'tool.progress:planner',
      'tool.completed:planner',
      'step:intent_determined',
      'step:start_retrieval',
      'tool.started:rag_search',
      'tool.progress:rag_search',
      'tool.progress:rag_search',
      'tool.completed:rag_search',
      'message:rag_search',
      'step:retrieval_done',
      'step:start_generate_exam',
      'tool.started:generate_exam',
      'tool.progress:generate_exam',
      'tool.progress:generate_exam',
      'tool.completed:generate_exam',
      'step:generate_done',
      'session.updated',
      'step:final_answer',
      'message',
      'run.completed',
    ]);
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([...QUIZ_STEPS]);
    const final = events.filter((e) => e.type === 'message').at(-1)!;
    expect(final.message).toContain('Quiz: RxJS operators (2 questions)');
    expect(final.message).toContain('1. Which operator subscribes concurrently?');
    // The learner sees no answers; the session keeps them for grading.
    expect(JSON.stringify(final.meta)).not.toContain('"answer"');
    expect((await runtime().sessions.get(sessionId)).data.last_exam).toEqual(exam);
    const messages = await runtime().sessions.messages(sessionId);
    expect(messages.map((m) => m.role)).toEqual(['user', 'tool', 'assistant']);
    expect(nock.isDone()).toBe(true);
  });

  it('a RAG failure gives tool_error, tool.failed, a plain-words assistant message, then run.failed', async () => {
    nock(RAG).post('/search').reply(500, { error: 'index offline' });
    const { sessionId, events } = await runFlow(runtime(), 'quiz', { question: 'Quiz me on RxJS operators' });
    expect(shape(events).slice(-6)).toEqual([
      'tool.started:rag_search',
      'tool.progress:rag_search',
      'tool.failed:rag_search',
      'step:tool_error',
      'message',
      'run.failed',
    ]);
    const failed = events.find((e) => e.type === 'tool.failed')!;
    expect(failed.message).toBe(`HTTP 500 from ${RAG}/search`);
    expect(events.find((e) => e.step === 'tool_error')).toMatchObject({
      level: 'error',
      meta: { tool: 'rag_search' },
    });
    const message = events.filter((e) => e.type === 'message').at(-1)!;
    expect(message.message).toBe(
      'Sorry, I could not search the course material: the rag_search service answered HTTP 500.',
    );
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', level: 'error' });
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([
      'intent_determined',
      'start_retrieval',
      'tool_error',
    ]);
    expect((await runtime().sessions.messages(sessionId)).at(-1)).toMatchObject({
      role: 'assistant',
      content: message.message,
    });
  });

  it('cancel mid-retrieval ends with run.cancelled and nothing after it', async () => {
    nock(RAG).post('/search').delay(10_000).reply(200, { chunks });
    const session = await runtime().sessions.create();
    const run = await runtime().runs.create(session.id, {
      input: { question: 'Quiz me on RxJS operators' },
      flow: 'quiz',
    });
    await firstValueFrom(
      runtime()
        .events.events$(session.id)
        .pipe(filter((e) => e.type === 'tool.started' && e.tool === 'rag_search')),
    );
    await runtime().runs.cancel(session.id, run.id, 'user pressed stop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const events = (await runtime().events.list(session.id, { after: 0, limit: 1000 })).filter(
      (e) => e.run_id === run.id,
    );
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', meta: { reason: 'user pressed stop' } });
    expect(shape(events)).not.toContain('tool.completed:rag_search');
    expect(shape(events)).not.toContain('tool.failed:rag_search');
    expect(shape(events)).not.toContain('step:tool_error');
  });

  it('no matching material: says so and completes without calling the exam backend', async () => {
    nock(RAG).post('/search').reply(200, { chunks: [] });
    const { events } = await runFlow(runtime(), 'quiz', { question: 'Quiz me on knitting' });
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toContain(
      'I found nothing about "knitting"',
    );
  });

  it('the quiz message tells how to answer: by number, a letter, the option text or own words', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    nock(EXAM).post('/api/generate').reply(200, { exam });
    const { events } = await runFlow(runtime(), 'quiz', { question: 'Quiz me on RxJS operators' });
    expect(events.filter((e) => e.type === 'message').at(-1)!.message).toMatch(
      /\n {3}b\) concatMap\n[^]*Answer the questions and ask me to grade them\.\n.*grade flow.*"1: b; 2: your explanation": a letter, the option's text or your own words\.$/,
    );
  });
});
