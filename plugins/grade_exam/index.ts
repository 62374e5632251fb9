import { defineTool } from '../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { GradeExamInput, GradeExamOutput, GradeRequest, GradeResponse } from '../contracts.ts';
import { httpToolPolicy, postJson, toolEndpoint } from '../http/index.ts';
import type { HttpToolOptions } from '../http/index.ts';
import { gradeExamInput, gradeExamOutput } from './schema.ts';

const NAME = 'grade_exam';

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
  const url = toolEndpoint(NAME, options.baseUrl, '/api/grade');
  const { timeoutMs, maxBytes } = options;
  return defineTool<GradeExamInput, GradeExamOutput>({
    name: NAME,
    version: '1.0.0',
    description:
      'Grades answers to an exam made by generate_exam: returns the score, the maximum score and ' +
      'feedback for each question.',
    input: gradeExamInput,
    output: gradeExamOutput,
    ...httpToolPolicy(NAME, options),
    async execute({ exam, answers }, ctx) {
      const n = answers.length;
      ctx.progress(`grading ${n} ${n === 1 ? 'answer' : 'answers'} on "${exam.topic}"`, {
        answers: n,
        questions: exam.questions.length,
      });
      const body: GradeRequest = { exam, answers };
      const reply = await postJson<GradeResponse>(ctx, { tool: NAME, url, body, timeoutMs, maxBytes });
      const { score, max_score, feedback } = reply;
      // The reply is unchecked until the output schema sees it: report only a score that is really there.
      if (typeof score === 'number' && typeof max_score === 'number') {
        ctx.progress(`scored ${score} of ${max_score}`, { score, max_score });
      }
      return { score, max_score, feedback };
    },
  });
}
