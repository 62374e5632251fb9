import { describe, expect, it } from 'vitest';
import type { Quiz } from './final-answer.ts';
import { formAnswersOf, gradeInput, quizLoop } from './quiz-form.ts';
import { testEvent } from './test-events.ts';

const quiz: Quiz = {
  topic: 'RxJS operators',
  questions: [
    { id: 'q1', prompt: 'Which one queues?', choices: ['mergeMap', 'concatMap', 'b'] },
    { id: 'q2', prompt: 'Explain takeUntil.', choices: [] },
    { id: 'q3', prompt: 'Which one cancels?', choices: ['switchMap', 'exhaustMap'] },
  ],
};

const exam = {
  id: 'x1',
  topic: 'RxJS operators',
  questions: [
    { id: 'q1', kind: 'multiple_choice', prompt: 'Which one queues?', choices: ['mergeMap', 'concatMap'] },
    { id: 'q2', kind: 'open', prompt: 'Explain takeUntil.' },
  ],
};

describe('gradeInput: the form’s answers as the grade run’s input', () => {
  it('keys answers by question id, sends a chosen choice as its text, trims open answers, leaves out blanks', () => {
    expect(gradeInput(quiz, ['1', '  it completes when the notifier emits ', undefined])).toEqual({
      ok: true,
      input: {
        question: 'Grade my answers',
        answers: { q1: 'concatMap', q2: 'it completes when the notifier emits' },
      },
    });
    // A choice whose text is itself a letter goes as its text, which the grade flow matches before letters.
    expect(gradeInput(quiz, ['2', '', '0'])).toMatchObject({
      ok: true,
      input: { answers: { q1: 'b', q3: 'switchMap' } },
    });
  });

  it('keys by question number when the exam has no ids, or the same id twice', () => {
    const noIds: Quiz = {
      topic: '',
      questions: quiz.questions.map(({ prompt, choices }) => ({ prompt, choices })),
    };
    expect(gradeInput(noIds, ['0', 'x'])).toMatchObject({
      ok: true,
      input: { answers: { '1': 'mergeMap', '2': 'x' } },
    });
    const twice: Quiz = {
      topic: '',
      questions: quiz.questions.map((question) => ({ ...question, id: 'q' })),
    };
    expect(gradeInput(twice, [undefined, 'x', '1'])).toMatchObject({
      ok: true,
      input: { answers: { '2': 'x', '3': 'exhaustMap' } },
    });
  });

  it('says so when nothing is answered (whitespace is nothing), pointing at the first question', () => {
    expect(gradeInput(quiz, [])).toEqual({
      ok: false,
      error: 'Answer at least one question before submitting.',
      question: 0,
    });
    expect(gradeInput(quiz, [undefined, '   ', ''])).toMatchObject({ ok: false, question: 0 });
  });

  it('names the question of an answer too long to grade, or a choice the quiz does not have', () => {
    expect(gradeInput(quiz, [undefined, 'x'.repeat(2001)])).toEqual({
      ok: false,
      error: 'Question 2: the answer is 2001 characters long; at most 2000 are graded.',
      question: 1,
    });
    expect(gradeInput(quiz, [undefined, 'x'.repeat(2000)])).toMatchObject({ ok: true });
    expect(gradeInput(quiz, ['7'])).toEqual({
      ok: false,
      error: 'Question 1: pick one of its choices.',
      question: 0,
    });
    expect(gradeInput(quiz, ['b'])).toMatchObject({ ok: false, question: 0 });
  });
});

describe('formAnswersOf: a grade run’s input back into the form', () => {
  it('undoes gradeInput: ids to questions, choice texts to their index', () => {
    const answers = ['1', 'it completes', '0'];
    const sent = gradeInput(quiz, answers);
    expect(sent.ok && formAnswersOf(quiz, sent.input.answers)).toEqual(answers);
  });

  it('takes numbers, letters, any case and the array form; leaves out what names nothing', () => {
    expect(formAnswersOf(quiz, { '1': 'CONCATMAP', '3': 'B' })).toEqual(['1', undefined, '1']);
    expect(
      formAnswersOf(quiz, [
        { question_id: 'q2', answer: 'x' },
        { question_id: 'q9', answer: 'y' },
      ]),
    ).toEqual([undefined, 'x']);
    expect(formAnswersOf(quiz, { q1: 'exhaustMap', q3: 'z', q2: 7 })).toEqual([]);
    expect(formAnswersOf(quiz, 'junk')).toEqual([]);
  });
});

describe('quizLoop: a quiz and its grading, from the session’s events', () => {
  const quizRun = (runId: string, at: number, topic = 'RxJS operators') => [
    testEvent(at, 'run.started', { run_id: runId, meta: { flow: 'quiz' } }),
    testEvent(at + 1, 'message', {
      run_id: runId,
      message: 'Quiz: …',
      meta: { role: 'assistant', exam: { ...exam, topic } },
    }),
    testEvent(at + 2, 'run.completed', { run_id: runId }),
  ];
  const graded = (runId: string, at: number, feedback: unknown[]) => [
    testEvent(at, 'run.started', { run_id: runId, meta: { flow: 'grade' } }),
    testEvent(at + 1, 'message', {
      run_id: runId,
      message: 'Score: 1 / 2',
      meta: { role: 'assistant', score: 1, max_score: 2, feedback },
    }),
    testEvent(at + 2, 'run.completed', { run_id: runId }),
  ];
  const feedback = [
    { question_id: 'q2', correct: false, feedback: 'Expected "notifier".' },
    { question_id: 'q1', correct: true, feedback: 'Correct: "concatMap".' },
    { question_id: 'zz', correct: true, feedback: 'bonus' },
  ];

  it('a grade run shows the quiz it graded, with the score and each feedback on its question', () => {
    const events = [...quizRun('quiz1', 0), ...graded('grade1', 10, feedback)];
    const loop = quizLoop(events, 'grade1');
    expect(loop).toMatchObject({ quizRunId: 'quiz1', latest: true, quiz: { topic: 'RxJS operators' } });
    expect(loop?.grade).toEqual({
      runId: 'grade1',
      status: 'completed',
      score: 1,
      maxScore: 2,
      error: null,
      feedback: [
        { questionId: 'q2', index: 1, correct: false, feedback: 'Expected "notifier".' },
        { questionId: 'q1', index: 0, correct: true, feedback: 'Correct: "concatMap".' },
        { questionId: 'zz', index: null, correct: true, feedback: 'bonus' },
      ],
    });
    // The quiz run's own view shows its latest grading too.
    expect(quizLoop(events, 'quiz1')?.grade?.runId).toBe('grade1');
  });

  it('no score until the grade run ends; a failed one says what its last message said', () => {
    const running = [...quizRun('quiz1', 0), ...graded('grade1', 10, feedback).slice(0, 2)];
    expect(quizLoop(running, 'grade1')?.grade).toMatchObject({
      status: 'running',
      score: null,
      feedback: [],
    });
    const failed = [
      ...quizRun('quiz1', 0),
      testEvent(10, 'run.started', { run_id: 'grade1', meta: { flow: 'grade' } }),
      testEvent(11, 'message', {
        run_id: 'grade1',
        message: 'I could not read your answers: …',
        meta: { role: 'assistant' },
      }),
      testEvent(12, 'run.failed', { run_id: 'grade1', message: 'run failed: input.answers.9 …' }),
    ];
    expect(quizLoop(failed, 'grade1')?.grade).toMatchObject({
      status: 'failed',
      score: null,
      error: 'I could not read your answers: …',
    });
  });

  it('a grade run grades the latest quiz before it; an older quiz is not the latest', () => {
    const events = [
      ...quizRun('quiz1', 0, 'first'),
      ...graded('grade1', 10, []),
      ...quizRun('quiz2', 20, 'second'),
      ...graded('grade2', 30, []),
    ];
    expect(quizLoop(events, 'grade1')).toMatchObject({
      quizRunId: 'quiz1',
      latest: false,
      grade: { runId: 'grade1' },
    });
    expect(quizLoop(events, 'grade2')).toMatchObject({
      quizRunId: 'quiz2',
      latest: true,
      grade: { runId: 'grade2' },
    });
    expect(quizLoop(events, 'quiz1')?.grade?.runId).toBe('grade1');
    expect(quizLoop(events, 'quiz2')).toMatchObject({ latest: true, quiz: { topic: 'second' } });
  });

  it('a grade run started from the page counts before its first event; other runs are no quiz loop', () => {
    const events = [
      ...quizRun('quiz1', 0),
      testEvent(10, 'run.started', { run_id: 'answer1', meta: { flow: 'answer' } }),
    ];
    expect(quizLoop(events, 'answer1')).toBeNull();
    expect(quizLoop(events, 'nope')).toBeNull();
    expect(quizLoop(events, 'quiz1')?.grade).toBeNull();
    const submitted = new Map([['grade1', 'quiz1']]);
    expect(quizLoop(events, 'quiz1', submitted)?.grade).toMatchObject({ runId: 'grade1', status: 'queued' });
    expect(quizLoop(events, 'grade1', submitted)).toMatchObject({
      quizRunId: 'quiz1',
      grade: { status: 'queued' },
    });
    // A grade run in a session with no quiz yet grades nothing: no quiz loop to show.
    expect(quizLoop(graded('grade9', 0, []), 'grade9')).toBeNull();
  });
});
