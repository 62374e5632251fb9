import type { ToolDefinition } from '../core/plugins/plugin.ts';
import { composeAnswer } from './compose_answer/index.ts';
import { generateExam } from './generate_exam/index.ts';
import { gradeExam } from './grade_exam/index.ts';
import { planner } from './planner/index.ts';
import { ragSearch } from './rag_search/index.ts';

export interface BuiltinToolsOptions {
  /** RAG backend (`RAG_URL`). */
  ragUrl: string;
  /** Exam backend (`EXAM_URL`), for both generating and grading. */
  examUrl: string;
}

/**
 * The five built-in tools, ready to register: `rag_search`, `generate_exam`, `grade_exam`, `planner`
 * and `compose_answer` (the last two use the tools' language model, `ctx.llm` from `LLM_URL`, when there is one).
 * Throws `CONFIG_INVALID` when a URL is not an absolute http(s) URL.
 *
 * @example
 * ```ts
 * registry.register(builtinTools({ ragUrl: config.RAG_URL, examUrl: config.EXAM_URL }));
 * ```
 */
export function builtinTools(options: BuiltinToolsOptions): Array<ToolDefinition<never, unknown>> {
  return [
    ragSearch({ baseUrl: options.ragUrl }),
    generateExam({ baseUrl: options.examUrl }),
    gradeExam({ baseUrl: options.examUrl }),
    planner(),
    composeAnswer(),
  ];
}
