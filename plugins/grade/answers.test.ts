import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/index.ts';
import type { Exam } from '../contracts.ts';
import { collectAnswers, parseAnswerText, questionIndex, resolveAnswer } from './answers.ts';

/** As the demo exam backend writes them: ids q1…, multiple choice and open questions mixed. */
const exam: Exam = {
  id: 'exam-1',
  topic: 'RxJS operators',
  questions: [
    {
      id: 'q1',
      kind: 'multiple_choice',
      prompt: 'Fill in the blank: _____ subscribes to inner Observables concurrently.',
      choices: ['concatMap', 'mergeMap', 'switchMap', 'exhaust map'],
      answer: 'mergeMap',
    },
    { id: 'q2', kind: 'open', prompt: 'Explain takeUntil.', answer: 'notifier, completes' },
    {
      id: 'q3',
      kind: 'multiple_choice',
      prompt: 'Fill in the blank: _____ keeps the latest inner Observable only.',
      choices: ['a', 'switchMap', 'mergeMap'],
      answer: 'switchMap',
    },
  ],
};
const [q1, q2, q3] = exam.questions as [Exam['questions'][0], Exam['questions'][0], Exam['questions'][0]];

/** The coded error `run` throws. */
function thrown(run: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    run();
  } catch (error) {
    if (!isTributaryError(error)) throw error;
    return { code: error.code, field: error.field, message: error.message };
  }
  throw new Error('expected an error');
}

describe('resolveAnswer: what a multiple choice answer chose', () => {
  it.each([
    ['b', 'mergeMap'],
    ['B', 'mergeMap'],
    ['b)', 'mergeMap'],
    ['(b)', 'mergeMap'],
    ['b.', 'mergeMap'],
    ['option b', 'mergeMap'],
    ['  c  ', 'switchMap'],
    ['b) mergeMap', 'mergeMap'],
  ])('the letter the quiz message shows: %j is %j', (given, chosen) => {
    expect(resolveAnswer(q1, given)).toBe(chosen);
  });

  it.each([
    ['mergeMap', 'mergeMap'],
    ['MERGEMAP', 'mergeMap'],
    ['Exhaust Map', 'exhaust map'],
  ])('the option text in any case: %j is %j', (given, chosen) => {
    expect(resolveAnswer(q1, given)).toBe(chosen);
  });

  it('free text naming exactly one option is that option; naming two, or none, is kept as given', () => {
    expect(resolveAnswer(q1, 'I think it is mergeMap.')).toBe('mergeMap');
    expect(resolveAnswer(q1, 'the Exhaust Map operator')).toBe('exhaust map');
    expect(resolveAnswer(q1, 'mergeMap or concatMap')).toBe('mergeMap or concatMap');
    expect(resolveAnswer(q1, '  no idea ')).toBe('no idea');
    // A word that only contains an option is not the option.
    expect(resolveAnswer(q1, 'mergeMapping')).toBe('mergeMapping');
  });

  it('a letter past the last choice is not a choice; an option that is itself a letter wins over the letter', () => {
    expect(resolveAnswer(q1, 'e')).toBe('e');
    expect(resolveAnswer(q3, 'a')).toBe('a');
    expect(resolveAnswer(q3, 'b')).toBe('switchMap');
  });

  it('an answer to an open question is free text, kept as given (trimmed)', () => {
    expect(resolveAnswer(q2, ' b ')).toBe('b');
    expect(resolveAnswer(q2, 'It completes when the notifier emits.')).toBe(
      'It completes when the notifier emits.',
    );
  });
});

describe('questionIndex: which question a key names', () => {
  it('by id, by number as the quiz message shows it, or by q-number; nothing else', () => {
    expect(questionIndex(exam, 'q2')).toBe(1);
    expect(questionIndex(exam, 'Q2')).toBe(1);
    expect(questionIndex(exam, '2')).toBe(1);
    expect(questionIndex(exam, '#3')).toBe(2);
    expect(questionIndex(exam, 'question 1')).toBe(0);
    expect(questionIndex(exam, '0')).toBeUndefined();
    expect(questionIndex(exam, '4')).toBeUndefined();
    expect(questionIndex(exam, 'q9')).toBeUndefined();
    expect(questionIndex(exam, 'mergeMap')).toBeUndefined();
  });

  it('an id wins over a number: an exam whose ids are numbers out of order is answered by id', () => {
    const renumbered: Exam = {
      ...exam,
      questions: [
        { ...q1, id: '2' },
        { ...q2, id: '1' },
      ],
    };
    expect(questionIndex(renumbered, '2')).toBe(0);
    expect(questionIndex(renumbered, '1')).toBe(1);
  });
});

describe('parseAnswerText: answers written in a message', () => {
  it('"1 b, 2 …" with commas, after a lead-in up to a colon', () => {
    expect(parseAnswerText('grade my answers: 1 b, 2 it completes when the notifier emits', exam)).toEqual([
      { ref: '1', answer: 'b' },
      { ref: '2', answer: 'it completes when the notifier emits' },
    ]);
  });

  it('one per line or separated by ";", with ":", ".", ")" or "=" after the number; commas stay in answers', () => {
    expect(
      parseAnswerText('Grade my answers\n1: b\n2) it completes, then unsubscribes\nq3 = switchMap', exam),
    ).toEqual([
      { ref: '1', answer: 'b' },
      { ref: '2', answer: 'it completes, then unsubscribes' },
      { ref: 'q3', answer: 'switchMap' },
    ]);
    expect(parseAnswerText('1. mergeMap; 3: c', exam)).toEqual([
      { ref: '1', answer: 'mergeMap' },
      { ref: '3', answer: 'c' },
    ]);
  });

  it('a lead-in without a colon ends at question 1; "grade my 2 answers" holds no answer', () => {
    expect(parseAnswerText('grade 1 b, 2 notifier', exam)).toEqual([
      { ref: '1', answer: 'b' },
      { ref: '2', answer: 'notifier' },
    ]);
    expect(parseAnswerText('grade my 2 answers', exam)).toEqual([]);
    expect(parseAnswerText('grade my answers', exam)).toEqual([]);
  });

  it('a part that starts with no question of the quiz continues the answer before it', () => {
    expect(parseAnswerText('1 b, 2 it completes, 7 times over, 3 c', exam)).toEqual([
      { ref: '1', answer: 'b' },
      { ref: '2', answer: 'it completes, 7 times over' },
      { ref: '3', answer: 'c' },
    ]);
  });
});

describe('collectAnswers: what the grade flow sends to grade_exam', () => {
  const expected = [
    { question_id: 'q1', answer: 'mergeMap' },
    { question_id: 'q2', answer: 'it completes when the notifier emits' },
    { question_id: 'q3', answer: 'switchMap' },
  ];

  it('keyed by number: letters, option text and free text, as an object, in question order', () => {
    expect(
      collectAnswers(exam, {
        question: 'grade',
        answers: { '3': 'switchMap', '1': 'b', '2': 'it completes when the notifier emits' },
      }),
    ).toEqual(expected);
  });

  it('keyed by id or number as an array, and written in the question when answers are left out', () => {
    expect(
      collectAnswers(exam, {
        question: 'grade',
        answers: [
          { question_id: 'q1', answer: 'b' },
          { question_id: '2', answer: 'it completes when the notifier emits' },
          { question_id: '#3', answer: 'I would pick switchMap' },
        ],
      }),
    ).toEqual(expected);
    expect(
      collectAnswers(exam, {
        question: 'grade my answers: 1 b, 2 it completes when the notifier emits, 3 b',
      }),
    ).toEqual(expected);
  });

  it('explicit answers win over text in the question', () => {
    expect(collectAnswers(exam, { question: '1 a', answers: { '1': 'b' } })).toEqual([expected[0]]);
  });

  it('refuses a key that names no question, a question answered twice, and no answers at all, naming the field', () => {
    expect(thrown(() => collectAnswers(exam, { question: 'g', answers: { '4': 'b' } }))).toEqual({
      code: 'INVALID_ARGUMENT',
      field: 'input.answers.4',
      message:
        'input.answers.4: "4" is not a question of the quiz; use its number (1 to 3) or its id (q1, …)',
    });
    expect(
      thrown(() =>
        collectAnswers(exam, {
          question: 'g',
          answers: [
            { question_id: 'q1', answer: 'a' },
            { question_id: '1', answer: 'b' },
          ],
        }),
      ),
    ).toMatchObject({
      field: 'input.answers.1.question_id',
      message: expect.stringMatching(/answered twice/),
    });
    expect(thrown(() => collectAnswers(exam, { question: 'grade my answers' }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'input.question',
      message: expect.stringMatching(/^no answers to grade: .*"1: b; 2: your explanation"/),
    });
  });
});
