import { defineFlow, TributaryError, type FlowEmission } from '../../core/index.ts';
import type { Answer, Exam, GradeExamOutput } from '../contracts.ts';
import { determineIntent, step, useTool } from '../flow-kit.ts';

export interface GradeInput {
  question: string;
  answers: Answer[];
}

/** The feedback as readable text for the final assistant message. */
export function renderGrade(result: GradeExamOutput): string {
  const lines = [`Score: ${result.score} / ${result.max_score}`, ''];
  for (const item of result.feedback)
    lines.push(`${item.correct ? '✓' : '✗'} ${item.question_id}: ${item.feedback}`);
  return lines.join('\n');
}

/**
 * The grade flow: grades answers to the session's last quiz (kept in `data.last_exam` by the quiz flow).
 * Steps: `intent_determined`, `start_grading`, `grading_done`, `final_answer`.
 */
export const gradeFlow = defineFlow<GradeInput>({
  name: 'grade',
  version: '1.0.0',
  description: "Grades answers to the session's last quiz",
  tools: ['planner', 'grade_exam'],
  input: {
    type: 'object',
    properties: {
      question: { type: 'string', minLength: 1, maxLength: 4000 },
      answers: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          type: 'object',
          properties: {
            question_id: { type: 'string', minLength: 1 },
            answer: { type: 'string', maxLength: 2000 },
          },
          required: ['question_id', 'answer'],
          additionalProperties: false,
        },
      },
    },
    required: ['question', 'answers'],
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
    yield step('start_grading', `grading ${input.answers.length} answers`, { exam_id: exam.id });
    const graded = yield* useTool<GradeExamOutput>(
      ctx,
      'grade_exam',
      { exam, answers: input.answers },
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
    yield { type: 'message', role: 'assistant', content: renderGrade(graded), meta: { ...graded } };
    yield { type: 'result', result: graded };
  },
});
