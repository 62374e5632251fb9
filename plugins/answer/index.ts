import { defineFlow, type FlowEmission } from '../../core/index.ts';
import type { Chunk, PlannerOutput, RagSearchOutput } from '../contracts.ts';
import { step, useTool } from '../flow-kit.ts';

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
      question: { type: 'string', minLength: 1, maxLength: 2000 },
      top_k: { type: 'integer', minimum: 1, maximum: 20 },
    },
    required: ['question'],
  },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    const plan = yield* useTool<PlannerOutput>(
      ctx,
      'planner',
      { question: input.question },
      'understand the question',
    );
    yield step('intent_determined', `intent: ${plan.intent}, topic: ${plan.topic}`, { ...plan });
    yield step('start_retrieval', `searching the course material for "${plan.topic}"`, { query: plan.topic });
    const { chunks } = yield* useTool<RagSearchOutput>(
      ctx,
      'rag_search',
      { query: input.question, top_k: input.top_k ?? 4 },
      'search the course material',
    );
    yield step('retrieval_done', `found ${chunks.length} passages`, { chunks: chunks.length });
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
