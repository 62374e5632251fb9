import { defineFlow, errorMessage, TributaryError, type FlowEmission } from '../../core/index.ts';
import type { Answer, Exam, GradeExamOutput } from '../contracts.ts';
import { MAX_ANSWERS } from '../exam-schemas.ts';
import { determineIntent, step, useTool } from '../flow-kit.ts';
import { collectAnswers, type GivenAnswers } from './answers.ts';

export interface GradeInput {
  /** What the user said; holds the answers when `answers` is left out ("1: b; 2: …"). */
  question: string;
  /** By question id or number: `[{ question_id: '1', answer: 'b' }]` or `{ "1": "b", "q2": "…" }`. */
  answers?: GivenAnswers;
}

/** How to answer, for the messages that ask for answers. */
const HOW_TO_ANSWER =
  'Send one answer per question, by its number: a letter, the option’s text or your own words, e.g. "1: b; 2: your explanation".';

/** An answer as the grade flow's input schema takes it. */
const MAX_ANSWER = 2000;

/**
 * The feedback as readable text for the final assistant message, each question by its number in the
 * quiz (its id when the exam does not have it).
 */
export function renderGrade(result: GradeExamOutput, exam?: Exam): string {
  const lines = [`Score: ${result.score} / ${result.max_score}`, ''];
  for (const item of result.feedback) {
    const index = exam?.questions.findIndex((question) => question.id === item.question_id) ?? -1;
    lines.push(
      `${item.correct ? '✓' : '✗'} ${index >= 0 ? `${index + 1}.` : `${item.question_id}:`} ${item.feedback}`,
    );
  }
  return lines.join('\n');
}

/**
 * The grade flow: grades answers to the session's last quiz (kept in `data.last_exam` by the quiz
 * flow), so the user sends only the answers. They come from `input.answers` or, without it, from
 * the text of `input.question` ("grade my answers: 1 b, 2 mergeMap"); each is keyed by the question's
 * number in the quiz message or its id, and a multiple choice answer may be the choice's letter, its
 * text or free text naming one choice (see {@link collectAnswers}).
 * Steps: `intent_determined`, `start_grading`, `grading_done`, `final_answer`.
 */
export const gradeFlow = defineFlow<GradeInput>({
  name: 'grade',
  version: '1.1.0',
  description:
    "Grades answers to the session's last quiz: by question number or id, as letters, option text or free text",
  tools: ['planner', 'grade_exam'],
  input: {
    type: 'object',
    properties: {
      question: {
        type: 'string',
        minLength: 1,
        maxLength: 4000,
        description:
          'The request; without `answers`, the answers written in it, e.g. "grade my answers: 1 b, 2 mergeMap" or one "1: b" per line',
      },
      answers: {
        // Either form; the array and object keywords below each apply to their own type only.
        type: ['array', 'object'],
        description:
          'The answers, keyed by question number in the quiz ("1") or id ("q1"): `[{question_id, answer}]` or `{"1": "b"}`. ' +
          'A multiple choice answer may be the letter ("b"), the option text ("mergeMap") or free text naming one option.',
        minItems: 1,
        // grade_exam's own limit: more would pass here and fail there.
        maxItems: MAX_ANSWERS,
        items: {
          type: 'object',
          properties: {
            question_id: { type: 'string', minLength: 1, maxLength: 100 },
            answer: { type: 'string', maxLength: MAX_ANSWER },
          },
          required: ['question_id', 'answer'],
          additionalProperties: false,
        },
        minProperties: 1,
        maxProperties: MAX_ANSWERS,
        propertyNames: { minLength: 1, maxLength: 100 },
        additionalProperties: { type: 'string', maxLength: MAX_ANSWER },
      },
    },
    required: ['question'],
  },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    yield* determineIntent(ctx, input.question);
    const exam = ctx.data.last_exam as Exam | undefined;
    if (!exam) {
      yield {
        type: 'message',
        role: 'assistant',
        content: 'There is no quiz to grade in this session yet: ask for a quiz first.',
      };
      throw new TributaryError(
        'INVALID_ARGUMENT',
        'no quiz to grade in this session; run the quiz flow first',
        { field: 'session.data.last_exam' },
      );
    }
    let answers: Answer[];
    try {
      answers = collectAnswers(exam, input);
    } catch (error) {
      yield {
        type: 'message',
        role: 'assistant',
        content: `I could not read your answers: ${errorMessage(error)}. ${HOW_TO_ANSWER}`,
      };
      throw error;
    }
    const n = answers.length;
    yield step('start_grading', `grading ${n} ${n === 1 ? 'answer' : 'answers'}`, { exam_id: exam.id });
    const graded = yield* useTool<GradeExamOutput>(
      ctx,
      'grade_exam',
      { exam, answers },
      'grade your answers',
    );
    yield step('grading_done', `score ${graded.score} / ${graded.max_score}`, {
      score: graded.score,
      max_score: graded.max_score,
    });
    yield {
      type: 'data',
      data: { last_grade: { exam_id: exam.id, score: graded.score, max_score: graded.max_score } },
    };
    yield step('final_answer', 'feedback sent');
    yield { type: 'message', role: 'assistant', content: renderGrade(graded, exam), meta: { ...graded } };
    yield { type: 'result', result: graded };
  },
});
