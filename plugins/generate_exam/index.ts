import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type {
  GenerateExamInput,
  GenerateExamOutput,
  GenerateRequest,
  GenerateResponse,
} from '../contracts.ts';
import { defineHttpTool } from '../http/index.ts';
import type { HttpToolOptions } from '../http/index.ts';
import { DEFAULT_KIND, DEFAULT_NUM_QUESTIONS } from '../exam-schemas.ts';
import { generateExamInput, generateExamOutput } from './schema.ts';

/**
 * Makes the `generate_exam` tool: writes an exam on a topic from retrieved passages with
 * `POST {baseUrl}/api/generate` on the exam backend. One retry for network errors, timeouts and 502/503/504.
 *
 * @example
 * ```ts
 * registry.register(generateExam({ baseUrl: config.EXAM_URL }));
 * ctx.callTool<GenerateExamOutput>('generate_exam', { topic: 'RxJS operators', chunks, num_questions: 5 });
 * ```
 */
export function generateExam(
  options: HttpToolOptions,
): ToolDefinition<GenerateExamInput, GenerateExamOutput> {
  return defineHttpTool<GenerateExamInput, GenerateExamOutput, GenerateRequest, GenerateResponse>({
    ...options,
    name: 'generate_exam',
    version: '1.0.0',
    description:
      'Writes an exam about a topic from passages of course material: `num_questions` questions ' +
      '(default 3, at most 20) of one `kind` (multiple_choice, open, or mixed by default), each with its answer.',
    input: generateExamInput,
    output: generateExamOutput,
    path: '/api/generate',
    toBody: ({ topic, chunks, num_questions = DEFAULT_NUM_QUESTIONS, kind = DEFAULT_KIND }) => ({
      topic,
      context: chunks,
      num_questions,
      kind,
    }),
    fromResponse: ({ exam }) => ({ exam }),
    progress: {
      request: ({ topic, context, num_questions, kind }) => [
        `writing ${num_questions} ${kind.replace('_', ' ')} questions about "${topic}"`,
        { num_questions, kind, chunks: context.length },
      ],
      response(reply) {
        const questions: unknown = reply.exam?.questions;
        if (!Array.isArray(questions)) return undefined;
        const n = questions.length;
        return [`wrote ${n} ${n === 1 ? 'question' : 'questions'}`, { count: n }];
      },
    },
  });
}
