import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { GradeExamInput, GradeExamOutput, GradeRequest, GradeResponse } from '../contracts.ts';
import { defineHttpTool } from '../http/index.ts';
import type { HttpToolOptions } from '../http/index.ts';
import { gradeExamInput, gradeExamOutput } from './schema.ts';

/**
 * Makes the `grade_exam` tool: scores a user's answers to an exam with `POST {baseUrl}/api/grade`
 * on the exam backend. One retry for network errors, timeouts and 502/503/504.
 *
 * @example
 * ```ts
 * registry.register(gradeExam({ baseUrl: config.EXAM_URL }));
 * ctx.callTool<GradeExamOutput>('grade_exam', { exam, answers: [{ question_id: 'q1', answer: 'map' }] });
 * ```
 */
export function gradeExam(options: HttpToolOptions): ToolDefinition<GradeExamInput, GradeExamOutput> {
  return defineHttpTool<GradeExamInput, GradeExamOutput, GradeRequest, GradeResponse>({
    ...options,
    name: 'grade_exam',
    version: '1.0.0',
    description:
      'Grades answers to an exam made by generate_exam: returns the score, the maximum score and ' +
      'feedback for each question.',
    input: gradeExamInput,
    output: gradeExamOutput,
    path: '/api/grade',
    toBody: ({ exam, answers }) => ({ exam, answers }),
    fromResponse: ({ score, max_score, feedback }) => ({ score, max_score, feedback }),
    progress: {
      request({ exam, answers }) {
        const n = answers.length;
        return [
          `grading ${n} ${n === 1 ? 'answer' : 'answers'} on "${exam.topic}"`,
          { answers: n, questions: exam.questions.length },
        ];
      },
      // Only a score that is really there: the reply is unchecked until the output schema sees it.
      response: ({ score, max_score }) =>
        typeof score === 'number' && typeof max_score === 'number'
          ? [`scored ${score} of ${max_score}`, { score, max_score }]
          : undefined,
    },
  });
}
