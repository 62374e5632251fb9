import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { allEvents, eventWhere, newSession, runToEnd, useDemoBackends, useGateway } from './platform.ts';
import { QUIZ_STEPS } from '../../fixtures/quiz-steps.ts';

const QUESTION = 'Quiz me on mergeMap concurrency';
const isEnd = (events: SessionEvent[]) =>
  events.some((event) => /^run\.(completed|failed|cancelled)$/.test(event.type));

interface Question {
  id: string;
  kind: string;
  choices?: string[];
  answer?: unknown;
}

describe('the quiz flow end to end over HTTP, against the bundled demo backends', () => {
  const gw = useGateway();

  it('session → run → SSE events in order → quiz message → answers graded by the grade flow', async () => {
    const api = gw().api;
    const id = await newSession(api, { user_id: 'ann', agent_id: 'quiz', name: 'mergeMap revision' });
    const sse = await gw().sse(`/v1/sessions/${id}/events/stream`);
    const { data: run, response } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: QUESTION, num_questions: 2, kind: 'multiple_choice' } },
    });
    expect(response.status).toBe(202);
    expect(run).toMatchObject({ flow: 'quiz', status: 'running' });
    const events = await sse.until(isEnd);
    sse.close();

    const ofRun = events.filter((event) => event.run_id === run!.id);
    expect(ofRun[0]!.type).toBe('run.started');
    expect(ofRun.at(-1)!.type).toBe('run.completed');
    expect(ofRun.filter((event) => event.type === 'step').map((event) => event.step)).toEqual(QUIZ_STEPS);
    for (const tool of ['planner', 'rag_search', 'generate_exam']) {
      const calls = ofRun
        .filter((event) => event.tool === tool && event.type.startsWith('tool.'))
        .map((event) => event.type);
      expect(calls[0]).toBe('tool.started');
      expect(calls.at(-1)).toBe('tool.completed');
    }
    expect(events.every((event) => event.level !== 'error')).toBe(true);
    expect(events).toEqual(await allEvents(api, id));

    const done = await runToEnd(api, id, run!.id);
    const exam = (done.result as { exam: { id: string; questions: Question[] } }).exam;
    expect(exam.questions).toHaveLength(2);
    // The quiz as sent has no answers; the session keeps them for grading.
    expect(exam.questions.every((question) => question.answer === undefined)).toBe(true);
    const { data: session } = await api.GET('/v1/sessions/{session_id}', {
      params: { path: { session_id: id } },
    });
    const kept = (session!.data as { last_exam: { id: string; questions: Question[] } }).last_exam;
    expect(kept.id).toBe(exam.id);
    const { data: messages } = await api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: id } },
    });
    expect(messages!.items.map((message) => message.role)).toEqual(['user', 'tool', 'assistant']);
    const quizText = messages!.items[2]!.content;
    for (const question of exam.questions)
      for (const choice of question.choices ?? []) expect(quizText).toContain(choice);

    const answers = kept.questions.map((question, i) => ({
      question_id: question.id,
      answer: i === 0 ? String(question.answer) : 'surely wrong',
    }));
    const { data: grading } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'Grade my answers', answers }, flow: 'grade' },
    });
    const graded = await runToEnd(api, id, grading!.id);
    expect(graded).toMatchObject({ status: 'completed', result: { score: 1, max_score: 2 } });
    const after = await api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: id } },
    });
    expect(after.data!.items.at(-1)!.content).toMatch(/^Score: 1 \/ 2/);
  });
});

describe('the quiz flow when a backend fails', () => {
  const demo = useDemoBackends({ failureRate: 1 });
  const gw = useGateway(() => ({ RAG_URL: demo().ragUrl, EXAM_URL: demo().examUrl }));

  it('ends with tool.failed, a tool_error step, an assistant message saying what failed, and run.failed', async () => {
    const api = gw().api;
    const id = await newSession(api, { agent_id: 'quiz' });
    const { data: run } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: QUESTION } },
    });
    const done = await runToEnd(api, id, run!.id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'TOOL_FAILED' } });
    const ofRun = (await allEvents(api, id)).filter((event) => event.run_id === run!.id);
    expect(ofRun.at(-1)).toMatchObject({ type: 'run.failed', level: 'error' });
    expect(ofRun.filter((event) => /^run\.(completed|failed|cancelled)$/.test(event.type))).toHaveLength(1);
    expect(ofRun.find((event) => event.type === 'tool.failed')).toMatchObject({
      tool: 'rag_search',
      level: 'error',
    });
    expect(ofRun.find((event) => event.step === 'tool_error')).toBeDefined();
    expect(ofRun.some((event) => event.step === 'retrieval_done')).toBe(false);
    const { data: messages } = await api.GET('/v1/sessions/{session_id}/messages', {
      params: { path: { session_id: id } },
    });
    const last = messages!.items.at(-1)!;
    expect(last.role).toBe('assistant');
    expect(last.content).toMatch(/rag_search|search/i);
  });
});

describe('cancelling a quiz over HTTP', () => {
  const demo = useDemoBackends({ latencyMs: 2000 });
  const gw = useGateway(() => ({ RAG_URL: demo().ragUrl, EXAM_URL: demo().examUrl }));

  it('aborts the in-flight backend call and ends the run with run.cancelled', async () => {
    const api = gw().api;
    const id = await newSession(api, { agent_id: 'quiz' });
    const { data: run } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: QUESTION } },
    });
    await eventWhere(api, id, (event) => event.type === 'tool.started' && event.tool === 'rag_search');
    const started = Date.now();
    const { data, response } = await api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', {
      params: { path: { session_id: id, run_id: run!.id } },
    });
    expect(response.status).toBe(202);
    expect(data!.status).toBe('cancelled');
    // Well before the backend's 2 s answer: the call was aborted, not waited for.
    expect(Date.now() - started).toBeLessThan(1000);
    const ofRun = (await allEvents(api, id)).filter((event) => event.run_id === run!.id);
    expect(ofRun.at(-1)!.type).toBe('run.cancelled');
    expect(ofRun.some((event) => event.type === 'run.completed' || event.type === 'run.failed')).toBe(false);
  });
});
