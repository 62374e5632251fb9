import { describe, expect, it } from 'vitest';
import type { Chunk, Exam, GenerateRequest } from '../../../plugins/contracts.ts';
import { DEMO_CORPUS } from '../../../demo-backends/corpus.ts';
import { ExamInputError, generateExam, gradeExam } from '../../../demo-backends/exam.ts';

/** Demo corpus passages as retrieved chunks. */
function chunks(...ids: string[]): Chunk[] {
  return ids.map((id) => {
    const passage = DEMO_CORPUS.find((candidate) => candidate.id === id);
    if (passage === undefined) throw new Error(`no passage ${id}`);
    return { id, text: passage.text, source: passage.source, score: 0.5 };
  });
}

const context = chunks('rxjs-mergemap', 'rxjs-switchmap', 'rxjs-concatmap', 'rxjs-takeuntil');

function request(change: Partial<GenerateRequest> = {}): GenerateRequest {
  return { topic: 'RxJS operators', context, num_questions: 4, kind: 'mixed', ...change };
}

function thrown(run: () => unknown): ExamInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof ExamInputError) return error;
    throw error;
  }
  throw new Error('expected an ExamInputError');
}

describe('generateExam', () => {
  it('is deterministic: the same request and id give the same exam', () => {
    const newId = () => 'exam-1';
    expect(generateExam(request(), { newId })).toEqual(generateExam(request(), { newId }));
  });

  it('numbers questions q1… and alternates kinds for mixed, starting with multiple choice', () => {
    const exam = generateExam(request({ num_questions: 5 }));
    expect(exam.questions.map((question) => [question.id, question.kind])).toEqual([
      ['q1', 'multiple_choice'],
      ['q2', 'open'],
      ['q3', 'multiple_choice'],
      ['q4', 'open'],
      ['q5', 'multiple_choice'],
    ]);
  });

  it('makes cloze questions: the answer blanked out of its sentence, choices sorted and unique', () => {
    const exam = generateExam(request({ kind: 'multiple_choice', num_questions: 6 }));
    for (const question of exam.questions) {
      const source = context.find((chunk) => chunk.source === question.source);
      const sentence = question.prompt.replace(/^Fill in the blank: /, '');
      expect(source?.text).toContain(sentence.replace('_____', question.answer));
      expect(question.choices).toContain(question.answer);
      expect(question.choices).toHaveLength(4);
      expect(new Set(question.choices?.map((choice) => choice.toLowerCase())).size).toBe(4);
      expect(
        [...(question.choices ?? [])].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
      ).toEqual(question.choices);
    }
  });

  it('asks each chunk’s main term first, and no term twice while fresh ones remain', () => {
    const exam = generateExam(request({ kind: 'multiple_choice', num_questions: 4 }));
    expect(exam.questions.map((question) => question.answer)).toEqual([
      'mergeMap',
      'switchMap',
      'concatMap',
      'takeUntil',
    ]);
  });

  it('makes open questions that ask to explain a term and expect other key words of its chunk', () => {
    const exam = generateExam(request({ kind: 'open', num_questions: 2 }));
    const [first] = exam.questions;
    expect(first).toMatchObject({
      kind: 'open',
      prompt: 'Explain mergeMap as described in rxjs-guide.md#mergemap.',
    });
    const keyWords = first?.answer.split(', ') ?? [];
    expect(keyWords).toHaveLength(3);
    expect(keyWords).not.toContain('mergeMap');
    for (const word of keyWords) expect(context[0]?.text).toContain(word);
  });

  it('still returns num_questions questions when the context has fewer terms', () => {
    const exam = generateExam(request({ context: chunks('openapi-nullable'), num_questions: 20 }));
    expect(exam.questions).toHaveLength(20);
  });

  it('fills the choices from fallback terms when the context has a single short chunk', () => {
    const tiny: Chunk[] = [
      { id: 't', text: 'The BatchSpanProcessor exports finished spans.', source: 't.md', score: 1 },
    ];
    const [question] = generateExam(
      request({ context: tiny, kind: 'multiple_choice', num_questions: 1 }),
    ).questions;
    expect(question?.choices).toHaveLength(4);
    expect(question?.choices).toContain(question?.answer);
  });

  it('refuses a context with nothing to ask about', () => {
    const empty: Chunk[] = [{ id: 'e', text: 'It is what it is.', source: 'e.md', score: 1 }];
    expect(thrown(() => generateExam(request({ context: empty }))).field).toBe('context');
  });
});

describe('gradeExam', () => {
  const exam: Exam = {
    id: 'exam-1',
    topic: 'RxJS',
    questions: [
      {
        id: 'q1',
        kind: 'multiple_choice',
        prompt: 'Fill in the blank: _____ …',
        choices: ['a', 'mergeMap'],
        answer: 'mergeMap',
      },
      { id: 'q2', kind: 'open', prompt: 'Explain takeUntil.', answer: 'notifier, completes, unsubscribes' },
    ],
  };

  it('scores exact (case-insensitive, trimmed) choices and open answers with half the key words', () => {
    const result = gradeExam(exam, [
      { question_id: 'q1', answer: '  MERGEMAP ' },
      { question_id: 'q2', answer: 'When the notifier emits it unsubscribe from the source.' },
    ]);
    expect(result).toMatchObject({ score: 2, max_score: 2 });
    expect(result.feedback[1]?.feedback).toBe('Correct: mentions 2 of 3 key words (notifier, unsubscribes).');
  });

  it('counts a wrong, missing or too thin answer as wrong and says what was expected', () => {
    const result = gradeExam(exam, [{ question_id: 'q2', answer: 'It listens to a notifier.' }]);
    expect(result).toEqual({
      score: 0,
      max_score: 2,
      feedback: [
        { question_id: 'q1', correct: false, feedback: 'No answer given; expected "mergeMap".' },
        {
          question_id: 'q2',
          correct: false,
          feedback:
            'Expected an explanation mentioning at least 2 of: notifier, completes, unsubscribes; mentioned notifier.',
        },
      ],
    });
    expect(gradeExam(exam, [{ question_id: 'q1', answer: 'switchMap' }]).feedback[0]?.feedback).toBe(
      'Expected "mergeMap", got "switchMap".',
    );
  });

  it('refuses answers to unknown questions and double answers, naming the field', () => {
    const unknown = thrown(() => gradeExam(exam, [{ question_id: 'q7', answer: 'x' }]));
    expect(unknown.field).toBe('answers.0.question_id');
    expect(unknown.message).toContain('"q7" is not a question of this exam');
    const twice = thrown(() =>
      gradeExam(exam, [
        { question_id: 'q1', answer: 'x' },
        { question_id: 'q1', answer: 'y' },
      ]),
    );
    expect(twice.field).toBe('answers.1.question_id');
  });
});
