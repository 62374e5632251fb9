import { defineTool } from '../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type {
  GenerateExamInput,
  GenerateExamOutput,
  GenerateRequest,
  GenerateResponse,
} from '../contracts.ts';
import { httpToolPolicy, postJson, toolEndpoint } from '../http/index.ts';
import type { HttpToolOptions } from '../http/index.ts';
import { DEFAULT_KIND, DEFAULT_NUM_QUESTIONS, generateExamInput, generateExamOutput } from './schema.ts';

const NAME = 'generate_exam';

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
  const url = toolEndpoint(NAME, options.baseUrl, '/api/generate');
  const { timeoutMs, maxBytes } = options;
  return defineTool<GenerateExamInput, GenerateExamOutput>({
    name: NAME,
    version: '1.0.0',
    description:
      'Writes an exam about a topic from passages of course material: `num_questions` questions ' +
      '(default 3, at most 20) of one `kind` (multiple_choice, open, or mixed by default), each with its answer.',
    input: generateExamInput,
    output: generateExamOutput,
    ...httpToolPolicy(NAME, options),
    async execute({ topic, chunks, num_questions = DEFAULT_NUM_QUESTIONS, kind = DEFAULT_KIND }, ctx) {
      ctx.progress(`writing ${num_questions} ${kind.replace('_', ' ')} questions about "${topic}"`, {
        num_questions,
        kind,
        chunks: chunks.length,
      });
      const body: GenerateRequest = { topic, context: chunks, num_questions, kind };
      const reply = await postJson<GenerateResponse>(ctx, { tool: NAME, url, body, timeoutMs, maxBytes });
      // The reply is unchecked until the output schema sees it: count only what is really there.
      const questions: unknown = reply.exam?.questions;
      if (Array.isArray(questions)) {
        const n = questions.length;
        ctx.progress(`wrote ${n} ${n === 1 ? 'question' : 'questions'}`, { count: n });
      }
      return { exam: reply.exam };
    },
  });
}
