import { describe, expect, it } from 'vitest';
import {
  answerPrompt,
  gradeAnswers,
  gradeOfResult,
  quizOfResult,
  readAnswerLine,
  renderGrade,
  renderQuestion,
  type CliQuiz,
} from './quiz-answers.ts';

const choice = { id: 'q1', prompt: 'Which one queues?', choices: ['mergeMap', 'concatMap', 'b'] };
const open = { id: 'q2', prompt: 'Explain takeUntil.', choices: [] };
const quiz: CliQuiz = { topic: 'RxJS operators', questions: [choice, open] };

describe('tributary quiz: a typed line as an answer', () => {
  it('a choice by its text (any case, before letters), its letter or its number; sent as the choice’s text', () => {
    expect(readAnswerLine(choice, ' CONCATMAP ')).toEqual({ ok: true, answer: 'concatMap' });
    expect(readAnswerLine(choice, 'b')).toEqual({ ok: true, answer: 'b' });
    expect(readAnswerLine(choice, 'A)')).toEqual({ ok: true, answer: 'mergeMap' });
    expect(readAnswerLine(choice, '(c)')).toEqual({ ok: true, answer: 'b' });
    expect(readAnswerLine(choice, '2')).toEqual({ ok: true, answer: 'concatMap' });
  });

  it('an empty line skips; a letter or number the question does not have says what to type', () => {
    expect(readAnswerLine(choice, '   ')).toEqual({ ok: true, answer: undefined });
    for (const line of ['d', '4', '0', 'switchMap'])
      expect(readAnswerLine(choice, line)).toEqual({
        ok: false,
        error: "pick one of a-c (or type the choice's text); Enter skips the question",
      });
  });

  it('an open answer is the text, up to 2000 characters', () => {
    expect(readAnswerLine(open, ' it completes ')).toEqual({ ok: true, answer: 'it completes' });
    expect(readAnswerLine(open, 'x'.repeat(2000))).toMatchObject({ ok: true });
    expect(readAnswerLine(open, 'x'.repeat(2001))).toEqual({
      ok: false,
      error: 'that answer is 2001 characters long; at most 2000 are graded',
    });
  });

  it('the question with lettered choices, and a prompt that says what to type', () => {
    expect(renderQuestion(choice, 0)).toBe('1. Which one queues?\n   a) mergeMap\n   b) concatMap\n   c) b');
    expect(renderQuestion(open, 1)).toBe('2. Explain takeUntil.');
    expect(answerPrompt(choice)).toBe('Your answer (a-c, Enter to skip): ');
    expect(answerPrompt(open)).toBe('Your answer (Enter to skip): ');
  });
});

describe('tributary quiz: the grade run’s input and result', () => {
  it('answers by question id, by number when ids are missing or repeated; skipped ones left out', () => {
    expect(gradeAnswers(quiz, ['concatMap', undefined])).toEqual({ q1: 'concatMap' });
    const noIds: CliQuiz = { topic: '', questions: [{ prompt: 'a', choices: [] }, open] };
    expect(gradeAnswers(noIds, ['x', 'y'])).toEqual({ '1': 'x', '2': 'y' });
    expect(gradeAnswers({ topic: '', questions: [choice, { ...open, id: 'q1' }] }, [undefined, 'y'])).toEqual(
      {
        '2': 'y',
      },
    );
  });

  it('reads the quiz and the grade from run results defensively', () => {
    expect(
      quizOfResult({
        topic: 'RxJS',
        exam: { topic: 'RxJS', questions: [{ id: 'q1', prompt: 'P', kind: 'open' }] },
      }),
    ).toEqual({ topic: 'RxJS', questions: [{ id: 'q1', prompt: 'P', choices: [] }] });
    expect(quizOfResult({ exam: null, topic: 'gardening' })).toBeNull();
    expect(quizOfResult({ exam: { questions: [] } })).toBeNull();
    expect(quizOfResult(undefined)).toBeNull();
    expect(gradeOfResult({ score: 1 })).toBeNull();
    expect(
      gradeOfResult({ score: 1, max_score: 2, feedback: [{ question_id: 'q2', correct: true }, 'junk'] }),
    ).toEqual({
      score: 1,
      max_score: 2,
      feedback: [{ question_id: 'q2', correct: true, feedback: '' }],
    });
  });

  it('prints the score, then each feedback by the question’s number, marked ✓ or ✗', () => {
    const grade = {
      score: 1,
      max_score: 2,
      feedback: [
        { question_id: 'q1', correct: true, feedback: 'Correct: "concatMap".' },
        { question_id: 'q2', correct: false, feedback: 'Expected "notifier".' },
        { question_id: 'zz', correct: false, feedback: 'Unknown.' },
      ],
    };
    expect(renderGrade(grade, quiz)).toBe(
      'Score: 1 / 2\n✓ 1. Correct: "concatMap".\n✗ 2. Expected "notifier".\n✗ zz: Unknown.',
    );
  });
});
