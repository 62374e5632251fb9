import nock from 'nock';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../core/index.ts';
import type { Chunk, Exam } from '../../../plugins/contracts.ts';
import { runFlow, shape, startFlowRuntime } from './flow-runtime.ts';
import { QUIZ_STEPS } from '../../fixtures/quiz-steps.ts';

const RAG = 'http://rag.flows.test';
const EXAM = 'http://exam.flows.test';
const chunks: Chunk[] = [
  {
    id: 'c1',
    text: 'mergeMap subscribes to inner Observables concurrently.',
    source: 'rxjs-guide.md#mergemap',
    score: 0.9,
  },
  {
    id: 'c2',
    text: 'takeUntil completes when a notifier emits.',
    source: 'rxjs-guide.md#takeuntil',
    score: 0.5,
  },
];
const exam: Exam = {
  id: 'exam-1',
  topic: 'RxJS operators',
  questions: [
    {
      id: 'q1',
      kind: 'multiple_choice',
      prompt: 'Which operator subscribes concurrently?',
      choices: ['mergeMap', 'concatMap'],
      answer: 'mergeMap',
    },
    { id: 'q2', kind: 'open', prompt: 'Explain takeUntil.', answer: 'notifier completes' },
  ],
};

let runtime: Runtime;
beforeEach(async () => {
  nock.disableNetConnect();
  runtime = await startFlowRuntime({ ragUrl: RAG, examUrl: EXAM });
});
afterEach(async () => {
  await runtime.shutdown();
  nock.cleanAll();
  nock.enableNetConnect();
});

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
    const { sessionId, events } = await runFlow(runtime, 'quiz', { question: 'Quiz me on RxJS operators' });
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
    expect((await runtime.sessions.get(sessionId)).data.last_exam).toEqual(exam);
    const messages = await runtime.store.listMessages(sessionId);
    expect(messages.map((m) => m.role)).toEqual(['user', 'tool', 'assistant']);
    expect(nock.isDone()).toBe(true);
  });

  it('a RAG failure gives tool_error, tool.failed, a plain-words assistant message, then run.failed', async () => {
    nock(RAG).post('/search').reply(500, { error: 'index offline' });
    const { sessionId, events } = await runFlow(runtime, 'quiz', { question: 'Quiz me on RxJS operators' });
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
    expect((await runtime.store.listMessages(sessionId)).at(-1)).toMatchObject({
      role: 'assistant',
      content: message.message,
    });
  });

  it('cancel mid-retrieval ends with run.cancelled and nothing after it', async () => {
    nock(RAG).post('/search').delay(10_000).reply(200, { chunks });
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, {
      input: { question: 'Quiz me on RxJS operators' },
      flow: 'quiz',
    });
    await firstValueFrom(
      runtime.events
        .events$(session.id)
        .pipe(filter((e) => e.type === 'tool.started' && e.tool === 'rag_search')),
    );
    await runtime.runs.cancel(session.id, run.id, 'user pressed stop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const events = (await runtime.store.listEvents(session.id, { after: 0, limit: 1000 })).filter(
      (e) => e.run_id === run.id,
    );
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', meta: { reason: 'user pressed stop' } });
    expect(shape(events)).not.toContain('tool.completed:rag_search');
    expect(shape(events)).not.toContain('tool.failed:rag_search');
    expect(shape(events)).not.toContain('step:tool_error');
  });

  it('no matching material: says so and completes without calling the exam backend', async () => {
    nock(RAG).post('/search').reply(200, { chunks: [] });
    const { events } = await runFlow(runtime, 'quiz', { question: 'Quiz me on knitting' });
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toContain(
      'I found nothing about "knitting"',
    );
  });
});

describe('answer and grade flows', () => {
  it('answer: retrieves and answers from the passages, citing sources', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    const { events } = await runFlow(runtime, 'answer', { question: 'What does mergeMap do?' });
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([
      'intent_determined',
      'start_retrieval',
      'retrieval_done',
      'final_answer',
    ]);
    const answer = events.filter((e) => e.type === 'message').at(-1)!.message;
    expect(answer).toContain(
      'mergeMap subscribes to inner Observables concurrently. [rxjs-guide.md#mergemap]',
    );
    expect(answer).toContain('Sources: rxjs-guide.md#mergemap, rxjs-guide.md#takeuntil');
  });

  it('grade: grades answers against the session’s last quiz', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    nock(EXAM).post('/api/generate').reply(200, { exam });
    const quiz = await runFlow(runtime, 'quiz', { question: 'Quiz me on RxJS operators' });
    nock(EXAM)
      .post(
        '/api/grade',
        (body: { exam: Exam; answers: unknown[] }) => body.exam.id === exam.id && body.answers.length === 1,
      )
      .reply(200, {
        score: 1,
        max_score: 2,
        feedback: [{ question_id: 'q1', correct: true, feedback: 'right' }],
      });
    const { events } = await runFlow(
      runtime,
      'grade',
      { question: 'grade my answers', answers: [{ question_id: 'q1', answer: 'mergeMap' }] },
      quiz.sessionId,
    );
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toContain('Score: 1 / 2');
    expect((await runtime.sessions.get(quiz.sessionId)).data.last_grade).toEqual({
      exam_id: 'exam-1',
      score: 1,
      max_score: 2,
    });
  });

  /** Runs a quiz (nock) in a new session, then `grade` with `input` there; returns what grade_exam got sent. */
  async function gradeAfterQuiz(input: Record<string, unknown>) {
    nock(RAG).post('/search').reply(200, { chunks });
    nock(EXAM).post('/api/generate').reply(200, { exam });
    const quiz = await runFlow(runtime, 'quiz', { question: 'Quiz me on RxJS operators' });
    let sent: unknown;
    nock(EXAM)
      .post('/api/grade', (body: { answers: unknown }) => {
        sent = body.answers;
        return true;
      })
      .reply(200, {
        score: 2,
        max_score: 2,
        feedback: [
          { question_id: 'q1', correct: true, feedback: 'Correct: "mergeMap".' },
          { question_id: 'q2', correct: true, feedback: 'Correct.' },
        ],
      });
    const graded = await runFlow(runtime, 'grade', input, quiz.sessionId);
    return { ...graded, sent };
  }

  it('the quiz message tells how to answer: by number, a letter, the option text or own words', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    nock(EXAM).post('/api/generate').reply(200, { exam });
    const { events } = await runFlow(runtime, 'quiz', { question: 'Quiz me on RxJS operators' });
    expect(events.filter((e) => e.type === 'message').at(-1)!.message).toMatch(
      /\n {3}b\) concatMap\n[^]*Answer the questions and ask me to grade them\.\n.*grade flow.*"1: b; 2: your explanation": a letter, the option's text or your own words\.$/,
    );
  });

  it('grade: letters keyed by question number, as the quiz message shows them, are graded as the chosen option', async () => {
    const { events, sent } = await gradeAfterQuiz({
      question: 'grade my answers',
      answers: { '1': 'a', '2': 'it completes when the notifier emits' },
    });
    expect(sent).toEqual([
      { question_id: 'q1', answer: 'mergeMap' },
      { question_id: 'q2', answer: 'it completes when the notifier emits' },
    ]);
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([
      'intent_determined',
      'start_grading',
      'grading_done',
      'final_answer',
    ]);
    // Feedback by the numbers the learner answered with.
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toBe(
      'Score: 2 / 2\n\n✓ 1. Correct: "mergeMap".\n✓ 2. Correct.',
    );
  });

  it('grade: answers written in the question alone ("1 mergeMap, 2 …") are graded, with no input.answers', async () => {
    const { events, sent } = await gradeAfterQuiz({
      question: 'grade my answers: 1 I think mergeMap, 2 the notifier completes it',
    });
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(sent).toEqual([
      { question_id: 'q1', answer: 'mergeMap' },
      { question_id: 'q2', answer: 'the notifier completes it' },
    ]);
  });

  it('grade: a key that names no question fails the run before grading, saying how to answer', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    nock(EXAM).post('/api/generate').reply(200, { exam });
    const quiz = await runFlow(runtime, 'quiz', { question: 'Quiz me on RxJS operators' });
    const { events } = await runFlow(
      runtime,
      'grade',
      { question: 'grade', answers: { '5': 'b' } },
      quiz.sessionId,
    );
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toBe(
      'I could not read your answers: input.answers.5: "5" is not a question of the quiz; use its number (1 to 2) or its id (q1, …). ' +
        'Send one answer per question, by its number: a letter, the option’s text or your own words, e.g. "1: b; 2: your explanation".',
    );
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', meta: { code: 'INVALID_ARGUMENT' } });
    expect(shape(events)).not.toContain('tool.started:grade_exam');
  });

  it('grade without a quiz in the session fails with a clear message', async () => {
    const { events } = await runFlow(runtime, 'grade', {
      question: 'grade my answers',
      answers: [{ question_id: 'q1', answer: 'x' }],
    });
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toBe(
      'There is no quiz to grade in this session yet: ask for a quiz first.',
    );
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', meta: { code: 'INVALID_ARGUMENT' } });
  });
});
