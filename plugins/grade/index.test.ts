import nock from 'nock';
import { describe, expect, it } from 'vitest';
import type { Exam } from '../contracts.ts';
import { chunks, EXAM, exam, RAG, useFlowRuntime } from '../../tests/fixtures/flow-samples.ts';
import { runFlow, shape } from '../../tests/fixtures/runtime.ts';

const runtime = useFlowRuntime();

describe('grade flow', () => {
  it('grade: grades answers against the session’s last quiz', async () => {
    nock(RAG).post('/search').reply(200, { chunks });
    nock(EXAM).post('/api/generate').reply(200, { exam });
    const quiz = await runFlow(runtime(), 'quiz', { question: 'Quiz me on RxJS operators' });
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
      runtime(),
      'grade',
      { question: 'grade my answers', answers: [{ question_id: 'q1', answer: 'mergeMap' }] },
      quiz.sessionId,
    );
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toContain('Score: 1 / 2');
    expect((await runtime().sessions.get(quiz.sessionId)).data.last_grade).toEqual({
      exam_id: 'exam-1',
      score: 1,
      max_score: 2,
    });
  });

  /** Runs a quiz (nock) in a new session, then `grade` with `input` there; returns what grade_exam got sent. */
  async function gradeAfterQuiz(input: Record<string, unknown>) {
    nock(RAG).post('/search').reply(200, { chunks });
    nock(EXAM).post('/api/generate').reply(200, { exam });
    const quiz = await runFlow(runtime(), 'quiz', { question: 'Quiz me on RxJS operators' });
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
    const graded = await runFlow(runtime(), 'grade', input, quiz.sessionId);
    return { ...graded, sent };
  }

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
    const quiz = await runFlow(runtime(), 'quiz', { question: 'Quiz me on RxJS operators' });
    const { events } = await runFlow(
      runtime(),
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
    const { events } = await runFlow(runtime(), 'grade', {
      question: 'grade my answers',
      answers: [{ question_id: 'q1', answer: 'x' }],
    });
    expect(events.filter((e) => e.type === 'message').at(-1)?.message).toBe(
      'There is no quiz to grade in this session yet: ask for a quiz first.',
    );
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', meta: { code: 'INVALID_ARGUMENT' } });
  });
});
