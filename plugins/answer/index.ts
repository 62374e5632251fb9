import { defineFlow, type FlowEmission } from '../../core/index.ts';
import type { Chunk } from '../contracts.ts';
import { DEFAULT_TOP_K, topKSchema } from '../exam-schemas.ts';
import { determineIntent, retrieve, step } from '../flow-kit.ts';

export interface AnswerInput {
  question: string;
  top_k?: number;
}

/** An extractive answer: the best passages, with their sources, so every claim can be checked. */
export function composeAnswer(question: string, chunks: readonly Chunk[]): string {
  if (chunks.length === 0) return `I found nothing in the course material that answers "${question}".`;
  const best = chunks.slice(0, 3);
  return [
    ...best.map((chunk) => `${chunk.text} [${chunk.source}]`),
    '',
    `Sources: ${[...new Set(best.map((chunk) => chunk.source))].join(', ')}`,
  ].join('\n');
}

/**
 * The answer flow: understand the question, retrieve, answer from the retrieved passages.
 * Steps: `intent_determined`, `start_retrieval`, `retrieval_done`, `final_answer`.
 */
export const answerFlow = defineFlow<AnswerInput>({
  name: 'answer',
  version: '1.0.0',
  description: 'Answers a question from retrieved course material, citing sources',
  tools: ['planner', 'rag_search'],
  input: {
    type: 'object',
    properties: {
      question: { type: 'string', minLength: 1, maxLength: 4000 },
      top_k: topKSchema,
    },
    required: ['question'],
  },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    yield* determineIntent(ctx, input.question);
    const chunks = yield* retrieve(ctx, input.question, input.top_k ?? DEFAULT_TOP_K);
    const answer = composeAnswer(input.question, chunks);
    yield step('final_answer', 'answer sent');
    yield {
      type: 'message',
      role: 'assistant',
      content: answer,
      meta: { sources: chunks.map((chunk) => chunk.source) },
    };
    yield { type: 'result', result: { answer, sources: chunks.map((chunk) => chunk.source) } };
  },
});
